// Package screen writes a dashboard's frames to one terminal (an SSH
// session). It replaces bubbletea's renderer, which redraws on a ticker
// that wakes every session dozens of times a second even when nothing
// changes: here the program's view is rendered and written when it says
// the view changed (Invalidate), changed lines only, at most FPS times a
// second, and an idle session costs no timer and no wake-up at all.
//
// One goroutine per screen owns the output, so raw sequences (a clipboard
// copy, a bell) never interleave with a frame.
//
// May import from this repository: nothing.
package screen

import (
	"bytes"
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

	mu      sync.Mutex
	frame   string   // the view last written
	dirty   bool     // view, size or raw changed since the last write
	raw     []string // sequences to write before the next frame
	width   int
	height  int
	repaint bool // everything must be redrawn (resize, start)
	stopped bool
	stale   bool          // the view changed: ask view for the frame
	view    func() string // the program's view, for Invalidate

	wake chan struct{} // capacity 1: a write is due
	done chan struct{} // closed by Stop
	gone chan struct{} // closed when the writer goroutine has ended

	shown []string // lines on the terminal now; owned by the writer goroutine
}

// New prepares a screen writing to out at most fps frames a second.
func New(out io.Writer, fps int) *Screen {
	if fps < 1 {
		fps = 1
	}
	return &Screen{out: out, minGap: time.Second / time.Duration(fps), repaint: true,
		wake: make(chan struct{}, 1), done: make(chan struct{}), gone: make(chan struct{})}
}

// Start takes over the terminal (alternate screen, hidden cursor,
// bracketed paste) and starts the writer.
func (s *Screen) Start() {
	_, _ = io.WriteString(s.out, enterAltScreen+hideCursor+pasteOn)
	go s.run()
}

// Source sets where Invalidate takes frames from. view is called on the
// writer goroutine, never while the screen's lock is held, so it may take
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
	s.mu.Unlock()
	s.poke()
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
	s.mu.Unlock()
	s.poke()
}

func (s *Screen) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stop writes what is pending, gives the terminal back (normal screen,
// cursor shown) and ends the writer. It waits for the writer to finish.
func (s *Screen) Stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		<-s.gone
		return
	}
	s.stopped = true
	s.mu.Unlock()
	close(s.done)
	<-s.gone
	_, _ = io.WriteString(s.out, pasteOff+showCursor+leaveAltScreen)
}

// run writes frames as they come, then waits minGap before the next one
// so that bursts coalesce; the timer exists only right after a write.
func (s *Screen) run() {
	defer close(s.gone)
	gap := time.NewTimer(0)
	<-gap.C
	for {
		select {
		case <-s.wake:
		case <-s.done:
			s.flush()
			return
		}
		if !s.flush() {
			continue
		}
		gap.Reset(s.minGap)
		select {
		case <-gap.C:
		case <-s.done:
			gap.Stop()
			s.flush()
			return
		}
	}
}

// flush writes pending sequences and the changed lines of the frame;
// it reports whether it wrote anything.
func (s *Screen) flush() bool {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return false
	}
	frame, raw, w, h, repaint := s.frame, s.raw, s.width, s.height, s.repaint
	view := s.view
	if !s.stale {
		view = nil
	}
	s.raw, s.dirty, s.repaint, s.stale = nil, false, false, false
	s.mu.Unlock()
	if view != nil {
		frame = view()
		s.mu.Lock()
		s.frame = frame
		s.mu.Unlock()
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

	var buf bytes.Buffer
	for _, r := range raw {
		buf.WriteString(r)
	}
	s.paint(&buf, frame, w, h, repaint)
	if buf.Len() == 0 {
		return false
	}
	_, _ = s.out.Write(buf.Bytes())
	return true
}

// paint appends to buf what turns the shown lines into frame's lines.
func (s *Screen) paint(buf *bytes.Buffer, frame string, w, h int, repaint bool) {
	lines := strings.Split(frame, "\n")
	if h > 0 && len(lines) > h {
		lines = lines[:h]
	}
	if repaint {
		buf.WriteString(clearScreen)
		s.shown = nil
	}
	for i, line := range lines {
		if i < len(s.shown) && s.shown[i] == line {
			continue
		}
		moveTo(buf, i+1)
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
	for i := len(lines); i < len(s.shown); i++ {
		moveTo(buf, i+1)
		buf.WriteString(eraseLineRight)
	}
	s.shown = lines
}

// moveTo puts the cursor at the start of a 1-based row.
func moveTo(buf *bytes.Buffer, row int) {
	buf.WriteString("\x1b[")
	buf.WriteString(strconv.Itoa(row))
	buf.WriteString(";1H")
}
