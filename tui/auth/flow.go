// Package auth is the way into the dashboard for a session that its key
// did not sign in: a Flow of screens the shell runs until the person is
// in. Sign in or sign up with email and password (signin.go), or, for a
// forgotten password, a code mailed to the account's address and a new
// password (reset.go); then, for a connection that proved a key no
// account has linked, the offer to remember that key (link.go). The Flow
// switches screens; the shell only waits for DoneMsg.
//
// Like every screen of the dashboard it builds on tui/kit and uses the
// store only through the narrow Store interface it declares.
//
// May import from this repository: store, tui/kit, tui/sanitize.
package auth

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// DoneMsg says the person is in: who, on what standing, and the line the
// dashboard's footer shows first ("" for none).
type DoneMsg struct {
	User     store.User
	Standing store.Standing
	Notice   string
}

// screen is one step of the way in.
type screen interface {
	update(tea.Msg) tea.Cmd
	view() string
	help() []key.Binding
	setSize(w, h int)
}

// Flow is the way in: the current screen and what the earlier ones
// settled.
type Flow struct {
	c      *kit.Common
	st     Store
	screen screen
	signIn *signIn // kept while the reset screen shows, to go back to
	w, h   int

	user     store.User
	standing store.Standing
	notice   string
}

// New starts the way in on the sign-in screen.
func New(c *kit.Common, st Store) *Flow {
	f := &Flow{c: c, st: st}
	f.signIn = newSignIn(c, st)
	f.screen = f.signIn
	return f
}

// Update takes a key or a reply for the current screen, and moves on
// when a screen is done.
func (f *Flow) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case forgotMsg:
		f.show(newReset(f.c, f.st, msg.email))
		return nil
	case backToSignInMsg:
		if msg.email != "" {
			f.signIn.newForm(msg.email)
		}
		f.signIn.err = ""
		f.show(f.signIn)
		return nil
	case signedInMsg:
		f.user, f.standing = msg.user, msg.standing
		if msg.existing {
			f.notice = "You had an account with this email already: signed in to it."
		}
		if msg.reset {
			f.notice = "Password reset: every other session of the account has ended."
		}
		switch {
		case msg.proved != nil && msg.reset:
			f.notice = "Password reset, and key \"" + sanitize.Line(msg.proved.Name) + "\" linked: it was waiting for it."
		case msg.proved != nil:
			f.notice = "Key \"" + sanitize.Line(msg.proved.Name) + "\" linked: it was waiting for this connection."
		case f.c.Session.Key != nil:
			f.screen = newLinkOffer(f.c, f.st, f.user)
			f.screen.setSize(f.w, f.h)
			return nil
		}
		return f.done()
	case linkDoneMsg:
		if msg.linked {
			f.notice = "Key linked: next time this key takes you straight here."
		}
		return f.done()
	}
	return f.screen.update(msg)
}

// show makes s the current screen.
func (f *Flow) show(s screen) {
	f.screen = s
	s.setSize(f.w, f.h)
}

func (f *Flow) done() tea.Cmd {
	done := DoneMsg{User: f.user, Standing: f.standing, Notice: f.notice}
	return func() tea.Msg { return done }
}

// View draws the current screen; the shell centres it.
func (f *Flow) View() string { return f.screen.view() }

// Help is the current screen's keys, for the line under it.
func (f *Flow) Help() []key.Binding { return f.screen.help() }

// SetSize gives the screens the window's size.
func (f *Flow) SetSize(w, h int) {
	f.w, f.h = w, h
	f.screen.setSize(w, h)
}
