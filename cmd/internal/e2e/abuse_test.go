package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

// floodConns is how many connections the handshake flood opens (issue 8).
const floodConns = 1000

// A thousand connections that never finish the SSH handshake (half say
// nothing, half send a version line and stop) are all cut by the handshake
// timeout, and real people reach their dashboard meanwhile.
func TestHandshakeFloodCutWhileRealUsersGetIn(t *testing.T) {
	// Long enough that the whole flood is still open when the real users
	// come, even on a loaded machine under -race.
	const timeout = 8 * time.Second
	env := testenv.Start(t, func(c *service.Config) {
		c.SSH.HandshakeTimeout = timeout
		c.SSH.MaxConns, c.SSH.MaxConnsPerIP = floodConns+100, 0 // all from 127.0.0.1
	})
	_, key := env.NewUser("real@example.com")
	start := time.Now()
	cuts := make(chan time.Duration, floodConns)
	for i := range floodConns {
		c, err := net.Dial("tcp", env.Svc.SSHAddr())
		if err != nil {
			t.Fatalf("flood connection %d: %v", i, err)
		}
		defer c.Close()
		if i%2 == 1 {
			if _, err := io.WriteString(c, "SSH-2.0-Flood_1.0\r\n"); err != nil {
				t.Fatal(err)
			}
		}
		go func() {
			c.SetReadDeadline(time.Now().Add(timeout + testenv.Wait))
			_, err := io.Copy(io.Discard, c) // the version line, then EOF or a reset
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				cuts <- -1 // never cut
				return
			}
			cuts <- time.Since(start)
		}()
	}
	opened := time.Since(start)
	for range 3 { // real users, one after another, while the flood is open
		term := env.Dial(t, key)
		onDashboard(t, term)
		term.Close()
	}
	realDone := time.Since(start)
	var first, last time.Duration
	waiting := 0 // flood connections still open when the real users were in
	for i := range floodConns {
		cut := <-cuts
		if cut < 0 {
			t.Fatalf("a flood connection was never cut (%d cut before it)", i)
		}
		if i == 0 {
			first = cut
		}
		last = max(last, cut)
		if cut > realDone {
			waiting++
		}
	}
	t.Logf("%d connections opened in %v; 3 real users on their dashboards by %v with %d of them open; "+
		"cut between %v and %v (timeout %v)", floodConns, opened.Round(time.Millisecond),
		realDone.Round(time.Millisecond), waiting, first.Round(time.Millisecond), last.Round(time.Millisecond), timeout)
}

// hostileSMS holds every kind of terminal escape a hostile sender could
// try: CSI (erase, cursor, a 24-bit colour our theme never uses, a device
// status query), OSC 0 (window title), OSC 52 (clipboard), DCS, the C1
// CSI, and bidi overrides, around text that must still be read.
const hostileSMS = "Your code is 73519 \x1b[2J\x1b[1;1H\x1b[38;2;1;2;3mtinted\x1b[6n" +
	"\x1b]0;PWNED-TITLE\a\x1b]52;c;UFdORUQ=\a\x1bP+q544e\x1b\\\u009b31mC1\u202eevil\u202c end"

// hostileMarks are byte strings of hostileSMS that must never reach a
// terminal (the theme's own colours are 256-colour, never 38;2).
var hostileMarks = []string{"\x1b[38;2;1;2;3m", "\x1b[6n", "\x1b]0;", "\x1b]52;c;UFdORUQ", "\x1bP", "\xc2\x9b",
	"\u202e", "PWNED"}

