package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/mail/smtptest"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// The account mail as a person meets it in the dashboard, over SSH, with
// a real mail server receiving the mails: the tests read the codes from
// the mails and type them, as a person would.

// A new account verifies its address in the dashboard: the header asks
// until it is done; a wrong code is refused; the mailed one verifies.
func TestSignUpThenVerifyInTheDashboard(t *testing.T) {
	env, srv := smtpEnv(t)
	term := env.Dial(t, testenv.NewKey(t))
	signUp(t, term, "typist@example.com", "secret password")
	expect(t, term, "Remember this key?")
	term.Type("n")
	expect(t, term, "verify your email: Account tab, press v")
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("typist@example.com", "verify your email"))
	code := testenv.CodeIn(m.Text)
	if code == "" || !strings.Contains(m.Text, "Account tab (press v)") {
		t.Fatalf("the verification mail:\n%s", m.Text)
	}
	openPane(t, term, "Account", "not verified")
	term.Type("v")
	expect(t, term, "Type the code mailed to typist@example.com")
	term.Type("WXYZ-WXYZ")
	term.Press(sshterm.Enter)
	expect(t, term, "wrong or expired code")
	term.Press(sshterm.Ctrl('u'))
	term.Type(strings.ToLower(code))
	term.Press(sshterm.Enter)
	expect(t, term, "Your email address is verified.")
	if err := term.WaitGone(testenv.Wait, "verify your email"); err != nil {
		t.Fatal(err)
	}
	u, _ := env.Store().UserByEmail(context.Background(), "typist@example.com")
	if !u.Verified() {
		t.Fatal("the dashboard said verified; the store did not")
	}
}

// Forgot password, over SSH: ctrl+r on the sign-in screen, the address,
// the code from the mail and a new password sign in (and the usual offer
// to remember the key follows); every other session of the account ends,
// the one of a linked key too; the key stays linked. An address without an
// account gets the same answer and no mail.
func TestForgotPasswordInTheDashboard(t *testing.T) {
	env, srv := smtpEnv(t)
	u, key := env.NewUser("forgot@example.com")
	byKey := env.Dial(t, key)
	expect(t, byKey, "forgot@example.com")
	byPassword := env.Dial(t, nil)
	signIn(t, byPassword, "forgot@example.com", testenv.Password)
	expect(t, byPassword, "$0.00")

	// Nobody's address: the same sentence, no mail.
	probe := env.Dial(t, nil)
	expect(t, probe, "ctrl+r: forgot password")
	probe.Press(sshterm.Ctrl('r'))
	expect(t, probe, "Forgot your password?")
	probe.Type("nobody@example.com")
	probe.Press(sshterm.Enter)
	expect(t, probe, "If an account uses this address, a code is on its way to it.")

	term := env.Dial(t, testenv.NewKey(t))
	expect(t, term, "ctrl+r: forgot password")
	term.Type("forgot@example.com")
	term.Press(sshterm.Ctrl('r'))
	expect(t, term, "Forgot your password?")
	term.Press(sshterm.Enter) // the email carried over from the sign-in form
	expect(t, term, "If an account uses this address, a code is on its way to it.")
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("forgot@example.com", "reset code"))
	code := testenv.CodeIn(m.Text)
	if code == "" || !strings.Contains(m.Text, "forgot password") {
		t.Fatalf("the reset mail:\n%s", m.Text)
	}
	term.Type(code)
	term.Press(sshterm.Tab)
	term.Type("a brand new password")
	term.Press(sshterm.Tab)
	term.Type("a brand new password")
	term.Press(sshterm.Enter)
	expect(t, term, "Remember this key?")
	term.Type("n")
	expect(t, term, "Password reset: every other session of the account has ended.")

	expect(t, byKey, "The account's password was reset")
	if _, err := byKey.Wait(); err != nil {
		t.Fatalf("the key's session did not end: %v", err)
	}
	expect(t, byPassword, "password was changed")
	if _, err := byPassword.Wait(); err != nil {
		t.Fatalf("the password's session did not end: %v", err)
	}
	again := env.Dial(t, key)
	expect(t, again, "forgot@example.com") // the key is still linked
	for _, got := range srv.Messages() {
		if got.To[0] == "nobody@example.com" {
			t.Fatalf("a mail went to an address without an account: %s", got.Subject)
		}
	}
	evs, _ := env.Store().SecurityEvents(context.Background(), u.ID, 10)
	if len(evs) == 0 || !hasKind(evs, store.SecurityPasswordReset) {
		t.Fatalf("Sign-in activity: %+v", evs)
	}
}

func hasKind(evs []store.SecurityEvent, k store.SecurityKind) bool {
	for _, e := range evs {
		if e.Kind == k {
			return true
		}
	}
	return false
}

