// Package screen writes a dashboard's frames to one terminal (an SSH
// session). It replaces bubbletea's renderer, which redraws on a ticker
// that wakes every session dozens of times a second even when nothing
// changes: here the program's view is rendered and written when it says
// the view changed (Invalidate), changed lines only, at most FPS times a
// second, and an idle session costs no timer and no wake-up at all.
//
// One write at a time owns the output, so raw sequences (a clipboard
// copy, a bell) never interleave with a frame; it runs on a goroutine that
// lives only while a frame is due.
//
// May import from this repository: nothing.
package screen

import (
	"bytes"
	"hash/maphash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// Terminal control sequences the screen uses.
const (
	enterAltScreen = "\x1b[?1049h"
	leaveAltScreen = "\x1b[?1049l"
	hideCursor     = "\x1b[?25l"
	showCursor     = "\x1b[?25h"
	pasteOn        = "\x1b[?2004h"
	pasteOff       = "\x1b[?2004l"
	clearScreen    = "\x1b[2J"
	eraseLineRight = "\x1b[K"
)

// Screen is the output side of one session.
type Screen struct {
	out    io.Writer
	minGap time.Duration

	mu        sync.Mutex
	dirty     bool     // view, size or raw changed since the last write
	raw       []string // sequences to write before the next frame
	width     int
	height    int
	repaint   bool // everything must be redrawn (resize, start)
	started   bool
	stopped   bool
	stale     bool          // the view changed: ask view for the frame
	view      func() string // the program's view, for Invalidate
	pending   bool          // a write is scheduled or under way
	lastWrite time.Time
	gap       *time.Timer   // wakes a write at the end of a frame gap; made on first use
	ended     chan struct{} // closed when Stop has given the terminal back

	// wmu is held while writing: one write at a time, in order. shown
	// belongs to its holder.
	wmu   sync.Mutex
	shown []uint64 // hashes of the lines on the terminal now
}

// lineSeed hashes the lines shown: a screen keeps 8 bytes a line to find
// what changed instead of the whole last frame (some kilobytes a session,
// its colours included).
var lineSeed = maphash.MakeSeed()

// New prepares a screen writing to out at most fps frames a second.
func New(out io.Writer, fps int) *Screen {
	if fps < 1 {
		fps = 1
	}
	return &Screen{out: out, minGap: time.Second / time.Duration(fps), repaint: true, ended: make(chan struct{})}
}

// Start takes over the terminal (alternate screen, hidden cursor,
// bracketed paste); frames are written from then on.
func (s *Screen) Start() {
	s.wmu.Lock()
	_, _ = io.WriteString(s.out, enterAltScreen+hideCursor+pasteOn)
	s.wmu.Unlock()
	s.mu.Lock()
	s.started = true
	if s.dirty {
		s.scheduleLocked()
	}
	s.mu.Unlock()
}

// Source sets where Invalidate takes frames from. view is called on the
// writing goroutine, never while the screen's lock is held, so it may take
// the program's own lock.
func (s *Screen) Source(view func() string) {
	s.mu.Lock()
	s.view = view
	s.mu.Unlock()
}

// Invalidate says the program's view changed. The frame is rendered when
// it is written, not now: a burst of updates within one frame gap (a
// dashboard's panes loading at sign-in, say) costs one render, not one
// per update. It never blocks.
func (s *Screen) Invalidate() {
	s.mu.Lock()
	s.stale, s.dirty = true, true
	s.scheduleLocked()
	s.mu.Unlock()
}

// Resize records the terminal's size; the next frame is drawn in full at
// that size. It writes nothing by itself: a resize is always followed by
// a frame laid out for the new size, and drawing the old frame first
// would make that one wait a whole frame gap (the first dashboard of
// every session came ~33 ms late that way).
func (s *Screen) Resize(width, height int) {
	s.mu.Lock()
	s.width, s.height, s.repaint, s.dirty = width, height, true, true
	s.mu.Unlock()
}

// Emit queues a raw sequence (OSC 52 clipboard, BEL) to write before the
// next frame. Callers pass only sequences they built themselves.
func (s *Screen) Emit(seq string) {
	s.mu.Lock()
	s.raw = append(s.raw, seq)
	s.dirty = true
	s.scheduleLocked()
	s.mu.Unlock()
}

// scheduleLocked arranges a write: at once when the last one is a frame
// gap old, else when the gap ends. The write runs on a goroutine of its
// own that ends with it, so an idle screen has no goroutine, and a
// session's long-lived goroutines never carry the stack a render grows.
// s.mu is held.
func (s *Screen) scheduleLocked() {
	if !s.started || s.stopped || s.pending {
		return
	}
	s.pending = true
	wait := s.minGap - time.Since(s.lastWrite)
	switch {
	case wait <= 0:
		go s.write()
	case s.gap == nil:
		s.gap = time.AfterFunc(wait, s.write)
	default:
		s.gap.Reset(wait)
	}
}

// write writes what is pending, then schedules the next write if more
// came meanwhile.
func (s *Screen) write() {
	s.wmu.Lock()
	s.mu.Lock()
	stopped := s.stopped
	s.mu.Unlock()
	wrote := false
	if !stopped {
		wrote = s.flush()
	}
	s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = false
	if wrote {
		s.lastWrite = time.Now()
	}
	if s.dirty {
		s.scheduleLocked()
	}
}

// Stop writes what is pending, gives the terminal back (normal screen,
// cursor shown) and stops writing. It returns once the terminal is given
// back, also when called again.
func (s *Screen) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		<-s.ended
		return
	}
	s.stopped = true
	if s.gap != nil {
		s.gap.Stop()
	}
	s.mu.Unlock()
	s.wmu.Lock() // a write under way ends first
	s.flush()
	_, _ = io.WriteString(s.out, pasteOff+showCursor+leaveAltScreen)
	s.wmu.Unlock()
	close(s.ended)
}

