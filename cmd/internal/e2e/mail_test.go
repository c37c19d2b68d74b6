package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/mail/smtptest"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// openLink fetches one of our mail links as a browser would (GET) or as
// its page's button does (POST), checks the page keeps its promises (no
// cookie, nothing loaded) and returns the status and the page.
func openLink(t *testing.T, method, link, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, link, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := (&http.Client{Timeout: testenv.Wait}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, _ := io.ReadAll(res.Body)
	checkResponse(t, method+" "+link, res, string(page))
	return res.StatusCode, string(page)
}

// verifyByMail verifies an address as its owner does: the link of the
// verification mail (a server without SMTP writes it to its maildir),
// then the button on its page.
func verifyByMail(t *testing.T, env *testenv.Env, email string) {
	t.Helper()
	link := testenv.LinkIn(env.WaitMail(t, email, "email address for WantSMS").Text, "verify")
	if code, page := openLink(t, "POST", link, ""); code != 200 {
		t.Fatalf("verify %s by its mailed link %q: %d %s", email, link, code, page)
	}
}

func smtpEnv(t *testing.T) (*testenv.Env, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	return testenv.Start(t, testenv.WithSMTP(srv)), srv
}

// A person signs up over SSH; the mail server gets the verification mail;
// opening its link shows a button and verifies nothing (a mail scanner
// fetching links must not verify a mistyped address); the button does;
// the link then works no more.
func TestSignUpThenVerifyByTheMailedLink(t *testing.T) {
	env, srv := smtpEnv(t)
	term := env.Dial(t, testenv.NewKey(t))
	signUp(t, term, "newcomer@example.com", "secret password")
	expect(t, term, "Remember this key?")
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("newcomer@example.com", "verify your email"))
	if !m.TLS || !m.Authed {
		t.Fatalf("mail sent without TLS (%v) or authentication (%v)", m.TLS, m.Authed)
	}
	link := testenv.LinkIn(m.Text, "verify")
	if link == "" || !strings.HasPrefix(link, env.URL("/verify/")) || testenv.CodeIn(m.Text) == "" {
		t.Fatalf("the mail's link and code:\n%s", m.Text)
	}
	u, _ := env.Store().UserByEmail(context.Background(), "newcomer@example.com")
	code, page := openLink(t, "GET", link, "")
	if code != 200 || !strings.Contains(page, `<form method="post"`) || !strings.Contains(page, "Verify my address") {
		t.Fatalf("GET the link: %d %s", code, page)
	}
	if got, _ := env.Store().UserByID(context.Background(), u.ID); got.Verified() {
		t.Fatal("opening the link verified the address without the button")
	}
	code, page = openLink(t, "POST", link, "")
	if code != 200 || !strings.Contains(page, "newcomer@example.com is the verified address") {
		t.Fatalf("POST the link: %d %s", code, page)
	}
	if got, _ := env.Store().UserByID(context.Background(), u.ID); !got.Verified() {
		t.Fatal("the button did not verify")
	}
	if code, page = openLink(t, "POST", link, ""); code != 404 || !strings.Contains(page, "not valid any more") {
		t.Fatalf("the link used again: %d %s", code, page)
	}
}

// Forgot password: the reset code reaches the account's address (an
// unknown address gets nothing, and the same answer), names the linked
// keys, and with a new password signs in; the session that signed in
// with the old password ends, the new one works over SSH, and the address
// is told.
func TestForgotPasswordResetAndSignIn(t *testing.T) {
	env, srv := smtpEnv(t)
	ctx := context.Background()
	u, key := env.NewUser("forgetful@example.com")
	old := env.Dial(t, nil)
	signIn(t, old, "forgetful@example.com", testenv.Password)
	expect(t, old, "forgetful@example.com")

	o := store.Origin{RemoteAddr: "198.51.100.30:5000"}
	for _, email := range []string{"forgetful@example.com", "stranger@example.com"} {
		if err := env.Store().RequestPasswordReset(ctx, email, o); err != nil {
			t.Fatalf("reset for %s: %v", email, err)
		}
	}
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("forgetful@example.com", "reset code"))
	code := testenv.CodeIn(m.Text)
	fp := store.SpecOf(key.PublicKey()).Fingerprint
	if code == "" || !strings.Contains(m.Text, "test key "+fp) || !strings.Contains(m.Text, "198.51.100.30") {
		t.Fatalf("reset mail:\n%s", m.Text)
	}
	for _, got := range srv.Messages() {
		if got.To[0] == "stranger@example.com" {
			t.Fatalf("a mail went to an address without an account: %s", got.Subject)
		}
	}
	if _, _, err := env.Store().ResetPassword(ctx, "forgetful@example.com", code, "a new password", o); err != nil {
		t.Fatalf("reset: %v", err)
	}
	expect(t, old, "password was changed")
	if _, err := old.Wait(); err != nil {
		t.Fatalf("the old session did not end: %v", err)
	}
	term := env.Dial(t, nil)
	signIn(t, term, "forgetful@example.com", "a new password")
	expect(t, term, "forgetful@example.com")
	changed := srv.WaitFor(t, testenv.Wait, smtptest.To("forgetful@example.com", "password of your WantSMS account"))
	if !strings.Contains(changed.Text, "with a reset code") || !strings.Contains(changed.Text, fp) {
		t.Fatalf("password-changed mail:\n%s", changed.Text)
	}
	evs, _ := env.Store().SecurityEvents(ctx, u.ID, 20)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, string(e.Kind))
	}
	for _, want := range []store.SecurityKind{store.SecurityResetRequested, store.SecurityPasswordReset} {
		if !strings.Contains(strings.Join(kinds, " "), string(want)) {
			t.Fatalf("Sign-in activity lacks %s: %v", want, kinds)
		}
	}
}