// An SMS body full of escape sequences, pushed through the provider
// webhook, shows on the Inbox as plain text: none of its sequences reaches
// the terminal and the clipboard stays untouched.
func TestEscapeSequencesInSMSRenderAsPlainText(t *testing.T) {
	up := fake.New(fake.Options{})
	defer up.Close()
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(fake.Script{Never: true})
	secret := []byte("hook secret")
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = up.URL, up.APIKey()
		c.Numbers.WebhookSecret = string(secret)
	})
	u, key := env.NewUser("reader@example.com")
	env.Credit(u.ID, 500, "g1")
	term := env.Dial(t, key)
	reserve(t, term, "tele", "Telegram")
	r := onlyOpen(t, env, u.ID)
	openPane(t, term, "Inbox", "Inbox · 1 open")
	body, err := json.Marshal(map[string]any{"activationId": r.ProviderRef, "service": "tg", "text": hostileSMS,
		"country": 16, "receivedAt": "2026-11-25 12:00:00"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, env.URL("/webhooks/provider/smsactivate"), bytes.NewReader(body))
	req.Header.Set(provider.WebhookSignatureHeader, provider.SignWebhook(secret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("push answered %d", resp.StatusCode)
	}
	expect(t, term, "Your code is 73519")
	expect(t, term, "│  73519") // the code, large
	screen := term.Screen()
	raw := string(term.Raw())
	for _, m := range hostileMarks {
		if strings.Contains(raw, m) {
			t.Errorf("%q reached the terminal", m)
		}
	}
	if strings.Contains(screen, "PWNED") || term.Clipboard() != "" {
		t.Fatalf("the SMS acted on the terminal: clipboard %q, screen:\n%s", term.Clipboard(), screen)
	}
	if got := onlyOpen(t, env, u.ID); len(got.Messages) != 1 || got.Messages[0].Body != hostileSMS {
		t.Fatalf("the SMS was not kept as it came: %+v", got.Messages)
	}
}

// One person hammering Numbers and Inbox from two sessions at once is
// refused by the open-number limit and the cancel guard every time and
// never holds more than the limit, while another person's screen keeps
// updating. That person's update latency (a credit until its balance
// shows) is logged quiet and under the hammer; speed is not asserted.
func TestHammeringReserveCancelHitsLimits(t *testing.T) {
	const maxOpen, samples = 3, 20
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers, c.Numbers.SimNeverSharePct = []string{"sim"}, 100
		c.Numbers.Lifetime, c.Numbers.CancelGuard, c.Numbers.MaxOpen = 20*time.Minute, 10*time.Minute, maxOpen
	})
	hammerer, hkey := env.NewUser("hammer@example.com")
	env.Credit(hammerer.ID, 10_000, "g1")
	other, okey := env.NewUser("other@example.com")
	watcher := env.Dial(t, okey)
	openPane(t, watcher, "History", "History")
	watch := &latency{env: env, term: watcher, userID: other.ID}
	watch.sample(t, samples)
	quiet := watch.took

	reserver, canceller := env.Dial(t, hkey), env.Dial(t, hkey)
	for range maxOpen {
		reserve(t, reserver, "tele", "Telegram")
		reserver.Press(sshterm.Enter) // another number
	}
	openPane(t, canceller, "Inbox", fmt.Sprintf("Inbox · %d open", maxOpen))
	reserver.Type("tele")
	expect(t, reserver, "Filter")
	reserver.Press(sshterm.Enter)
	expect(t, reserver, "choose a country")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var limitHits, guardHits int
	hammer := func(hits *int, round func() error) {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := round(); err != nil {
				t.Error(err)
				return
			}
			*hits++
		}
	}
	wg.Add(2)
	go hammer(&limitHits, func() error { return refusedReserve(reserver, maxOpen) })
	go hammer(&guardHits, func() error { return refusedCancel(canceller) })
	watch.took = nil
	watch.sample(t, samples)
	close(stop)
	wg.Wait()
	if limitHits == 0 || guardHits == 0 {
		t.Fatalf("the hammer hit the open limit %d times and the cancel guard %d times", limitHits, guardHits)
	}
	if n := len(env.Reservations(hammerer.ID)); n != maxOpen {
		t.Fatalf("%d numbers open, the limit is %d", n, maxOpen)
	}
	if rep, err := env.Store().Check(t.Context()); err != nil || !rep.OK() {
		t.Fatalf("books after the hammer: %+v %v", rep, err)
	}
	t.Logf("hammer: %d reserves refused by the limit, %d cancels refused by the guard", limitHits, guardHits)
	t.Logf("another person's screen update (credit → balance shown), %d samples each: quiet %s; under the hammer %s",
		samples, quantiles(quiet), quantiles(watch.took))
}

// refusedReserve confirms the country again and expects the open limit.
func refusedReserve(term *sshterm.Term, maxOpen int) error {
	term.Press(sshterm.Enter)
	if err := term.WaitFor(testenv.Wait, "Reserve this number?"); err != nil {
		return err
	}
	term.Type("y")
	if err := term.WaitFor(testenv.Wait, fmt.Sprintf("already have %d open numbers", maxOpen)); err != nil {
		return err
	}
	term.Type("n")
	return term.WaitFor(testenv.Wait, "choose a country")
}

// refusedCancel asks to cancel the selected number and expects the guard
// (refused before any question), then clears the line with another key.
func refusedCancel(term *sshterm.Term) error {
	term.Type("x")
	if err := term.WaitFor(testenv.Wait, "after it was reserved"); err != nil {
		return err
	}
	term.Type("n")
	return term.WaitFor(testenv.Wait, "copied to your clipboard")
}

// latency measures how long a credit takes to show on a person's screen.
type latency struct {
	env    *testenv.Env
	term   *sshterm.Term
	userID int64
	total  int64
	took   []time.Duration
}

// creditStep makes every balance distinct and unlike any other figure on
// screen: $100.01, $200.02, …
const creditStep = 10_001

