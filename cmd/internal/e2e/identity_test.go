package e2e

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

var expect = testenv.Expect

func signUp(t *testing.T, term *sshterm.Term, email, password string) {
	t.Helper()
	expect(t, term, "Sign in")
	term.Press(sshterm.Ctrl('n'))
	expect(t, term, "Create your account")
	term.Type(email)
	term.Press(sshterm.Tab)
	term.Type(password)
	term.Press(sshterm.Tab)
	term.Type(password)
	term.Press(sshterm.Tab)
	term.Type(" ") // I am 13 or older
	term.Press(sshterm.Enter)
}

func signIn(t *testing.T, term *sshterm.Term, email, password string) {
	t.Helper()
	expect(t, term, "Sign in")
	term.Type(email)
	term.Press(sshterm.Tab)
	term.Type(password)
	term.Press(sshterm.Enter)
}

// The path of a new user: sign up, remember the key, quit, come back with
// the same key straight to the dashboard; another key and a key-less
// client get the sign-in screen.
func TestSignUpLinkKeyAndComeBack(t *testing.T) {
	env := testenv.Start(t)
	key := testenv.NewKey(t)
	term := env.Dial(t, key)
	signUp(t, term, "Alice@Example.com", "secret password")
	expect(t, term, "Remember this key?")
	term.Type("y")
	expect(t, term, "Key linked")
	expect(t, term, "alice@example.com")
	term.Type("q")
	if status, err := term.Wait(); err != nil || status != 0 {
		t.Fatalf("quit: status %d, %v", status, err)
	}

	again := env.Dial(t, key)
	openPane(t, again, "Account", "SSH keys (1)")
	if !strings.Contains(again.Screen(), "alice@example.com") {
		t.Fatalf("dashboard lacks the email:\n%s", again.Screen())
	}

	other := env.Dial(t, testenv.NewKey(t))
	expect(t, other, "Sign in")
	signIn(t, other, "alice@example.com", "secret password")
	expect(t, other, "Remember this key?")
	other.Type("n")
	openPane(t, other, "Account", "SSH keys (1)")

	keyless := env.Dial(t, nil)
	expect(t, keyless, "Sign in")
	expect(t, keyless, "connect with an SSH key")
	signIn(t, keyless, "alice@example.com", "secret password")
	openPane(t, keyless, "Account", "SSH keys (1)") // no offer to link: there is no key
}

// queryOnlySigner offers the victim's public key, which the attacker knows,
// but cannot sign with it: the server sees the key offered (its auth
// callback runs for it) and the client moves on to its next method.
type queryOnlySigner struct{ shown ssh.PublicKey }

func (q queryOnlySigner) PublicKey() ssh.PublicKey { return q.shown }
func (q queryOnlySigner) Sign(io.Reader, []byte) (*ssh.Signature, error) {
	return nil, errors.New("no private key")
}

// lyingSigner presents the victim's public key but signs with another key.
type lyingSigner struct {
	shown ssh.PublicKey
	real  ssh.Signer
}

func (l lyingSigner) PublicKey() ssh.PublicKey { return l.shown }
func (l lyingSigner) Sign(r io.Reader, data []byte) (*ssh.Signature, error) {
	return l.real.Sign(r, data)
}

// The key-confusion attack: offering the victim's public key, then
// authenticating with one's own, must never resolve to the victim.
func TestKeyConfusionNeverYieldsVictimAccount(t *testing.T) {
	env := testenv.Start(t)
	_, victimKey := env.NewUser("victim@example.com")
	attacker := testenv.NewKey(t)
	offer := queryOnlySigner{shown: victimKey.PublicKey()}
	noAnswers := func(string, string, []string, []bool) ([]string, error) { return nil, nil }
	// x/crypto ends a method at a signing failure and never retries a
	// method by name; the callback hands it the attacker's next step.
	cases := map[string]ssh.AuthMethod{
		"offer victim, then own key":              ssh.PublicKeys(attacker),
		"offer victim, then keyboard-interactive": ssh.KeyboardInteractive(noAnswers),
	}
	for name, next := range cases {
		t.Run(name, func(t *testing.T) {
			calls := 0
			o := sshterm.Options{Addr: env.Svc.SSHAddr(), User: "victim@example.com",
				AuthMethods: []ssh.AuthMethod{ssh.PublicKeys(offer)},
				// Called after each failed method: after "none", fall back
				// to AuthMethods (the offer); after the offer, go on with
				// the attacker's own method.
				AuthCallback: func(ctx *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
					calls++
					switch {
					case calls == 1:
						return nil, nil
					case calls == 2 && slices.Contains(ctx.TriedMethods, "publickey"):
						return next, nil
					}
					return nil, errors.New("no more methods")
				}}
			term := env.DialWith(t, o)
			expect(t, term, "Sign in")
			if strings.Contains(term.Screen(), "victim@example.com") {
				t.Fatalf("attacker reached the victim's account:\n%s", term.Screen())
			}
		})
	}
	// A signature made with another key than the one shown ends the
	// connection (x/crypto treats it as fatal): nothing is reached.
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	lie := lyingSigner{shown: victimKey.PublicKey(), real: attacker}
	if term, err := sshterm.Dial(ctx, sshterm.Options{Addr: env.Svc.SSHAddr(), User: "x",
		AuthMethods: []ssh.AuthMethod{ssh.PublicKeys(lie, attacker)}}); err == nil {
		defer term.Close()
		expect(t, term, "Sign in")
	}
	// The SSH user name is never identity either.
	term := env.DialWith(t, sshterm.Options{Addr: env.Svc.SSHAddr(), User: "victim@example.com",
		Signers: []ssh.Signer{attacker}})
	expect(t, term, "Sign in")
}