// flush writes pending sequences and the changed lines of the frame;
// it reports whether it wrote anything. s.wmu is held.
func (s *Screen) flush() bool {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return false
	}
	raw, w, h, repaint := s.raw, s.width, s.height, s.repaint
	view := s.view
	if !s.stale && !repaint {
		view = nil // only raw sequences to write: the lines shown stay
	}
	s.raw, s.dirty, s.repaint, s.stale = nil, false, false, false
	s.mu.Unlock()
	frame := ""
	if view != nil {
		frame = view()
	}
	if frame == "" && len(raw) == 0 && repaint {
		// Nothing to show yet (the program has no size): clearing the
		// screen now would start a frame gap, and the first real frame
		// would wait for it.
		s.mu.Lock()
		s.repaint = true
		s.mu.Unlock()
		return false
	}

	buf := buffers.Get().(*bytes.Buffer)
	defer putBuffer(buf)
	for _, r := range raw {
		buf.WriteString(r)
	}
	if view != nil {
		s.paint(buf, frame, w, h, repaint)
	}
	if buf.Len() == 0 {
		return false
	}
	writeChunks(s.out, buf.Bytes())
	return true
}

// buffers are the write buffers of every screen: a buffer is needed only
// while a frame is written, so sessions share a few instead of each
// allocating one per frame.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putBuffer gives buf back, unless a full repaint of a very large
// terminal grew it past what is worth keeping.
func putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return
	}
	buf.Reset()
	buffers.Put(buf)
}

// writeChunk is the most one call writes to the session. The SSH library
// keeps, for each connection, a packet buffer and a cipher buffer as large
// as the largest write it was given, for the connection's life: writing a
// frame in pieces keeps those near a kilobyte each whatever the size of
// the terminal, at the cost of one packet a piece on a full repaint.
const writeChunk = 1024

// writeChunks writes p in pieces of at most writeChunk bytes; it stops
// at the first error (the session is gone).
func writeChunks(w io.Writer, p []byte) {
	for len(p) > 0 {
		n := min(len(p), writeChunk)
		if _, err := w.Write(p[:n]); err != nil {
			return
		}
		p = p[n:]
	}
}

// paint appends to buf what turns the shown lines into frame's lines.
func (s *Screen) paint(buf *bytes.Buffer, frame string, w, h int, repaint bool) {
	if repaint {
		buf.WriteString(clearScreen)
		s.shown = s.shown[:0]
	}
	n := 0
	for line := range strings.SplitSeq(frame, "\n") {
		if h > 0 && n == h {
			break
		}
		sum := maphash.String(lineSeed, line)
		if n < len(s.shown) && s.shown[n] == sum {
			n++
			continue
		}
		if n < len(s.shown) {
			s.shown[n] = sum
		} else {
			s.shown = append(s.shown, sum)
		}
		n++
		writeLine(buf, n, line, w)
	}
	for i := n; i < len(s.shown); i++ {
		moveTo(buf, i+1)
		buf.WriteString(eraseLineRight)
	}
	s.shown = s.shown[:n]
}

// writeLine puts line on a 1-based row, cut to w columns.
func writeLine(buf *bytes.Buffer, row int, line string, w int) {
	moveTo(buf, row)
	width := ansi.StringWidth(line)
	if w > 0 && width > w {
		line, width = ansi.Truncate(line, w, ""), w
	}
	buf.WriteString(line)
	// Erasing after a full-width line would erase its last cell: the
	// cursor stays on it until the next character.
	if w == 0 || width < w {
		buf.WriteString(eraseLineRight)
	}
}

// moveTo puts the cursor at the start of a 1-based row.
func moveTo(buf *bytes.Buffer, row int) {
	buf.WriteString("\x1b[")
	buf.WriteString(strconv.Itoa(row))
	buf.WriteString(";1H")
}
