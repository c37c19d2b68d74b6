package screen

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/vt"
)

// recorder is a terminal: every write goes to an emulator and is counted.
type recorder struct {
	mu     sync.Mutex
	em     *vt.SafeEmulator
	writes [][]byte
}

func newRecorder(w, h int) *recorder { return &recorder{em: vt.NewSafeEmulator(w, h)} }

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, append([]byte(nil), p...))
	return r.em.Write(p)
}

func (r *recorder) screen() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lines []string
	for y := range r.em.Height() {
		var b strings.Builder
		for x := range r.em.Width() {
			if c := r.em.CellAt(x, y); c != nil && c.Content != "" {
				b.WriteString(c.Content)
			} else {
				b.WriteByte(' ')
			}
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return strings.Join(lines, "\n")
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.writes)
}

func (r *recorder) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writes[len(r.writes)-1]
}

// program stands in for a program: show sets its view and invalidates
// the screen, as the dashboard's updates do.
type program struct {
	mu   sync.Mutex
	view string
	s    *Screen
}

func attach(s *Screen) *program {
	p := &program{s: s}
	s.Source(p.current)
	return p
}

func (p *program) current() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.view
}

func (p *program) show(view string) {
	p.mu.Lock()
	p.view = view
	p.mu.Unlock()
	p.s.Invalidate()
}

