package auth

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// signIn is the sign-in / sign-up screen shown to a key that no account
// has linked, and to clients without a key.
type signIn struct {
	c       *kit.Common
	st      Store
	signup  bool
	form    *kit.Form
	err     string
	busy    bool
	seq     int // drops replies to an attempt the person has moved on from
	privacy *kit.PolicyView
	w, h    int
}

// signedInMsg says who signed in (or up).
type signedInMsg struct {
	user     store.User
	standing store.Standing
	signup   bool
	// existing: a sign-up with the email and password of an account
	// signed in to it.
	existing bool
	// proved is the session's key when it was waiting, pasted, on the
	// account: this connection proved it, so it is linked now.
	proved *store.Key
	// reset: signed in by a password reset, which ended every other
	// session of the account.
	reset bool
}

// forgotMsg asks the way in for the reset screen, with the email typed.
type forgotMsg struct{ email string }

type signInFailedMsg struct {
	seq int
	err error
}

func newSignIn(c *kit.Common, st Store) *signIn {
	a := &signIn{c: c, st: st}
	a.newForm("")
	return a
}

// newForm lays the form out for the mode, email typed in.
func (a *signIn) newForm(email string) {
	specs := []kit.Field{
		{Label: "Email", Limit: 254, Hint: "you@example.com"},
		{Label: "Password", Secret: true, Limit: kit.PasswordFieldLimit},
	}
	if a.signup {
		specs = append(specs, kit.Field{Label: "Confirm", Secret: true, Limit: kit.PasswordFieldLimit},
			kit.Field{Label: "I am 13 or older", Checkbox: true})
	}
	a.form = kit.NewForm(a.c, specs...)
	a.form.SetWidth(56)
	if email != "" {
		a.form.SetValue(0, email)
		a.form.Focus(1)
	}
}

func (a *signIn) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case signInFailedMsg:
		if msg.seq == a.seq {
			a.busy = false
			a.err = a.c.Explain(msg.err)
			a.form.Clear(true)
			a.form.Focus(1)
		}
	case kit.PolicyClosedMsg:
		a.privacy = nil
	case tea.KeyMsg:
		if a.privacy != nil {
			return a.privacy.Update(msg)
		}
		if msg.String() == "esc" {
			return tea.Quit // the way out, busy or not
		}
		if a.busy {
			return nil
		}
		if key.Matches(msg, a.c.Keys.Privacy) {
			a.privacy = kit.NewPolicyView(a.c, min(a.w-4, 76), a.h-2)
			return nil
		}
		if key.Matches(msg, a.c.Keys.Forgot) {
			email := strings.TrimSpace(a.form.Value(0))
			return func() tea.Msg { return forgotMsg{email: email} }
		}
		if key.Matches(msg, a.c.Keys.SwitchMode) {
			a.signup = !a.signup
			a.err = ""
			a.newForm(a.form.Value(0))
			return nil
		}
		submit, cmd := a.form.Update(msg)
		if submit {
			return a.submit()
		}
		return cmd
	}
	return nil
}

// submit checks what can be checked here, then asks the store.
func (a *signIn) submit() tea.Cmd {
	email, pw := strings.TrimSpace(a.form.Value(0)), a.form.Value(1)
	if _, err := store.NormalizeEmail(email); err != nil {
		a.err = a.c.Explain(err)
		a.form.Focus(0)
		return nil
	}
	if a.signup {
		if err := store.CheckPasswordRules(pw); err != nil {
			a.err = a.c.Explain(err)
			a.form.Focus(1)
			return nil
		}
		if pw != a.form.Value(2) {
			a.err = "The two passwords do not match."
			a.form.Clear(true)
			a.form.Focus(1)
			return nil
		}
		if a.form.Value(3) == "" {
			a.err = "WantSMS is not for children under 13: tick the box to confirm your age."
			a.form.Focus(3)
			return nil
		}
	}
	a.seq++
	a.busy, a.err = true, ""
	seq, signup, c, st := a.seq, a.signup, a.c, a.st
	return func() tea.Msg {
		done := signedInMsg{signup: signup}
		var err error
		if signup {
			done.user, done.standing, done.existing, err = st.SignUp(c.Ctx, email, pw, c.Session.Origin)
		} else {
			done.user, done.standing, err = st.SignInWithPassword(c.Ctx, email, pw, c.Session.Origin)
		}
		if err != nil {
			return signInFailedMsg{seq: seq, err: err}
		}
		done.proved = provePendingKey(c, st, done.user.ID)
		return done
	}
}

// provePendingKey links the session's key if it was pasted on the account
// and waits there: signing in with the password over a connection that
// proved the key is what it waited for. nil when there was none (or it
// could not be linked: the person is offered to link it as usual).
func provePendingKey(c *kit.Common, st Store, userID int64) *store.Key {
	if c.Session.Key == nil {
		return nil
	}
	k, err := st.ProvePendingKey(c.Ctx, userID, *c.Session.Key, c.Session.Origin)
	if err != nil {
		if !errors.Is(err, store.ErrNoKey) {
			c.Explain(err) // logs what went wrong
		}
		return nil
	}
	return &k
}

func (a *signIn) help() []key.Binding {
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
		return a.privacy.Help()
	}
	if a.signup {
		return []key.Binding{submit, next, mode, privacy, quit}
	}
	return []key.Binding{submit, next, mode, a.c.Keys.Forgot, quit}
}

func (a *signIn) setSize(w, h int) {
	a.w, a.h = w, h
	if a.privacy != nil {
		a.privacy.SetSize(min(w-4, 76), h-2)
	}
}

func (a *signIn) view() string {
	if a.privacy != nil {
		return a.privacy.View()
	}
	st := a.c.Styles
	title := "Sign in"
	other := "Sign up"
	if a.signup {
		title, other = "Create your account", "Sign in"
	}
	tabs := st.ActiveTab.Render(title) + st.Muted.Render("  ·  ctrl+n: "+strings.ToLower(other))
	if !a.signup {
		tabs += st.Muted.Render("  ·  ctrl+r: forgot password")
	}
	lines := []string{
		st.Brand.Render("WantSMS") + st.Muted.Render("  temporary numbers for verification codes"),
		"",
		tabs,
		"",
		a.form.View(),
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