// Until its address is verified an account tops up only a little, in all
// (open orders count); the code from its mail lifts the limit.
func TestUnverifiedTopUpLimitOverSSH(t *testing.T) {
	env := testenv.StartWithPayments(t)
	u, key := env.NewUnverifiedUser("trial@example.com")
	refused(t, env.Env, key, "topup card 25", 2, "verify your email address to top up more: until then top-ups are limited to $10.00 in all")
	ok(t, env.Env, key, "topup card 5")
	refused(t, env.Env, key, "topup card 10", 2, "($5.00 used)")
	m := env.WaitMail(t, "trial@example.com", "verify")
	if _, err := env.Store().VerifyEmail(context.Background(), u.ID, testenv.CodeIn(m.Text), store.Origin{}); err != nil {
		t.Fatal(err)
	}
	ok(t, env.Env, key, "topup card 25")
}

// A credited top-up mails a receipt with working unsubscribe headers (a
// mail program's one-click POST); once unsubscribed, the next top-up mails
// nothing, and the export shows the mail log and the setting.
func TestReceiptAndOneClickUnsubscribe(t *testing.T) {
	srv := smtptest.Start(t)
	env := testenv.StartWithPayments(t, testenv.WithSMTP(srv))
	ctx := context.Background()
	u, key := env.NewUser("receipts@example.com")
	pay := func(id string) store.Order {
		t.Helper()
		o, err := env.Svc.Payments().OpenCard(ctx, u, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if code := env.StripeEvent(t, id, billing.EventCheckoutCompleted, o, true); code != 200 {
			t.Fatalf("webhook: %d", code)
		}
		return o
	}
	o := pay("evt_receipt_1")
	m := srv.WaitFor(t, testenv.Wait, smtptest.To("receipts@example.com", "receipt"))
	if !strings.Contains(m.Text, o.Number) || !strings.Contains(m.Text, "$10.00") || !strings.Contains(m.Subject, o.Number) {
		t.Fatalf("receipt:\n%s", m.Text)
	}
	unsub := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if unsub != testenv.LinkIn(m.Text, "unsubscribe") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("unsubscribe headers: %q %q; line %q", unsub, m.Header.Get("List-Unsubscribe-Post"),
			testenv.LinkIn(m.Text, "unsubscribe"))
	}
	if code, page := openLink(t, "GET", unsub, ""); code != 200 || !strings.Contains(page, "Unsubscribe") {
		t.Fatalf("GET unsubscribe: %d %s", code, page)
	}
	if code, page := openLink(t, "POST", unsub, "List-Unsubscribe=One-Click"); code != 200 ||
		!strings.Contains(page, "No more top-up receipts") {
		t.Fatalf("one-click unsubscribe: %d %s", code, page)
	}
	pay("evt_receipt_2")
	eventually(t, func() bool { u, _ := env.Store().UserByID(ctx, u.ID); return u.BalanceCents == 2000 })
	log, _ := env.Store().MailLog(ctx, u.ID, 20)
	receipts := 0
	for _, l := range log {
		if l.Kind == store.MailTopupReceipt {
			receipts++
		}
	}
	if receipts != 1 {
		t.Fatalf("%d receipts: one went after unsubscribing", receipts)
	}
	var doc struct {
		Account struct {
			EmailVerifiedAt *string `json:"email_verified_at"`
		} `json:"account"`
		Mails []struct {
			Kind, To, Subject, Status string
		} `json:"mails"`
		NoticesOff []string `json:"notices_off"`
	}
	okJSON2(t, env.Env, key, "export --json", &doc)
	if doc.Account.EmailVerifiedAt == nil || len(doc.NoticesOff) != 1 || doc.NoticesOff[0] != "topup_receipt" {
		t.Fatalf("export: %+v", doc)
	}
	found := false
	for _, l := range doc.Mails {
		found = found || l.Kind == "topup_receipt" && l.Status == "sent" && l.Subject == m.Subject
	}
	if !found {
		t.Fatalf("export mails: %+v", doc.Mails)
	}
	// A code mailed (the verification of NewUser's address, if it went
	// before the test verified it) is never in the export.
	export := strings.ToLower(ok(t, env.Env, key, "export --json"))
	for _, sent := range srv.Messages() {
		if c := testenv.CodeIn(sent.Text); c != "" && strings.Contains(export, strings.ToLower(c)) {
			t.Fatalf("the export holds the code %s", c)
		}
	}
}

