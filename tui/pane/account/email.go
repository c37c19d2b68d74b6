package account

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The account's address on the first page: verified or not, a change
// waiting for its code, and the code typed (v) or asked for again (s).
// A change of address is confirmed only here, by the code mailed to the
// new address: never by a link, which whoever owns a mistyped address
// could open.

// waiting reports whether a code is expected: the address is not verified,
// or a change waits for the new one's code.
func (a *Pane) waiting() bool {
	e := a.email
	return e.Email != "" && (!e.Verified() || e.Pending != "")
}

// emailLoaded takes a fresh state of the address; a code form whose code
// was used meanwhile (the sign-up link, another session) closes.
func (a *Pane) emailLoaded(e store.EmailState) {
	a.email = e
	if a.mode == accountVerify && !a.waiting() {
		a.mode, a.form, a.status.Err = accountList, nil, ""
		a.status.Notice = "Your email address is verified."
	}
}

// submitCode uses the code typed.
func (a *Pane) submitCode() tea.Cmd {
	c, st, uid, code := a.c, a.st, a.c.UserID, strings.TrimSpace(a.form.Value(0))
	if code == "" {
		a.status.Err = "Type the code from the email."
		return nil
	}
	before := a.email
	return a.run(func() (string, error) {
		u, err := st.VerifyEmail(c.Ctx, uid, code, c.Session.Origin)
		if err != nil {
			return "", err
		}
		if before.Pending != "" && u.Email != before.Email {
			return "Your email is now " + u.Email + ". A mail tells " + before.Email + ".", nil
		}
		return "Your email address is verified.", nil
	})
}

// resendCode mails a new code for what waits (throttled by the store).
func (a *Pane) resendCode() tea.Cmd {
	c, st, uid := a.c, a.st, a.c.UserID
	return a.run(func() (string, error) {
		to, err := st.ResendVerification(c.Ctx, uid, c.Session.Origin)
		return "A new code went to " + to + ".", err
	})
}

// changeAsked is the notice after an email change was asked for.
func changeAsked(to string) string {
	return "A code went to " + to + ": type it here (v) to make the change."
}

// emailRows show the address and what waits for a code, under its label.
func (a *Pane) emailRows() []string {
	st := a.c.Styles
	e := a.email
	row := st.Label.Render("Email") + st.Text.Render(sanitize.Truncate(sanitize.Line(a.c.User.Email), 40))
	indent := strings.Repeat(" ", st.Label.GetWidth())
	switch {
	case e.Email == "":
		return []string{row}
	case e.Pending != "":
		next := "changing to " + sanitize.Truncate(sanitize.Line(e.Pending), 26)
		how := ": press v to type its code"
		if e.CodeUntil.IsZero() {
			how = ": its code expired, s sends a new one"
		}
		return []string{row + st.Muted.Render("  verified"), indent + st.Warning.Render(next) + st.Muted.Render(how)}
	case e.Verified():
		return []string{row + st.Muted.Render("  verified")}
	}
	how := "press v to type the code (until " + until(e) + ")"
	if e.CodeUntil.IsZero() {
		how = "no code waiting: press s to mail a new one"
	}
	return []string{row + st.Warning.Render("  not verified"), indent + st.Muted.Render(how)}
}

// until is when the waiting code expires, for people.
func until(e store.EmailState) string { return e.CodeUntil.UTC().Format("2 Jan 15:04 UTC") }

// verifyView is the code form.
func (a *Pane) verifyView() []string {
	st := a.c.Styles
	e := a.email
	title, to := "Verify your email", e.Email
	if e.Pending != "" {
		title, to = "Confirm your new email", e.Pending
	}
	about := "Type the code mailed to " + sanitize.Truncate(sanitize.Line(to), 40) + "."
	when := "It works once, until " + until(e) + ". No mail? esc, then s for a new one."
	if e.CodeUntil.IsZero() {
		when = "No code is waiting: esc, then s mails a new one."
	}
	return []string{st.Subtitle.Render(title), st.Muted.Render(about), st.Muted.Render(when), "", a.form.View()}
}
