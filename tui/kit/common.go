// Package kit is what every screen of the dashboard is built from: the
// session's Common (its context, identity, size, styles and keys), the
// Pane interface the shell composes panes through (and Lazy, a pane built
// when first shown) and the messages it sends them, the one keymap
// (keys.go) and the one set of styles (styles.go), and the small pieces
// panes share: forms, a list cursor, a status line, a yes/no question
// bound to what it asks about, countdowns and their ticks, the code box,
// copying to the clipboard and the privacy policy's reader.
//
// Panes import kit and never each other; kit knows no pane.
//
// May import from this repository: store, tui/privacy, tui/sanitize,
// tui/wording.
package kit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

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

// Common is shared by the root model and every screen of one session. It
// carries no service: each pane is handed the narrow ones it uses.
type Common struct {
	Ctx     context.Context
	Log     *slog.Logger
	Session *Session
	Styles  *Styles
	Keys    *KeyMap
	// SSHCommand is how people reach this server, e.g. "ssh -p 2222
	// localhost", for the commands the dashboard suggests.
	SSHCommand string
	Width      int
	Height     int

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
	// Post, if set, hands a message to the session's program from any
	// goroutine without waiting for it to be taken. The dashboard's live
	// events and countdowns need it: without it, events are not followed.
	Post func(msg tea.Msg)
}

// CopyToClipboard puts text on the person's own clipboard with OSC 52 (a
// write to the system clipboard, which terminals that allow it honour,
// over SSH too). The text is cleaned first: what a person pastes must not
// carry escape sequences a provider or processor slipped into it.
func (c *Common) CopyToClipboard(text string) {
	if c.Emit != nil {
		c.Emit(ansi.SetSystemClipboard(sanitize.Line(text)))
	}
}

// CopiedMsg says what CopyCmd put on the clipboard; Owner is the pane
// that tells the person.
type CopiedMsg struct{ Owner, What string }

// CopyCmd puts text on the person's clipboard off the update loop; owner
// is the pane that tells the person, what names the text in its notice.
func CopyCmd(c *Common, owner, text, what string) tea.Cmd {
	return func() tea.Msg {
		c.CopyToClipboard(text)
		return CopiedMsg{Owner: owner, What: what}
	}
}

// SSHWith is the SSH command with extra client flags and a remote command,
// e.g. SSHWith("-T", "export") → "ssh -T -p 2222 localhost export".
func (c *Common) SSHWith(flags, command string) string {
	return wording.SSHWith(c.SSHCommand, flags, command)
}

// ViaKey reports whether a linked key identified the session when it
// started (rather than a password typed in it).
func (c *Common) ViaKey() bool { return c.Standing.Key != "" }

// Actor is the session's account as the store's admin actions want it.
// It carries the proved key only when the account was resolved from that
// key at the start of the session: after a password sign-in it has none,
// and the store refuses every admin action; with a key, the store checks
// that the host enrolled it for admin use.
func (c *Common) Actor() store.Actor {
	return store.Actor{UserID: c.UserID, Key: c.Standing.Key, Origin: c.Session.Origin}
}

// SayGoodbye sets the line shown once the dashboard has closed.
func (c *Common) SayGoodbye(reason string) {
	if c.Goodbye != nil {
		c.Goodbye(reason)
	}
}

// PasswordChangeStarted and PasswordChangeSettled bracket this session's
// own password change; PasswordChanging reports one in flight, whose
// event must not end the session that made it.
func (c *Common) PasswordChangeStarted() { c.passwordChanges++ }

// PasswordChangeSettled: see PasswordChangeStarted.
func (c *Common) PasswordChangeSettled() { c.passwordChanges-- }

// PasswordChanging: see PasswordChangeStarted.
func (c *Common) PasswordChanging() bool { return c.passwordChanges > 0 }

// Explain turns an error into what the person is told: the message of a
// person-facing error, or a generic apology after logging the details.
func (c *Common) Explain(err error) string {
	if err == nil {
		return ""
	}
	if msg, ok := store.UserMessage(err); ok {
		return msg
	}
	if c.Ctx.Err() == nil && c.Log != nil {
		// c.Ctx carries the session and its address (sshserver, logctx).
		c.Log.ErrorContext(c.Ctx, "session error", "err", err)
	}
	return Sentence(wording.ServerError) + "."
}
