package tui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
)

// authModel is the sign-in / sign-up screen shown to a key that no account
// has linked, and to clients without a key.
type authModel struct {
	c       *Common
	signup  bool
	form    *form
	err     string
	busy    bool
	seq     int // drops replies to an attempt the person has moved on from
	privacy *privacyView
	w, h    int
}

// authDoneMsg says who signed in (or up).
type authDoneMsg struct {
	user     store.User
	standing store.Standing
	signup   bool
	// existing: a sign-up with the email and password of an account
	// signed in to it.
	existing bool
	// proved is the session's key when it was waiting, pasted, on the
	// account: this connection proved it, so it is linked now.
	proved *store.Key
}

type authFailedMsg struct {
	seq int
	err error
}

func newAuth(c *Common) *authModel {
	a := &authModel{c: c}
	a.reset("")
	return a
}

func (a *authModel) reset(email string) {
	specs := []fieldSpec{
		{label: "Email", limit: 254, hint: "you@example.com"},
		{label: "Password", secret: true, limit: passwordFieldLimit},
	}
	if a.signup {
		specs = append(specs, fieldSpec{label: "Confirm", secret: true, limit: passwordFieldLimit},
			fieldSpec{label: "I am 13 or older", checkbox: true})
	}
	a.form = newForm(a.c, specs...)
	a.form.setWidth(56)
	if email != "" {
		a.form.inputs[0].SetValue(email)
		a.form.setFocus(1)
	}
}

func (a *authModel) Init() tea.Cmd { return nil }

func (a *authModel) Update(msg tea.Msg) (*authModel, tea.Cmd) {
	switch msg := msg.(type) {
	case authFailedMsg:
		if msg.seq == a.seq {
			a.busy = false
			a.err = a.c.explain(msg.err)
			a.form.clear(true)
			a.form.setFocus(1)
		}
	case privacyClosedMsg:
		a.privacy = nil
	case tea.KeyMsg:
		if a.privacy != nil {
			return a, a.privacy.update(msg)
		}
		if a.busy {
			return a, nil
		}
		if key.Matches(msg, a.c.Keys.Privacy) {
			a.privacy = newPrivacyView(a.c, min(a.w-4, 76), a.h-2)
			return a, nil
		}
		if key.Matches(msg, a.c.Keys.SwitchMode) {
			a.signup = !a.signup
			a.err = ""
			a.reset(a.form.value(0))
			return a, nil
		}
		submit, cmd := a.form.update(msg)
		if submit {
			return a, a.submit()
		}
		return a, cmd
	}
	return a, nil
}

// submit checks what can be checked here, then asks the store.
func (a *authModel) submit() tea.Cmd {
	email, pw := strings.TrimSpace(a.form.value(0)), a.form.value(1)
	if _, err := store.NormalizeEmail(email); err != nil {
		a.err = a.c.explain(err)
		a.form.setFocus(0)
		return nil
	}
	if a.signup {
		if err := store.CheckPasswordRules(pw); err != nil {
			a.err = a.c.explain(err)
			a.form.setFocus(1)
			return nil
		}
		if pw != a.form.value(2) {
			a.err = "The two passwords do not match."
			a.form.clear(true)
			a.form.setFocus(1)
			return nil
		}
		if a.form.value(3) == "" {
			a.err = "WantSMS is not for children under 13: tick the box to confirm your age."
			a.form.setFocus(3)
			return nil
		}
	}
	a.seq++
	a.busy, a.err = true, ""
	seq, signup, c := a.seq, a.signup, a.c
	return func() tea.Msg {
		done := authDoneMsg{signup: signup}
		var err error
		if signup {
			done.user, done.standing, done.existing, err = c.Deps.Store.SignUp(c.Ctx, email, pw, c.Session.Origin)
		} else {
			done.user, done.standing, err = c.Deps.Store.SignInWithPassword(c.Ctx, email, pw, c.Session.Origin)
		}
		if err != nil {
			return authFailedMsg{seq: seq, err: err}
		}
		done.proved = provePendingKey(c, done.user.ID)
		return done
	}
}

// provePendingKey links the session's key if it was pasted on the account
// and waits there: signing in with the password over a connection that
// proved the key is what it waited for. nil when there was none (or it
// could not be linked: the person is offered to link it as usual).
func provePendingKey(c *Common, userID int64) *store.Key {
	if c.Session.Key == nil {
		return nil
	}
	k, err := c.Deps.Store.ProvePendingKey(c.Ctx, userID, *c.Session.Key, c.Session.Origin)
	if err != nil {
		if !errors.Is(err, store.ErrNoKey) {
			c.explain(err) // logs what went wrong
		}
		return nil
	}
	return &k
}

func (a *authModel) help() []key.Binding {
	mode := a.c.Keys.SwitchMode
	mode.SetHelp("ctrl+n", "sign up")
	if a.signup {
		mode.SetHelp("ctrl+n", "sign in")
	}
	submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "submit"))
	next := key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next"))
	privacy := a.c.Keys.Privacy
	privacy.SetHelp("ctrl+p", "privacy")
	quit := key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "quit"))
	if a.privacy != nil {
		return a.privacy.help()
	}
	return []key.Binding{submit, next, mode, privacy, quit}
}

func (a *authModel) setSize(w, h int) {
	a.w, a.h = w, h
	if a.privacy != nil {
		a.privacy.setSize(min(w-4, 76), h-2)
	}
}

func (a *authModel) View() string {
	if a.privacy != nil {
		return a.privacy.view()
	}
	st := a.c.Styles
	title := "Sign in"
	other := "Sign up"
	if a.signup {
		title, other = "Create your account", "Sign in"
	}
	tabs := st.ActiveTab.Render(title) + st.Muted.Render("  ·  ctrl+n: "+strings.ToLower(other))
	lines := []string{
		st.Brand.Render("WantSMS") + st.Muted.Render("  temporary numbers for verification codes"),
		"",
		tabs,
		"",
		a.form.view(),
		"",
	}
	switch {
	case a.busy && a.signup:
		lines = append(lines, st.Muted.Render("Creating your account…"))
	case a.busy:
		lines = append(lines, st.Muted.Render("Checking…"))
	case a.err != "":
		lines = append(lines, st.Error.Render(a.err))
	default:
		lines = append(lines, "")
	}
	if a.signup {
		lines = append(lines, "", st.Muted.Render("Passwords are 8 to 128 characters. Space ticks the box."),
			st.Muted.Render("Creating an account means you accept our privacy policy (ctrl+p)."))
	}
	if a.c.Session.Key == nil {
		lines = append(lines, "", st.Muted.Render("Tip: connect with an SSH key and link it to skip the password next time."))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}