// An email change is asked in the dashboard and confirmed there with the
// code mailed to the new address: that mail has no link, and no link
// changes the address (not the sign-up one still in the old mailbox: the
// change replaced its code). Both addresses are told; the header follows.
func TestEmailChangeFromDashboardTellsBothAddresses(t *testing.T) {
	env, srv := smtpEnv(t)
	ctx := context.Background()
	u, key := env.NewUnverifiedUser("before@example.com")
	signup := srv.WaitFor(t, testenv.Wait, smtptest.To("before@example.com", "verify your email"))
	link := testenv.LinkIn(signup.Text, "verify")
	term := env.Dial(t, key)
	openPane(t, term, "Account", "Profile & keys")
	term.Type("e")
	expect(t, term, "Change email")
	term.Type("after@example.com")
	term.Press(sshterm.Tab)
	term.Type(testenv.Password)
	term.Press(sshterm.Enter)
	expect(t, term, "A code went to after@example.com: type it here (v) to make the change.")
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("after@example.com", "confirm your new email"))
	code := testenv.CodeIn(m.Text)
	if code == "" || strings.Contains(m.Text, "/verify/") || strings.Contains(m.HTML, "/verify/") {
		t.Fatalf("the change's mail must carry a code and no link:\n%s", m.Text)
	}
	if status, page := openLink(t, "POST", link, ""); status == 200 {
		t.Fatalf("the sign-up link still works after the change was asked: %s", page)
	}
	if got, _ := env.Store().UserByID(ctx, u.ID); got.Email != "before@example.com" || got.Verified() {
		t.Fatalf("a link changed the account: %+v", got)
	}
	expect(t, term, "changing to after@example.com")
	term.Type("v")
	expect(t, term, "Confirm your new email")
	term.Type(code)
	term.Press(sshterm.Enter)
	expect(t, term, "Your email is now after@example.com. A mail tells before@example.com.")
	told := srv.WaitFor(t, testenv.Wait, smtptest.To("before@example.com", "was changed"))
	if !strings.Contains(told.Text, "from before@example.com to after@example.com") {
		t.Fatalf("the old address was told:\n%s", told.Text)
	}
	expect(t, term, "after@example.com  $0.00") // the header follows
	got, _ := env.Store().UserByID(ctx, u.ID)
	if got.Email != "after@example.com" || !got.Verified() {
		t.Fatalf("after the code: %+v", got)
	}
	evs, _ := env.Store().SecurityEvents(ctx, u.ID, 5)
	if evs[0].Kind != store.SecurityEmailChanged {
		t.Fatalf("latest event %s, want email_changed", evs[0].Kind)
	}
}

// Receipts turned off in the dashboard: a credited top-up mails none;
// turned on again, the next one does.
func TestReceiptsOffInTheDashboard(t *testing.T) {
	srv := smtptest.Start(t)
	env := testenv.StartWithPayments(t, testenv.WithSMTP(srv))
	ctx := context.Background()
	u, key := env.NewUser("quiet@example.com")
	term := env.Dial(t, key)
	openPane(t, term, "Account", "Profile & keys")
	term.Press(sshterm.Right, sshterm.Right) // Sign-in activity, Mail
	expect(t, term, "[on]  top-up receipts") // the notices loaded: keys before are for an empty list
	term.Press(sshterm.Down)
	expect(t, term, "▸ [on]  top-up receipts")
	term.Press(sshterm.Enter)
	expect(t, term, "Top-up receipts by email: off.")
	pay := func(id string, cents int64) store.Order {
		t.Helper()
		o, err := env.Svc.Payments().OpenCard(ctx, u, cents)
		if err != nil {
			t.Fatal(err)
		}
		if code := env.StripeEvent(t, id, billing.EventCheckoutCompleted, o, true); code != 200 {
			t.Fatalf("webhook: %d", code)
		}
		return o
	}
	pay("evt_quiet_1", 1000)
	eventually(t, func() bool { u, _ := env.Store().UserByID(ctx, u.ID); return u.BalanceCents == 1000 })
	// The receipt is queued, or not, in the transaction that credits.
	if receipts(t, env.Env, u.ID) != 0 {
		t.Fatal("a receipt was queued with receipts off")
	}
	term.Press(sshterm.Enter)
	expect(t, term, "Top-up receipts by email: on.")
	o := pay("evt_quiet_2", 500)
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("quiet@example.com", "receipt"))
	if !strings.Contains(m.Subject, o.Number) || receipts(t, env.Env, u.ID) != 1 {
		t.Fatalf("the receipt after turning them on: %s", m.Subject)
	}
	expect(t, term, "top-up receipts") // the Mail page's log lists it
}

func receipts(t *testing.T, env *testenv.Env, userID int64) int {
	t.Helper()
	log, err := env.Store().MailLog(context.Background(), userID, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range log {
		if l.Kind == store.MailTopupReceipt {
			n++
		}
	}
	return n
}