// showing waits until the emulated screen starts with want.
func showing(t *testing.T, r *recorder, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(r.screen(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q:\n%s", want, r.screen())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle waits until the writer has written n times.
func settle(t *testing.T, r *recorder, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes, want %d", r.count(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestFramesReachTheTerminalAndOnlyChangedLinesAreWritten(t *testing.T) {
	term := newRecorder(20, 5)
	s := New(term, 1000)
	p := attach(s)
	s.Start() // write 1: modes
	s.Resize(20, 5)
	p.show("hello\nworld\nthird")
	showing(t, term, "hello\nworld\nthird")
	n := term.count()
	p.show("hello\nWORLD\nthird")
	settle(t, term, n+1)
	w := term.last()
	if bytes.Contains(w, []byte("hello")) || bytes.Contains(w, []byte("third")) || !bytes.Contains(w, []byte("WORLD")) {
		t.Fatalf("the update rewrote unchanged lines: %q", w)
	}
	p.show("short")
	showing(t, term, "short\n\n")
	s.Stop()
	if !bytes.Contains(term.last(), []byte(leaveAltScreen)) || !bytes.Contains(term.last(), []byte(showCursor)) {
		t.Fatalf("stop did not give the terminal back: %q", term.last())
	}
}

func TestLongLinesTruncatedAndFullWidthLineKept(t *testing.T) {
	term := newRecorder(10, 3)
	s := New(term, 1000)
	p := attach(s)
	s.Start()
	s.Resize(10, 3)
	p.show("0123456789ABCDEF\nexactly10!\nnext")
	showing(t, term, "0123456789\n")
	if got := term.screen(); got != "0123456789\nexactly10!\nnext" {
		t.Fatalf("screen:\n%q", got)
	}
	s.Stop()
}

// A burst of frames is written at the frame rate, not once per frame.
func TestBurstsCoalesce(t *testing.T) {
	term := newRecorder(20, 3)
	s := New(term, 10) // 100 ms between writes
	p := attach(s)
	s.Start()
	s.Resize(20, 3)
	for i := range 200 {
		p.show(strings.Repeat("x", i%20))
	}
	p.show("final")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasPrefix(term.screen(), "final") {
		if time.Now().After(deadline) {
			t.Fatalf("last frame lost:\n%s", term.screen())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := term.count(); n > 4 {
		t.Fatalf("%d writes for a burst of 201 frames", n)
	}
	s.Stop()
}

func TestEmitGoesOutInOrderWithFrames(t *testing.T) {
	term := newRecorder(20, 3)
	s := New(term, 1000)
	p := attach(s)
	s.Start()
	s.Resize(20, 3)
	p.show("a")
	showing(t, term, "a")
	s.Emit("\x1b]52;c;aGk=\x07")
	p.show("b")
	showing(t, term, "b")
	s.Stop()
	term.mu.Lock()
	var all strings.Builder
	for _, w := range term.writes {
		all.Write(w)
	}
	term.mu.Unlock()
	out := all.String()
	emitted, frameB := strings.Index(out, "\x1b]52;c;aGk=\x07"), strings.LastIndex(out, "b\x1b[K")
	if emitted < 0 || frameB < emitted || emitted < strings.Index(out, "a\x1b[K") {
		t.Fatalf("emitted sequence missing or out of order: %q", out)
	}
}

func TestStopIsIdempotentAndIdleWritesNothing(t *testing.T) {
	term := newRecorder(20, 3)
	s := New(term, 1000)
	p := attach(s)
	s.Start()
	s.Resize(20, 3)
	p.show("same")
	showing(t, term, "same")
	time.Sleep(20 * time.Millisecond)
	before := term.count()
	for range 50 {
		p.show("same") // unchanged: no write
	}
	time.Sleep(20 * time.Millisecond)
	if n := term.count(); n != before {
		t.Fatalf("%d writes for unchanged frames", n-before)
	}
	s.Stop()
	s.Stop()
}

// BenchmarkFrameOneLineChanged writes a frame of 24 rows of which one
// changed: what a countdown's second costs a session's screen.
func BenchmarkFrameOneLineChanged(b *testing.B) {
	base := strings.Repeat(strings.Repeat("x", 78)+"\n", 23) + "footer"
	frames := make([]string, 26) // made before: the program's view is not measured
	for i := range frames {
		frames[i] = base[:len(base)-1] + string(rune('a'+i))
	}
	s := New(discard{}, 1_000_000)
	p := attach(s) // not started: flushed by hand
	s.Resize(80, 24)
	p.show(base)
	s.flush()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p.show(frames[i%len(frames)])
		s.flush()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// A resize waits for its frame: the first frame of a session is written
// at once with the clear, not one frame gap after a write of the old one.
func TestResizeWritesWithTheNextFrame(t *testing.T) {
	term := newRecorder(20, 3)
	s := New(term, 1) // a 1 s gap after every write
	p := attach(s)
	s.Start() // write 1: modes
	settle(t, term, 1)
	s.Resize(20, 3)
	time.Sleep(20 * time.Millisecond) // room for a premature write
	if n := term.count(); n != 1 {
		t.Fatalf("%d writes after a resize alone, want none", n-1)
	}
	p.show("hello")
	showing(t, term, "hello")
	if w := term.last(); term.count() != 2 || !bytes.Contains(w, []byte(clearScreen)) {
		t.Fatalf("writes %d, last %q; want the clear and the frame in write 2", term.count(), w)
	}
	s.Stop()
}

// A burst of invalidations renders the view once or twice (the first
// write, then one after the frame gap), not once per invalidation, and the
// screen ends on the latest view.
func TestInvalidateRendersLazily(t *testing.T) {
	term := newRecorder(20, 5)
	s := New(term, 2) // a 500 ms gap: the burst below fits in it
	var mu sync.Mutex
	renders, latest := 0, 0
	s.Source(func() string {
		mu.Lock()
		defer mu.Unlock()
		renders++
		return "view " + strconv.Itoa(latest)
	})
	s.Start()
	s.Resize(20, 5)
	for i := 1; i <= 100; i++ {
		mu.Lock()
		latest = i
		mu.Unlock()
		s.Invalidate()
	}
	showing(t, term, "view 100")
	s.Stop()
	mu.Lock()
	defer mu.Unlock()
	if renders > 2 {
		t.Fatalf("%d renders for a burst of 100 invalidations, want at most 2", renders)
	}
}

// A program with nothing to show yet (no size) writes nothing: its first
// real frame is the first paint, not one frame gap after an empty one.
func TestEmptyFirstViewWritesNothing(t *testing.T) {
	term := newRecorder(20, 5)
	s := New(term, 1) // a one-second gap would show as a second write
	var mu sync.Mutex
	view, asked := "", 0
	s.Source(func() string {
		mu.Lock()
		defer mu.Unlock()
		asked++
		return view
	})
	s.Start() // write 1: modes
	s.Invalidate()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		n := asked
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never asked for the view")
		}
	}
	mu.Lock()
	view = "dash"
	mu.Unlock()
	s.Resize(20, 5)
	s.Invalidate()
	showing(t, term, "dash")
	if n := term.count(); n != 2 || !bytes.Contains(term.last(), []byte(clearScreen)) {
		t.Fatalf("%d writes, the last %q: want the modes, then the first paint", n, term.last())
	}
	s.Stop()
}

// A screen holds a goroutine only while a frame is due: a session that
// shows a frame and then idles costs none (each used to keep a writer).
func TestIdleScreenHoldsNoGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	term := newRecorder(20, 3)
	s := New(term, 100)
	p := attach(s)
	s.Start()
	s.Resize(20, 3)
	p.show("one")
	showing(t, term, "one")
	p.show("two") // within the gap: written when it ends
	showing(t, term, "two")
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left after the frames were written (was %d)", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Stop()
	if got := term.screen(); strings.Contains(got, "two") {
		t.Fatalf("the terminal was not given back: %q", got)
	}
}

// A raw sequence alone (a bell, a clipboard copy) goes out without the
// view being rendered again or any line rewritten: the screen keeps only
// hashes of the lines it showed, not the frame.
func TestEmitAloneRendersNothing(t *testing.T) {
	term := newRecorder(20, 3)
	s := New(term, 1000)
	renders := 0
	var mu sync.Mutex
	s.Source(func() string {
		mu.Lock()
		defer mu.Unlock()
		renders++
		return "one\ntwo"
	})
	s.Start()
	s.Resize(20, 3)
	s.Invalidate()
	showing(t, term, "one\ntwo")
	n := term.count()
	s.Emit("\a")
	settle(t, term, n+1)
	if got := string(term.last()); got != "\a" {
		t.Fatalf("a bell alone wrote %q, want only the bell", got)
	}
	s.Stop()
	mu.Lock()
	defer mu.Unlock()
	if renders != 1 {
		t.Fatalf("%d renders, want 1: the bell rendered the view again", renders)
	}
	if s.shown == nil || len(s.shown) != 2 {
		t.Fatalf("shown %v, want the hashes of 2 lines", s.shown)
	}
}

// After a write the screen holds no copy of the frame: a session's
// screen costs a few bytes a line, not its last frame.
func TestScreenRetainsNoFrame(t *testing.T) {
	const lines, width = 1000, 4000 // a 4 MB frame
	s := New(discard{}, 1000)
	wrote := make(chan struct{}, 1)
	s.Source(func() string {
		defer func() { wrote <- struct{}{} }()
		return strings.Repeat(strings.Repeat("x", width)+"\n", lines-1) + "last"
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s.Start()
	s.Resize(width, lines)
	s.Invalidate()
	<-wrote
	s.wmu.Lock() // the write that rendered is over
	s.wmu.Unlock()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Fatalf("the screen holds %d bytes after writing a 4 MB frame", grown)
	}
	runtime.KeepAlive(s)
	s.Stop()
}

// A frame larger than writeChunk reaches the terminal in pieces of at
// most writeChunk bytes (the SSH library keeps buffers as large as the
// largest write), and the pieces still draw the whole frame.
func TestLargeFrameIsWrittenInPieces(t *testing.T) {
	const w, h = 200, 40
	term := newRecorder(w, h)
	s := New(term, 60)
	p := attach(s)
	s.Start()
	s.Resize(w, h)
	lines := make([]string, h)
	plain := make([]string, h)
	for i := range lines {
		plain[i] = strings.Repeat(string(rune('a'+i%26)), w-1)
		// Styled text, as the dashboard writes: escape sequences may be cut.
		lines[i] = "\x1b[1;38;5;" + strconv.Itoa(i) + "m" + plain[i] + "\x1b[m"
	}
	p.show(strings.Join(lines, "\n"))
	// The pieces arrive one after another: wait for the whole frame.
	showing(t, term, strings.Join(plain, "\n"))
	s.Stop()
	term.mu.Lock()
	defer term.mu.Unlock()
	const most = 2048 // what a session's buffers may grow to, a frame at a time
	for i, b := range term.writes {
		if len(b) > most {
			t.Fatalf("write %d of %d is %d bytes, more than %d", i+1, len(term.writes), len(b), most)
		}
	}
}
