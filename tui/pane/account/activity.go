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
	store.SecuritySignup:          "account created",
	store.SecuritySignin:          "signed in",
	store.SecuritySigninFailed:    "wrong password",
	store.SecuritySigninThrottled: "refused: too many tries",
	store.SecurityKeyLinked:       "key linked",
	store.SecurityKeyRemoved:      "key removed",
	store.SecurityKeyRenamed:      "key renamed",
	store.SecurityPasswordChanged: "password changed",
	store.SecurityEmailChanged:    "email changed",
	store.SecurityRoleChanged:     "role changed",
	store.SecurityKeyPending:      "key added, pending",
	store.SecurityAdminKeyEnroll:  "admin key enrolled",
	store.SecurityAdminKeyRemove:  "admin key removed",
}

// failureLabels name a wrong password by what it was typed for (the
// event's detail), so an owner sees someone guessing in a session too.
var failureLabels = map[string]string{
	"sign-up with this email": "sign-up, wrong password",
	"to delete the account":   "wrong password: delete",
	"to change the email":     "wrong password: email",
	"to change the password":  "wrong password: new pw",
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
	for i, e := range a.events {
		if i >= room {
			break
		}
		what := securityLabels[e.Kind]
		if what == "" {
			what = string(e.Kind)
		}
		if e.Kind == store.SecuritySignin && strings.HasPrefix(e.Detail, "key ") {
			what = "signed in with a key"
		}
		if l := failureLabels[e.Detail]; l != "" && e.Kind == store.SecuritySigninFailed {
			what = l
		}
		style := st.Text
		if e.Kind == store.SecuritySigninFailed || e.Kind == store.SecuritySigninThrottled {
			style = st.Error
		}
		client := strings.TrimPrefix(e.ClientVersion, "SSH-2.0-")
		row := fmt.Sprintf("%-16s  %-23s %-16s %s", e.At.UTC().Format("2006-01-02 15:04"), what,
			sanitize.Truncate(kit.HostOnly(e.RemoteAddr), 16), sanitize.Truncate(client, max(8, a.w-59)))
		lines = append(lines, style.Render(row))
	}
	return lines
}