func (l *latency) sample(t *testing.T, n int) {
	t.Helper()
	for range n {
		l.total += creditStep
		start := time.Now()
		l.env.Credit(l.userID, creditStep, fmt.Sprintf("latency-%d", l.total))
		expect(t, l.term, tuiCents(l.total))
		l.took = append(l.took, time.Since(start))
	}
}

// quantiles writes the median, the 90th percentile and the maximum.
func quantiles(d []time.Duration) string {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1))].Round(100 * time.Microsecond) }
	return fmt.Sprintf("p50 %v, p90 %v, max %v", at(0.5), at(0.9), s[len(s)-1].Round(100*time.Microsecond))
}

// Wrong passwords over SSH from several connections at once: the sign-in
// throttle refuses them, every attempt is on the account's record, and
// the owner gets in once the (capped) wait is over. The same attack with
// 10,000 guesses from as many addresses runs against the store
// (store.TestPasswordGuessingFromManyAddresses): over SSH every guess
// costs a handshake and a screen, and all come from 127.0.0.1 here.
func TestPasswordGuessingOverSSH(t *testing.T) {
	const attackers, guesses = 4, 3
	clock := testenv.NewClock(time.Now())
	env := testenv.Start(t, func(c *service.Config) { c.Clock = clock.Now })
	owner, _ := env.NewUser("target@example.com")
	var wg sync.WaitGroup
	throttled := make([]bool, attackers)
	for i := range attackers {
		term := env.Dial(t, testenv.NewKey(t))
		expect(t, term, "Sign in")
		wg.Add(1)
		go func() {
			defer wg.Done()
			term.Type("target@example.com")
			term.Press(sshterm.Tab)
			for g := range guesses {
				if err := guessOnce(term, fmt.Sprintf("guess %d-%d", i, g)); err != nil {
					t.Error(err)
					return
				}
				throttled[i] = throttled[i] || strings.Contains(term.Screen(), "too many attempts")
			}
		}()
	}
	wg.Wait()
	if !slices.Contains(throttled, true) {
		t.Fatal("no attacker was ever throttled")
	}
	eventually(t, func() bool {
		evs, _ := env.Store().SecurityEvents(t.Context(), owner.ID, 100)
		return len(evs) >= 1+attackers*guesses // signup + every guess
	})
	home := env.Dial(t, testenv.NewKey(t))
	signIn(t, home, "target@example.com", testenv.Password)
	expect(t, home, "too many attempts")
	clock.Advance(2 * time.Minute) // past the 60 s cap
	home.Type(testenv.Password)    // a refused attempt clears the password field
	home.Press(sshterm.Enter)
	expect(t, home, "Remember this key?")
}

// guessOnce types a password into the sign-in form and waits for its
// refusal: the field is cleared and an error shows.
func guessOnce(term *sshterm.Term, password string) error {
	return refusedOnce(term, password, "wrong email or password")
}

// refusedOnce types a password into the focused password field, submits
// it and waits for its refusal (refusal, or the throttle's words): the
// field is cleared and the error shows, so the form takes keys again. The
// error alone proves nothing: the same words may still show from the
// attempt before.
func refusedOnce(term *sshterm.Term, password, refusal string) error {
	term.Type(password)
	if err := term.WaitFor(testenv.Wait, strings.Repeat("•", len(password))); err != nil {
		return err
	}
	term.Press(sshterm.Enter)
	return term.WaitUntil(testenv.Wait, "a refusal", func(s string) bool {
		return !strings.Contains(s, "•••") && // the masked password (the help has single •)
			(strings.Contains(s, refusal) || strings.Contains(s, "too many attempts"))
	})
}

// Every key authenticates at the SSH level (the account comes after), so
// a connection that authenticates and then opens no session must be cut by
// the handshake timeout too, or anybody could hold connection slots for
// ever; a session that did start is not cut.
func TestAuthenticatedWithoutSessionCut(t *testing.T) {
	const timeout = time.Second
	env := testenv.Start(t, func(c *service.Config) { c.SSH.HandshakeTimeout = timeout })
	_, key := env.NewUser("real@example.com")
	conn, err := net.Dial("tcp", env.Svc.SSHAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, chans, reqs, err := ssh.NewClientConn(conn, env.Svc.SSHAddr(), &ssh.ClientConfig{User: "idle",
		Auth: []ssh.AuthMethod{ssh.PublicKeys(testenv.NewKey(t))}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		t.Fatal(err)
	}
	idle := ssh.NewClient(c, chans, reqs)
	term := env.Dial(t, key)
	onDashboard(t, term)
	cut := make(chan error, 1)
	go func() { cut <- idle.Wait() }()
	select {
	case <-cut:
	case <-time.After(timeout + testenv.Wait):
		t.Fatal("an authenticated connection without a session was never cut")
	}
	time.Sleep(timeout) // the dashboard's connection is past the timeout too
	openPane(t, term, "Account", "Profile & keys")
}
