package sshserver

import (
	"context"
	"encoding/binary"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// Bounds on a session's environment requests: the library keeps every
// one for the session's life, and a client could send gigabytes of them
// before asking for its shell (2.4 GB from one connection in ten
// seconds). A terminal sends a handful (TERM, LANG, COLORFGBG, NO_COLOR).
const (
	maxEnvRequests = 32
	maxEnvBytes    = 4096 // one name and value
)

// relayedChannel is a session channel whose requests pass through one
// goroutine of ours before the library sees them: env requests past
// maxEnvRequests, or longer than maxEnvBytes, are refused, and window
// changes are taken here (sessionWindow) instead of by the library, whose
// window channel would otherwise need a goroutine of its own per session
// to drain it. Every other request passes on, in order, until the
// session's shell or command: the library's request loop (a goroutine
// per session) then starts the handler and ends, and the relay answers
// what still comes itself. The library would refuse all of that anyway
// once the session is handled (a second shell, env, a PTY), or deliver
// it where the server never listens (signals, breaks).
type relayedChannel struct {
	gossh.NewChannel
	win *sessionWindow
	// ended is called once, when the channel's requests end (the channel
	// closed) or when it could not be accepted.
	ended func()
	// libraryDone is closed when the library's request loop has returned:
	// the relay answers nothing itself before the library has answered the
	// shell, so the client gets its replies in order.
	libraryDone <-chan struct{}
}

func (c relayedChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		c.ended()
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go c.relay(reqs, out)
	return ch, out, nil
}

// relay runs until the channel closes reqs.
func (c relayedChannel) relay(reqs <-chan *gossh.Request, out chan<- *gossh.Request) {
	defer c.ended()
	env, pty := 0, false
	for r := range reqs {
		switch {
		case r.Type == "window-change":
			w, ok := parseWindowChange(r.Payload)
			if ok && pty {
				c.win.change(w)
			}
			reply(r, ok && pty)
		case out == nil: // the session is handled: see relayedChannel
			reply(r, false)
		case r.Type == "env" && (env >= maxEnvRequests || len(r.Payload) > maxEnvBytes):
			reply(r, false)
		case r.Type == "shell" || r.Type == "exec":
			// The library's loop takes this one, starts the handler and
			// then finds its channel closed.
			// This relies on the library starting every shell or command it
			// is given (no session-request callback, no subsystems here).
			out <- r
			close(out)
			out = nil
			<-c.libraryDone
		default:
			if r.Type == "env" {
				env++
			}
			if r.Type == "pty-req" {
				pty = true // even if the library refuses it: then the window is unused
			}
			out <- r
		}
	}
	if out != nil {
		close(out)
	}
}

func reply(r *gossh.Request, ok bool) {
	if r.WantReply {
		_ = r.Reply(ok, nil)
	}
}

// parseWindowChange reads a window-change request: columns, rows, and
// the size in pixels (RFC 4254, 6.7).
func parseWindowChange(p []byte) (ssh.Window, bool) {
	if len(p) < 16 {
		return ssh.Window{}, false
	}
	return ssh.Window{
		Width:        int(binary.BigEndian.Uint32(p)),
		Height:       int(binary.BigEndian.Uint32(p[4:])),
		WidthPixels:  int(binary.BigEndian.Uint32(p[8:])),
		HeightPixels: int(binary.BigEndian.Uint32(p[12:])),
	}, true
}

// sessionWindow is a session's terminal size as its window changes
// tell it. A dashboard attaches to it and is told that the size changed
// (at most one notice pending at a time, so a storm of changes costs one
// redraw); it reads the latest size when it takes the notice.
type sessionWindow struct {
	mu      sync.Mutex
	size    ssh.Window
	changed bool   // a window change came since the PTY request
	notify  func() // the attached dashboard's, nil when none
	pending bool   // notify called and the latest size not yet taken
}

// The largest window a dashboard is drawn for; a client may claim up to
// 2³²-1 columns, and one frame of that size would exhaust the server's
// memory. Bigger windows get a dashboard of this size in their corner.
const (
	maxWindowCols = 1000
	maxWindowRows = 500
)

func clampWindow(w ssh.Window) ssh.Window {
	w.Width, w.Height = min(max(w.Width, 0), maxWindowCols), min(max(w.Height, 0), maxWindowRows)
	return w
}

func (w *sessionWindow) change(size ssh.Window) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.size, w.changed = clampWindow(size), true
	w.signalLocked()
}

func (w *sessionWindow) signalLocked() {
	if w.notify != nil && !w.pending {
		w.pending = true
		w.notify()
	}
}

// attach makes notify the one told of changes, and tells it at once:
// the first size is the PTY's unless a window change came already.
// notify must not block. The returned detach stops the notices.
func (w *sessionWindow) attach(initial ssh.Window, notify func()) (detach func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.changed {
		w.size = clampWindow(initial)
	}
	w.notify, w.pending = notify, false
	w.signalLocked()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.notify = nil
	}
}

// take returns the latest size and lets the next change notify again.
func (w *sessionWindow) take() ssh.Window {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = false
	return w.size
}

// sessionContext is the connection's context as one session sees it:
// it also holds that session's window, and it ends when the session's
// channel does (or the connection), so that a client closing a channel
// ends what runs on it: the dashboard would otherwise wait for its input
// idle timeout, past the slot the channel gave back.
type sessionContext struct {
	ssh.Context
	scoped context.Context // the connection's, cancelled when the channel ends
	win    *sessionWindow
}

func newSessionContext(conn ssh.Context, win *sessionWindow) (sessionContext, context.CancelFunc) {
	scoped, cancel := context.WithCancel(conn)
	return sessionContext{Context: conn, scoped: scoped, win: win}, cancel
}

func (c sessionContext) Deadline() (time.Time, bool) { return c.scoped.Deadline() }
func (c sessionContext) Done() <-chan struct{}       { return c.scoped.Done() }
func (c sessionContext) Err() error                  { return c.scoped.Err() }

// Value answers through the scoped context, which falls back to the
// connection's: a context derived from this one then finds the scoped
// one's cancellation and needs no goroutine to follow it.
func (c sessionContext) Value(key any) any {
	if key == (sessionWindowKey{}) {
		return c.win
	}
	return c.scoped.Value(key)
}

type sessionWindowKey struct{}

// windowOf is the session's window, nil for a session not opened through
// sessionChannel.
func windowOf(sess ssh.Session) *sessionWindow {
	w, _ := sess.Context().Value(sessionWindowKey{}).(*sessionWindow)
	return w
}