// A mail server that keeps answering "try later": the mail is retried,
// then given up, counted in /metrics and listed for admins; nothing else
// is held up.
func TestFailingMailServerShowsTheFailure(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Refuse(451, "greylisted")
	env := testenv.Start(t, testenv.WithSMTP(srv))
	admin, adminKey := env.NewAdmin("staff@example.com")
	env.NewUnverifiedUser("unlucky@example.com")
	actor := store.Actor{UserID: admin.ID, Key: store.SpecOf(adminKey.PublicKey()).Fingerprint}
	var failed []store.MailLogEntry
	eventually(t, func() bool {
		var err error
		failed, err = env.Store().FailedMails(context.Background(), actor, 50)
		return err == nil && len(failed) > 0 && hasMailTo(failed, "unlucky@example.com")
	})
	for _, f := range failed {
		if f.To == "unlucky@example.com" && (f.Attempts != 3 || !strings.Contains(f.LastError, "greylisted")) {
			t.Fatalf("failed mail: %+v", f)
		}
	}
	fams := scrape(t, env)
	if value(t, fams, "wantsms_mails", "status", "failed") < 1 || value(t, fams, "wantsms_mail_attempts_total",
		"outcome", "given_up") < 1 || value(t, fams, "wantsms_mail_attempts_total", "outcome", "failed") < 2 {
		t.Fatalf("/metrics: %+v %+v", fams["wantsms_mails"], fams["wantsms_mail_attempts_total"])
	}
	// Admin → Mail lists it, with the mail server's last answer.
	term := env.Dial(t, adminKey)
	openPane(t, term, "Admin", "Users · Orders")
	term.Press(sshterm.Left)
	expect(t, term, "Given up")
	expect(t, term, "unlucky@example.com")
	expect(t, term, "greylisted")
	srv.Accept()
	u, _ := env.NewUnverifiedUser("lucky@example.com")
	srv.WaitFor(t, testenv.Wait, smtptest.To(u.Email, "verify"))
}

func hasMailTo(log []store.MailLogEntry, to string) bool {
	for _, l := range log {
		if l.To == to {
			return true
		}
	}
	return false
}

// A password reset ends the commands still waiting with a linked key too
// (the key stays linked: a new command works).
func TestResetEndsWaitingCommands(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	ctx := context.Background()
	u, key := env.NewUser("waiter@example.com")
	env.Credit(u.ID, 500, "g1")
	waiting := env.Stream(t, key, "reserve google --wait 10m")
	if line, err := waiting.Line(); err != nil || !strings.HasPrefix(line, "reserved ") {
		t.Fatalf("reserve: %q %v", line, err)
	}
	if err := env.Store().RequestPasswordReset(ctx, u.Email, store.Origin{}); err != nil {
		t.Fatal(err)
	}
	code := testenv.CodeIn(env.WaitMail(t, u.Email, "reset code").Text)
	if _, _, err := env.Store().ResetPassword(ctx, u.Email, code, "a new password", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	_, stderr, status, err := waiting.Wait()
	if err != nil || status != 1 || !strings.Contains(stderr, "a password reset ended every session") {
		t.Fatalf("the waiting command: status %d, stderr %q, %v", status, stderr, err)
	}
	ok(t, env, key, "balance")
}
