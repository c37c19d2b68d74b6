package e2e

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// The server's log, at its most detailed, never holds a person's email
// or password through a whole life of an account: sign-up, a wrong
// password and a sign-in, the verification of the address by its mailed
// link, card and Bitcoin top-ups, a number and its SMS, an export, an
// email change (verified the same way), the deletion from the dashboard, and an
// admin deleting another account by its email. Logs are read by
// operators and shipped to other systems; addresses and session ids
// identify a connection well enough.
func TestLogsHoldNoEmailOrPassword(t *testing.T) {
	var logs syncBuffer
	env := testenv.StartWithPayments(t, testenv.SimNumbers(time.Second, false, time.Hour), func(c *service.Config) {
		c.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const (
		email    = "Log.Shy.4417@Example.com"
		newEmail = "log-moved-9902@example.com"
		other    = "log-other-5123@example.com"
		password = "quiet-pass-6620"
	)
	key := testenv.NewKey(t)
	term := env.Dial(t, key)
	signUp(t, term, email, password)
	expect(t, term, "Remember this key?")
	term.Type("y")
	expect(t, term, "Key linked")
	u, err := env.Store().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	verifyByMail(t, env.Env, strings.ToLower(email))

	guest := env.Dial(t, nil)
	signIn(t, guest, email, "not the password")
	expect(t, guest, "wrong email or password")
	clearField(guest)
	guest.Type(password)
	guest.Press(sshterm.Enter)
	onDashboard(t, guest)

	ok(t, env.Env, key, "topup card 10")
	if code := env.StripeEvent(t, "evt_logs", billing.EventCheckoutCompleted, env.LastOrder(t, u.ID), true); code != 200 {
		t.Fatalf("stripe webhook: %d", code)
	}
	ok(t, env.Env, key, "topup btc 10")
	o := env.LastOrder(t, u.ID)
	if code := env.BTCCallback(t, store.BTCStatusConfirmed, o.BTCAddress, strings.Repeat("5e", 32), o.BTCExpectedSats); code != 200 {
		t.Fatalf("bitcoin callback: %d", code)
	}
	term = env.Dial(t, key) // a dashboard the linked key opens
	onDashboard(t, term)
	// The dashboard opens on Numbers. Its tab number typed now could be
	// read together with the filter typed next, as one key ("1tele").
	expect(t, term, "choose a service")
	reserve(t, term, "tele", "Telegram")
	expect(t, term, "Code")
	ok(t, env.Env, key, "export")

	openPane(t, term, "Account", "Profile & keys")
	term.Type("e")
	expect(t, term, "Change email")
	term.Type(newEmail)
	term.Press(sshterm.Tab)
	term.Type(password)
	term.Press(sshterm.Enter)
	expect(t, term, "A code went to")
	// The change takes effect with the code mailed to the new address,
	// typed in the dashboard once it shows the change waiting (v means
	// nothing before).
	expect(t, term, "changing to log-moved-9902")
	term.Type("v")
	expect(t, term, "Confirm your new email")
	term.Type(testenv.CodeIn(env.WaitMail(t, newEmail, "confirm your new email").Text))
	term.Press(sshterm.Enter)
	expect(t, term, "Your email is now")
	term.Press(sshterm.Left)
	expect(t, term, "Export my data")
	term.Type("D")
	expect(t, term, "Delete your account")
	term.Type(password)
	term.Press(sshterm.Enter)
	expect(t, term, "account has been deleted")

	_, adminKey := env.NewAdmin("log-boss-3300@example.com")
	env.NewUser(other)
	ok(t, env.Env, adminKey, "admin delete "+other+" --reason 'asked by mail'")
	env.Stop() // the shutdown's lines too

	all := strings.Join(logs.lines(""), "\n")
	if !strings.Contains(all, `"msg":"session start"`) || !strings.Contains(all, "bitcoin callback applied") {
		t.Fatalf("the log did not record the journey:\n%s", all)
	}
	for _, secret := range []string{email, strings.ToLower(email), url.QueryEscape(email), "log.shy.4417", newEmail,
		"log-moved-9902", other, "log-other-5123", "log-boss-3300", password} {
		if containsFold(all, secret) {
			for _, line := range logs.lines("") {
				if containsFold(line, secret) {
					t.Errorf("a log line holds %q: %s", secret, line)
				}
			}
		}
	}
}
