// Package tui is what a person sees: the dashboard that runs inside each
// SSH session. The root model (app.go) owns the session's phase (sign in,
// link the key, dashboard), the header, tabs and help; each pane is one
// Component in its own file. Shared look lives in styles.go, shared keys
// in keys.go, and every untrusted string goes through tui/sanitize.
//
// I/O never happens in Update or View: it runs in tea.Cmds that return
// messages.
//
// May import from this repository: billing, provider, provider/engine,
// store, tui/qr, tui/sanitize.
package tui

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// Deps are the services a session works with.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// SSHCommand is how people reach this server, e.g. "ssh -p 2222
	// localhost", for the commands the dashboard suggests.
	SSHCommand string
	// Payments opens top-ups; nil shows the Wallet without payment methods.
	Payments *billing.Payments
	// Numbers is the reservation engine; nil in screens that need none.
	Numbers Numbers
	// Operations is the provider side of the Admin pane (the engine);
	// nil hides the sections that need it.
	Operations Operations
}

// Session is what the SSH layer proved about the connection. Identity
// comes only from Key (the key the client proved) or from a password
// checked in the dashboard, never from the SSH user name.
type Session struct {
	ID     string
	Origin store.Origin
	Key    *store.KeySpec // nil for a client without a key
	// AdminKey is set by the SSH layer when Key identified an account
	// whose admin powers it carries: enrolled for admin use on the server
	// host (store.CheckActor passed as the session started).
	AdminKey bool

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

	// UserID is the signed-in account's id, set once at sign-in. Commands
	// (which run on other goroutines) read this, never User.
	UserID int64
	// User is the signed-in account, refreshed on every change event; read
	// it only in Update and View.
	User store.User
	// Standing is what the session's identity rests on (the key that
	// identified it, or the password it proved, and its admin powers),
	// checked again on every change to the account: the session ends when
	// it no longer holds. Read and written only in Update.
	Standing store.Standing
	// passwordChanges counts this session's own password changes in
	// flight: the change's event may arrive before its answer, and must
	// not end the session that made it.
	passwordChanges int
	// Goodbye, if set, records the line printed after the dashboard closes.
	Goodbye func(reason string)
	// Emit, if set, writes a raw terminal sequence (OSC 52 clipboard, BEL)
	// in order with the frames. Only sequences built here, never text from
	// outside.
	Emit func(seq string)
}

// copyToClipboard puts text on the person's own clipboard with OSC 52 (a
// write to the system clipboard, which terminals that allow it honour,
// over SSH too). The text is cleaned first: what a person pastes must not
// carry escape sequences a provider or processor slipped into it.
func (c *Common) copyToClipboard(text string) {
	if c.Emit != nil {
		c.Emit(ansi.SetSystemClipboard(sanitize.Line(text)))
	}
}

// SSHWith is the SSH command with extra client flags and a remote command,
// e.g. SSHWith("-T", "export") → "ssh -T -p 2222 localhost export". Flags
// must precede the host: OpenSSH reads everything after it as the command.
func (d Deps) SSHWith(flags, command string) string {
	base := d.SSHCommand
	if base == "" {
		base = "ssh localhost"
	}
	if flags != "" {
		base = "ssh " + flags + strings.TrimPrefix(base, "ssh")
	}
	if command != "" {
		base += " " + command
	}
	return base
}

// viaKey reports whether a linked key identified the session when it
// started (rather than a password typed in it).
func (c *Common) viaKey() bool { return c.Standing.Key != "" }

// actor is the session's account as the store's admin actions want it.
// It carries the proved key only when the account was resolved from that
// key at the start of the session: after a password sign-in it has none,
// and the store refuses every admin action; with a key, the store checks
// that the host enrolled it for admin use.
func (c *Common) actor() store.Actor {
	return store.Actor{UserID: c.UserID, Key: c.Standing.Key, Origin: c.Session.Origin}
}

// goodbye sets the line shown once the dashboard has closed.
func (c *Common) goodbye(reason string) {
	if c.Goodbye != nil {
		c.Goodbye(reason)
	}
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
		// c.Ctx carries the session and its address (sshserver, logctx).
		c.Deps.Log.ErrorContext(c.Ctx, "session error", "err", err)
	}
	return "Something went wrong on our side. Please try again in a moment."
}
