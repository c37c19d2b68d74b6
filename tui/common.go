// Package tui is what a person sees: the dashboard that runs inside each
// SSH session. The root model (app.go) owns the session's phase (sign in,
// link the key, dashboard), the header, tabs and help; each pane is one
// Component in its own file. Shared look lives in styles.go, shared keys
// in keys.go, and every untrusted string goes through tui/sanitize.
//
// I/O never happens in Update or View: it runs in tea.Cmds that return
// messages.
package tui

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
)

// Deps are the services a session works with.
type Deps struct {
	Store   *store.Store
	Log     *slog.Logger
	Numbers Numbers // the reservation engine
}

// Session is what the SSH layer proved about the connection. Identity
// comes only from Key (the key the client proved) or from a password
// checked in the dashboard, never from the SSH user name.
type Session struct {
	ID     string
	Origin store.Origin
	Key    *store.KeySpec // nil for a client without a key

	lastInput atomic.Int64 // unix nanoseconds of the last key press
}

// Touch records key input, the measure of inactivity.
func (s *Session) Touch() { s.lastInput.Store(time.Now().UnixNano()) }

// LastInput is the time of the last key press (or of Touch's first call).
func (s *Session) LastInput() time.Time { return time.Unix(0, s.lastInput.Load()) }

// Common is shared by the root model and every component of one session.
type Common struct {
	Ctx     context.Context
	Deps    Deps
	Session *Session
	Styles  *Styles
	Keys    *KeyMap
	Width   int
	Height  int
	// Term writes to the person's terminal outside the frame (bell,
	// clipboard); nil in view tests.
	Term Terminal

	// User is the signed-in account, refreshed on every change event.
	User store.User
	// ViaKey is true when the account was resolved from a linked key when
	// the session started: the only kind of session with admin powers.
	ViaKey bool
}

// Component is one pane of the dashboard (or a screen of the sign-in flow).
type Component interface {
	Init() tea.Cmd
	Update(tea.Msg) (Component, tea.Cmd)
	View() string
	// Title is the pane's tab label.
	Title() string
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	SetSize(width, height int)
	// Capturing is true while a text field has focus: then keys that are
	// global elsewhere (q, digits, ?) are typed into the field.
	Capturing() bool
}

// explain turns an error into what the person is told: the message of a
// person-facing error, or a generic apology after logging the details.
func (c *Common) explain(err error) string {
	if err == nil {
		return ""
	}
	if msg, ok := store.UserMessage(err); ok {
		return msg
	}
	if c.Ctx.Err() == nil && c.Deps.Log != nil {
		c.Deps.Log.Error("session error", "session", c.Session.ID, "remote", c.Session.Origin.RemoteAddr, "err", err)
	}
	return "Something went wrong on our side. Please try again in a moment."
}
