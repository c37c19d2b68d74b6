package account

import (
	"fmt"
	"strings"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Account pane's second page: recent sign-ins and failures with time,
// address and client, so a person can spot someone else.

var securityLabels = map[store.SecurityKind]string{
	store.SecuritySignup:           "account created",
	store.SecuritySignin:           "signed in",
	store.SecuritySigninFailed:     "wrong password",
	store.SecuritySigninThrottled:  "refused: too many tries",
	store.SecurityKeyLinked:        "key linked",
	store.SecurityKeyRemoved:       "key removed",
	store.SecurityKeyRenamed:       "key renamed",
	store.SecurityPasswordChanged:  "password changed",
	store.SecurityEmailChanged:     "email changed",
	store.SecurityRoleChanged:      "role changed",
	store.SecurityKeyPending:       "key added, pending",
	store.SecurityAdminKeyEnroll:   "admin key enrolled",
	store.SecurityAdminKeyRemove:   "admin key removed",
	store.SecurityEmailVerified:    "email verified",
	store.SecurityEmailChangeAsked: "email change asked",
	store.SecurityResetRequested:   "password reset asked",
	store.SecurityPasswordReset:    "password reset",
	store.SecurityAPIKeyCreated:    "API key created",
	store.SecurityAPIKeyRevoked:    "API key revoked",
	store.SecurityWebhookAdded:     "webhook added",
	store.SecurityWebhookRemoved:   "webhook removed",
	store.SecurityWebhookSecret:    "new webhook secret",
}

// detailed are the events whose detail is shown under their row: which
// addresses, which keys stayed linked after a reset.
var detailed = map[store.SecurityKind]bool{
	store.SecurityEmailVerified:    true,
	store.SecurityEmailChangeAsked: true,
	store.SecurityEmailChanged:     true,
	store.SecurityResetRequested:   true,
	store.SecurityPasswordReset:    true,
	store.SecurityAPIKeyCreated:    true,
	store.SecurityAPIKeyRevoked:    true,
	store.SecurityWebhookAdded:     true,
	store.SecurityWebhookRemoved:   true,
}

// failureLabels name a wrong password by what it was typed for (the
// event's detail), so an owner sees someone guessing in a session too.
var failureLabels = map[string]string{
	"sign-up with this email":      "sign-up, wrong password",
	"to delete the account":        "wrong password: delete",
	"to change the email":          "wrong password: email",
	"to change the password":       "wrong password: new pw",
	"password reset code":          "wrong reset code",
	"to create an API key":         "wrong password: API key",
	"to add a webhook":             "wrong password: webhook",
	"to make a new webhook secret": "wrong password: secret",
}

func (a *Pane) activityView() []string {
	st := a.c.Styles
	lines := []string{st.Muted.Render("Times in UTC. Something you don't recognise? Change your password"),
		st.Muted.Render("and remove the keys you don't know.")}
	if len(a.events) == 0 {
		return append(lines, "", st.Muted.Render("Nothing recorded yet."))
	}
	lines = append(lines, "", st.Muted.Render(fmt.Sprintf("%-16s  %-23s %-16s %s", "WHEN", "WHAT", "FROM", "CLIENT")))
	room := max(1, a.h-7)
	for _, e := range a.events {
		block := a.eventRows(e)
		if room < len(block) {
			break
		}
		room -= len(block)
		lines = append(lines, block...)
	}
	return lines
}

// eventRows are an event's row and, for the kinds that have one, its
// detail wrapped under the WHAT column.
func (a *Pane) eventRows(e store.SecurityEvent) []string {
	st := a.c.Styles
	style := st.Text
	if e.Kind == store.SecuritySigninFailed || e.Kind == store.SecuritySigninThrottled {
		style = st.Error
	}
	client := strings.TrimPrefix(e.ClientVersion, "SSH-2.0-")
	row := fmt.Sprintf("%-16s  %-23s %-16s %s", e.At.UTC().Format("2006-01-02 15:04"),
		sanitize.Truncate(eventLabel(e), 23), sanitize.Truncate(kit.HostOnly(e.RemoteAddr), 16),
		sanitize.Truncate(client, max(8, a.w-59)))
	rows := []string{style.Render(row)}
	if !detailed[e.Kind] || e.Detail == "" {
		return rows
	}
	const indent = 18 // under WHAT
	for _, l := range wrapWords(sanitize.Line(e.Detail), max(20, a.w-indent)) {
		rows = append(rows, strings.Repeat(" ", indent)+st.Muted.Render(l))
	}
	return rows
}

// eventLabel names an event for people.
func eventLabel(e store.SecurityEvent) string {
	switch {
	case e.Kind == store.SecuritySignin && strings.HasPrefix(e.Detail, "key "):
		return "signed in with a key"
	case e.Kind == store.SecuritySignin && e.Detail == "password, after a reset":
		return "signed in by a reset"
	case e.Kind == store.SecuritySigninThrottled && e.Detail == "password reset request":
		return "reset refused: too many"
	case e.Kind == store.SecuritySigninFailed && failureLabels[e.Detail] != "":
		return failureLabels[e.Detail]
	case securityLabels[e.Kind] != "":
		return securityLabels[e.Kind]
	}
	return string(e.Kind)
}

// wrapWords breaks text into lines of at most width columns at spaces (a
// longer word is cut: lines never overflow).
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
		for len([]rune(line)) > width {
			r := []rune(line)
			lines = append(lines, string(r[:width]))
			line = string(r[width:])
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
