package auth

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// reset is the "forgot password" screen, reached from sign-in with
// ctrl+r: first the email, to which a code is mailed; then the code and a
// new password, which sign the person in and end every other session of
// the account. Whether the email has an account shows nowhere: the answer
// to the first step is one sentence, whatever was typed.
type reset struct {
	c     *kit.Common
	st    Store
	email string // the address the code was asked for (step two)
	code  bool   // step two: the code and the new password
	sent  bool   // step two after asking for a code (not after ctrl+t)
	form  *kit.Form
	err   string
	busy  bool
	seq   int // drops replies to a step the person has left
}

// Replies of the reset's steps.
type (
	resetAskedMsg struct {
		seq int
		err error
	}
	resetFailedMsg struct {
		seq int
		err error
	}
	// backToSignInMsg leaves the reset for the sign-in screen, with the
	// email typed.
	backToSignInMsg struct{ email string }
)

// resetSentSentence is what the first step answers for any address, so
// that nobody learns from it whether the address has an account.
const resetSentSentence = "If an account uses this address, a code is on its way to it."

func newReset(c *kit.Common, st Store, email string) *reset {
	r := &reset{c: c, st: st}
	r.askEmail(email)
	return r
}

// askEmail shows the first step, email typed in.
func (r *reset) askEmail(email string) {
	r.code, r.err = false, ""
	r.form = kit.NewForm(r.c, kit.Field{Label: "Email", Limit: 254, Hint: "you@example.com"})
	r.form.SetWidth(56)
	r.form.SetValue(0, email)
}

// askCode shows the second step for email.
func (r *reset) askCode(email string) {
	r.code, r.email = true, email
	r.form = kit.NewForm(r.c, kit.Field{Label: "Code", Limit: 20, Hint: "ABCD-EFGH"},
		kit.Field{Label: "New", Secret: true, Limit: kit.PasswordFieldLimit},
		kit.Field{Label: "Confirm", Secret: true, Limit: kit.PasswordFieldLimit})
	r.form.SetWidth(56)
}

func (r *reset) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case resetAskedMsg:
		if msg.seq != r.seq {
			return nil
		}
		r.busy = false
		if msg.err != nil {
			r.err = r.c.Explain(msg.err)
			return nil
		}
		r.askCode(strings.TrimSpace(r.form.Value(0)))
		r.sent, r.err = true, ""
	case resetFailedMsg:
		if msg.seq != r.seq {
			return nil
		}
		r.busy = false
		r.err = r.c.Explain(msg.err)
		if errors.Is(msg.err, store.ErrBadResetCode) {
			r.form.Focus(0)
		}
	case tea.KeyMsg:
		if r.busy {
			return nil
		}
		return r.key(msg)
	}
	return nil
}

func (r *reset) key(msg tea.KeyMsg) tea.Cmd {
	k := r.c.Keys
	switch {
	case key.Matches(msg, k.Back) && r.code:
		r.askEmail(r.email)
		return nil
	case key.Matches(msg, k.Back):
		email := strings.TrimSpace(r.form.Value(0))
		return func() tea.Msg { return backToSignInMsg{email: email} }
	case key.Matches(msg, k.HaveCode) && !r.code:
		email := strings.TrimSpace(r.form.Value(0))
		if _, err := store.NormalizeEmail(email); err != nil {
			r.err = r.c.Explain(err)
			return nil
		}
		r.askCode(email)
		r.sent, r.err = false, ""
		return nil
	}
	submit, cmd := r.form.Update(msg)
	if !submit {
		return cmd
	}
	if r.code {
		return r.submitCode()
	}
	return r.submitEmail()
}

// submitEmail asks for a code: the store answers the same for any address.
func (r *reset) submitEmail() tea.Cmd {
	email := strings.TrimSpace(r.form.Value(0))
	if _, err := store.NormalizeEmail(email); err != nil {
		r.err = r.c.Explain(err)
		return nil
	}
	r.seq++
	r.busy, r.err = true, ""
	seq, c, st := r.seq, r.c, r.st
	return func() tea.Msg {
		return resetAskedMsg{seq: seq, err: st.RequestPasswordReset(c.Ctx, email, c.Session.Origin)}
	}
}

// submitCode resets the password with the code and signs the person in.
func (r *reset) submitCode() tea.Cmd {
	code, pw := strings.TrimSpace(r.form.Value(0)), r.form.Value(1)
	switch {
	case code == "":
		r.err = "Type the code from the email."
		r.form.Focus(0)
		return nil
	case store.CheckPasswordRules(pw) != nil:
		r.err = r.c.Explain(store.CheckPasswordRules(pw))
		r.form.Clear(true)
		r.form.Focus(1)
		return nil
	case pw != r.form.Value(2):
		r.err = "The two passwords do not match."
		r.form.Clear(true)
		r.form.Focus(1)
		return nil
	}
	r.seq++
	r.busy, r.err = true, ""
	seq, c, st, email := r.seq, r.c, r.st, r.email
	return func() tea.Msg {
		u, standing, err := st.ResetPassword(c.Ctx, email, code, pw, c.Session.Origin)
		if err != nil {
			return resetFailedMsg{seq: seq, err: err}
		}
		return signedInMsg{user: u, standing: standing, reset: true, proved: provePendingKey(c, st, u.ID)}
	}
}

// sentence heads the second step: the same whatever the address.
func (r *reset) sentence() string {
	if r.sent {
		return resetSentSentence
	}
	return "Type the code mailed to this address, and a new password."
}

func (r *reset) help() []key.Binding {
	k := r.c.Keys
	if r.code {
		submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "reset and sign in"))
		back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "another address or code"))
		return []key.Binding{submit, k.NextIn, back}
	}
	submit := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send me a code"))
	back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to sign in"))
	return []key.Binding{submit, k.HaveCode, back}
}

func (r *reset) setSize(int, int) {}

func (r *reset) view() string {
	st := r.c.Styles
	lines := []string{
		st.Brand.Render("WantSMS") + st.Muted.Render("  temporary numbers for verification codes"),
		"",
	}
	if r.code {
		lines = append(lines,
			st.ActiveTab.Render("Reset your password"),
			"",
			st.Text.Render(r.sentence()),
			st.Muted.Render("Address: ")+st.Text.Render(sanitize.Truncate(sanitize.Line(r.email), 48)),
			st.Muted.Render(fmt.Sprintf("A code works once, within %d minutes; look in your spam folder too.",
				int(store.ResetCodeTTL/time.Minute))),
			"",
			r.form.View(),
			"",
		)
	} else {
		lines = append(lines,
			st.ActiveTab.Render("Forgot your password?"),
			"",
			st.Text.Render("Type the email address of your account: we mail it a code that lets"),
			st.Text.Render("you choose a new password. Every other session of the account ends."),
			"",
			r.form.View(),
			"",
		)
	}
	switch {
	case r.busy && r.code:
		lines = append(lines, st.Muted.Render("Checking…"))
	case r.busy:
		lines = append(lines, st.Muted.Render("Sending…"))
	case r.err != "":
		lines = append(lines, st.Error.Render(sanitize.Line(r.err)))
	default:
		lines = append(lines, "")
	}
	if r.code {
		lines = append(lines, "", st.Muted.Render("Passwords are 8 to 128 characters. Your linked SSH keys stay linked."))
	} else {
		lines = append(lines, "", st.Muted.Render("Got a code already? Press ctrl+t to type it."))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}