func TestWrongPasswordsGenericThrottledAndRecorded(t *testing.T) {
	// A frozen clock: every attempt falls inside the throttle's delay.
	clock := testenv.NewClock(time.Now())
	env := testenv.Start(t, func(c *service.Config) { c.Clock = clock.Now })
	u, _ := env.NewUser("bob@example.com")

	wrongPw := env.Dial(t, testenv.NewKey(t))
	signIn(t, wrongPw, "bob@example.com", "wrong password")
	expect(t, wrongPw, "wrong email or password")
	noUser := env.Dial(t, testenv.NewKey(t))
	signIn(t, noUser, "nobody@example.com", "wrong password")
	expect(t, noUser, "wrong email or password")
	if a, b := errorLine(wrongPw.Screen()), errorLine(noUser.Screen()); a != b {
		t.Fatalf("the messages differ: %q vs %q", a, b)
	}

	failures := func() int {
		evs, err := env.Store().SecurityEvents(context.Background(), u.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range evs {
			if e.Kind == store.SecuritySigninFailed || e.Kind == store.SecuritySigninThrottled {
				n++
			}
		}
		return n
	}
	for want := 2; want <= 6; want++ {
		if err := guessOnce(wrongPw, "wrong password"); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() bool { return failures() >= want })
	}
	expect(t, wrongPw, "too many attempts")
	// Once the wait is over, the owner gets in.
	clock.Advance(2 * time.Minute)
	wrongPw.Type(testenv.Password)
	wrongPw.Press(sshterm.Enter)
	expect(t, wrongPw, "Remember this key?")

	evs, _ := env.Store().SecurityEvents(context.Background(), u.ID, 20)
	kinds := map[store.SecurityKind]int{}
	for _, e := range evs {
		kinds[e.Kind]++
		if !strings.HasPrefix(string(e.Kind), "signin") {
			continue
		}
		if !strings.HasPrefix(e.RemoteAddr, "127.0.0.1:") || !strings.Contains(e.ClientVersion, "SSH-2.0-Go") {
			t.Errorf("event without origin: %+v", e)
		}
	}
	if kinds[store.SecuritySigninFailed] < 4 || kinds[store.SecuritySigninThrottled] < 1 || kinds[store.SecuritySignin] != 1 {
		t.Fatalf("events recorded: %v", kinds)
	}
}

// errorLine is the screen's line that holds the sign-in error.
func errorLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "wrong email or password") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// eventually waits for a condition on the store. The answer to a key
// press lands there before it reaches the screen: a test that types on
// waits for the screen too (refusedOnce).
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func clearField(term *sshterm.Term) {
	for range 40 {
		term.Press(sshterm.Backspace)
	}
}

func TestSignUpValidationMessages(t *testing.T) {
	env := testenv.Start(t)
	cases := []struct{ email, pw, confirm, want string }{
		{"not-an-email", "long enough", "long enough", "enter a valid email address"},
		{"x@example.com", "short", "short", "at least 8 characters"},
		{"x@example.com", strings.Repeat("p", 129), strings.Repeat("p", 129), "at most 128 characters"},
		{"x@example.com", "long enough", "different!", "do not match"},
		{"x@example.com", "long enough", "long enough", "not for children under 13"},
	}
	for _, c := range cases {
		term := env.Dial(t, testenv.NewKey(t))
		expect(t, term, "Sign in")
		term.Press(sshterm.Ctrl('n'))
		expect(t, term, "Create your account")
		term.Type(c.email)
		term.Press(sshterm.Tab)
		term.Paste(c.pw)
		term.Press(sshterm.Tab)
		term.Paste(c.confirm)
		if !strings.Contains(c.want, "under 13") {
			term.Press(sshterm.Tab)
			term.Type(" ")
		}
		term.Press(sshterm.Enter)
		expect(t, term, c.want)
		term.Close()
	}
	n, err := env.Store().UserByEmail(context.Background(), "x@example.com")
	if err == nil {
		t.Fatalf("an invalid sign-up created %+v", n)
	}
}

func TestNoPTYGetsHint(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("c@example.com")
	stdout, stderr, status := env.Run(t, key, "")
	if status != 1 || stdout != "" || !strings.Contains(stderr, "ssh -t") {
		t.Fatalf("status %d stdout %q stderr %q", status, stdout, stderr)
	}
}

var originForTest = store.Origin{RemoteAddr: "192.0.2.1:1", ClientVersion: "test"}
