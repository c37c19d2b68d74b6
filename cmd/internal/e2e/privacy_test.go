package e2e

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/tui/privacy"
)

// The policy is reachable from the sign-up screen and the Account pane,
// and scrolls to its end, the retention schedule.
func TestPrivacyPolicyScreens(t *testing.T) {
	env := testenv.Start(t)
	term := env.Dial(t, testenv.NewKey(t))
	expect(t, term, "Sign in")
	term.Press(sshterm.Ctrl('n'))
	expect(t, term, "accept our privacy policy")
	term.Press(sshterm.Ctrl('p'))
	expect(t, term, "Privacy Policy — WantSMS")
	for range 20 {
		term.Press(sshterm.PgDown)
	}
	expect(t, term, "100%")
	expect(t, term, "Credit ledger") // the retention schedule closes it
	term.Press(sshterm.Esc)
	expect(t, term, "Create your account")

	_, key := env.NewUser("reader@example.com")
	dash := env.Dial(t, key)
	openPane(t, dash, "Account", "Profile & keys")
	dash.Press(sshterm.Ctrl('p'))
	expect(t, dash, "Privacy Policy — WantSMS")
	dash.Press(sshterm.Esc)
	expect(t, dash, "Profile & keys")
}

// A person sees recent sign-ins and failures, with address and client.
func TestAccountShowsSignInActivity(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("watch@example.com")
	intruder := env.Dial(t, testenv.NewKey(t))
	signIn(t, intruder, "watch@example.com", "guessing wrong")
	expect(t, intruder, "wrong email or password")

	term := env.Dial(t, key)
	openPane(t, term, "Account", "Profile & keys")
	term.Press(sshterm.Right)
	expect(t, term, "Sign-in activity")
	expect(t, term, "wrong password")
	expect(t, term, "signed in with a key")
	if !strings.Contains(term.Screen(), "127.0.0.1") || !strings.Contains(term.Screen(), "Go") {
		t.Fatalf("activity lacks address or client:\n%s", term.Screen())
	}
}

// Deleting the account from the dashboard: asks the password, erases the
// person at once, ends every open session, frees the email.
func TestDeleteAccountFromDashboard(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("leaving@example.com")
	env.Credit(u.ID, 300, "before-delete")
	other := env.Dial(t, key)
	openPane(t, other, "Account", "Profile & keys")
	term := env.Dial(t, key)
	openPane(t, term, "Account", "Profile & keys")
	term.Press(sshterm.Left)
	expect(t, term, "Export my data")
	expect(t, term, "ssh -T -p ")
	term.Type("D")
	expect(t, term, "Delete your account")
	term.Type("not my password")
	term.Press(sshterm.Enter)
	expect(t, term, "the current password is wrong")
	term.Type(testenv.Password)
	term.Press(sshterm.Enter)
	expect(t, term, "account has been deleted")
	expect(t, other, "account has been deleted")
	for _, tm := range []*sshterm.Term{term, other} {
		if _, err := tm.Wait(); err != nil {
			t.Fatalf("session not ended: %v", err)
		}
	}
	expect(t, env.Dial(t, key), "Sign in") // the key is gone
	if _, err := env.Store().UserByEmail(context.Background(), "leaving@example.com"); err == nil {
		t.Fatal("the email still resolves to an account")
	}
	if rep, err := env.Store().Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

// `ssh -T host privacy` prints the policy, to anybody.
func TestPrivacyCommand(t *testing.T) {
	env := testenv.Start(t)
	for _, key := range []ssh.Signer{nil, testenv.NewKey(t)} {
		out, stderr, status := env.Run(t, key, "privacy")
		if status != 0 || stderr != "" || out != privacy.Document() {
			t.Fatalf("privacy: status %d, stderr %q, %d bytes (want %d)", status, stderr, len(out), len(privacy.Document()))
		}
	}
}
