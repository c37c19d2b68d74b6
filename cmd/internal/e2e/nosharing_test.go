package e2e

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/billing/stripemock"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	fivesim "github.com/wantsms/wantsms/provider/fivesim/fake"
	smsactivate "github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// tap is a recording reverse proxy in front of one upstream: every request
// the service sends there, exactly as it leaves the process (request
// line, headers, body), before it is passed on.
type tap struct {
	name string
	URL  string
	mu   sync.Mutex
	seen []string
}

func newTap(t *testing.T, name, upstream string) *tap {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	tp := &tap{name: name}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump, err := httputil.DumpRequest(r, true) // restores the body for the proxy
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		tp.mu.Lock()
		tp.seen = append(tp.seen, string(dump))
		tp.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tp.URL = srv.URL
	return tp
}

func (tp *tap) requests() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]string(nil), tp.seen...)
}

// clientAddr is where the person's SSH client connects from: not the
// server's own loopback address, so that finding it in a request would
// mean the person's address was passed on.
const clientAddr = "127.0.0.2"

// Nothing the service sends to a number provider, Stripe or Blockonomics
// during a whole journey — sign up over SSH, top up by card and in
// Bitcoin, reserve numbers from two upstreams and receive their SMS —
// carries the person's email, password, SSH key or address (privacy
// policy §1 and §7), nor client telemetry.
func TestNoPersonalDataLeavesForUpstreams(t *testing.T) {
	t.Parallel()
	sa := smsactivate.New(smsactivate.Options{})
	t.Cleanup(sa.Close)
	sa.SetPrice("tg", "16", "0.50", 10)
	sa.SetScript(smsactivate.Script{CodeAfterPolls: 0, Text: "Your code is {code}"})
	fs := fivesim.New(fivesim.Options{})
	t.Cleanup(fs.Close)
	fs.SetPrice("england", "whatsapp", "virtual8", "0.40", 10)
	fs.SetScript(fivesim.Script{SMSAfterChecks: 0, Text: "WhatsApp code {code}", Sender: "WhatsApp"})
	btc := blockonomicsfake.New(testenv.BTCKey)
	t.Cleanup(btc.Close)
	taps := map[string]*tap{
		"smsactivate":  newTap(t, "smsactivate", sa.URL),
		"fivesim":      newTap(t, "fivesim", fs.URL),
		"stripe":       newTap(t, "stripe", stripemock.Start(t)),
		"blockonomics": newTap(t, "blockonomics", btc.URL),
	}
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate", "fivesim"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = taps["smsactivate"].URL, sa.APIKey()
		c.Numbers.FiveSimURL, c.Numbers.FiveSimToken = taps["fivesim"].URL+"/v1", fs.Token()
		c.Payments.Stripe = billing.StripeConfig{SecretKey: testenv.StripeKey,
			WebhookSecret: testenv.StripeWebhookSecret, APIBase: taps["stripe"].URL}
		c.Payments.Blockonomics = billing.BlockonomicsConfig{APIKey: testenv.BTCKey,
			CallbackSecret: testenv.BTCCallbackSecret, APIBase: taps["blockonomics"].URL}
	})
	const email, password = "Private.Person@Example.com", "sesame-Pass-7731"
	key := testenv.NewKey(t)
	o := env.Options(key)
	o.LocalAddr = clientAddr + ":0"
	term := env.DialWith(t, o)

	signUp(t, term, email, password)
	expect(t, term, "Remember this key?")
	term.Type("y")
	expect(t, term, "Key linked")
	u, err := env.Store().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if evs, _ := env.Store().SecurityEvents(context.Background(), u.ID, 1); len(evs) == 0 ||
		!strings.HasPrefix(evs[0].RemoteAddr, clientAddr+":") {
		t.Fatalf("the client does not come from %s: %+v", clientAddr, evs)
	}
	verifyByMail(t, env, strings.ToLower(email)) // top-ups beyond the unverified limit
	topUpEverything(t, env, btc, term, u)
	receiveTwoNumbers(t, term)

	for _, secret := range personal(email, password, key) {
		for name, tp := range taps {
			for _, req := range tp.requests() {
				if containsFold(req, secret) {
					t.Errorf("a request to %s carries %q:\n%s", name, secret, req)
				}
			}
		}
	}
	for name, tp := range taps {
		reqs := tp.requests()
		if len(reqs) == 0 {
			t.Errorf("no request reached %s: the journey did not exercise it", name)
		}
		for _, req := range reqs {
			if containsFold(req, "telemetry") {
				t.Errorf("a request to %s carries telemetry:\n%s", name, req)
			}
		}
	}
}

// topUpEverything pays a card top-up, opens a second (a client library's
// telemetry would ride on later requests), and pays one in Bitcoin.
func topUpEverything(t *testing.T, env *testenv.Env, btc *blockonomicsfake.Fake, term *sshterm.Term, u store.User) {
	t.Helper()
	ctx := context.Background()
	openPane(t, term, "Wallet", "enter pay $5.00 by card")
	term.Press(sshterm.Right, sshterm.Enter) // $10 by card
	expect(t, term, "waiting for payment")
	o := env.LastOrder(t, u.ID)
	code, err := stripetest.Post(ctx, env.URL(billing.StripeWebhookPath), testenv.StripeWebhookSecret,
		stripetest.Event{ID: "evt_privacy_1", Type: billing.EventCheckoutCompleted, SessionID: o.SessionID,
			Order: o.Number, PaymentStatus: "paid", AmountTotal: o.AmountCents, PaymentIntent: "pi_privacy_1"})
	if err != nil || code != http.StatusOK {
		t.Fatalf("stripe webhook: %d %v", code, err)
	}
	expect(t, term, "✓ paid: $10.00 credited")
	term.Press(sshterm.Esc)
	expect(t, term, "enter pay $10.00 by card") // back on the list: Esc then Enter at once reads as alt+enter
	term.Press(sshterm.Enter)                   // a second card top-up, left open
	expect(t, term, "waiting for payment")
	term.Press(sshterm.Esc)
	expect(t, term, "enter pay $10.00 by card")
	term.Press(sshterm.Down, sshterm.Right, sshterm.Enter) // $10 in Bitcoin
	expect(t, term, "locked for")
	o = env.LastOrder(t, u.ID)
	code, err = btc.Callback(ctx, env.URL(billing.BlockonomicsCallbackPath),
		testenv.BTCCallbackSecret, store.BTCStatusConfirmed, o.BTCAddress, strings.Repeat("7c", 32),
		o.BTCExpectedSats, false)
	if err != nil || code != http.StatusOK {
		t.Fatalf("bitcoin callback: %d %v", code, err)
	}
	expect(t, term, "$10.00 credited")
	term.Press(sshterm.Esc)
	expect(t, term, "enter pay $10.00")
}

// receiveTwoNumbers reserves a Telegram number (only SMS-Activate has it)
// and a WhatsApp number (only 5sim), and waits for both codes.
func receiveTwoNumbers(t *testing.T, term *sshterm.Term) {
	t.Helper()
	openPane(t, term, "Numbers", "choose a service")
	reserve(t, term, "tele", "Telegram")
	expect(t, term, "Code")
	term.Press(sshterm.Enter)
	reserve(t, term, "whats", "WhatsApp")
	expect(t, term, "Code")
}

// personal is every form the person's secrets and identifiers could take
// in a request: as typed, normalised, URL-encoded; the key as its
// authorized_keys body and as both fingerprints; the client's address.
func personal(email, password string, key ssh.Signer) []string {
	pub := key.PublicKey()
	spec := store.SpecOf(pub)
	md5sum := md5.Sum(pub.Marshal())
	out := []string{email, strings.ToLower(email), url.QueryEscape(email), url.QueryEscape(strings.ToLower(email)),
		strings.Split(email, "@")[0], password, url.QueryEscape(password),
		strings.Fields(spec.PublicKey)[1], spec.Fingerprint, strings.TrimPrefix(spec.Fingerprint, "SHA256:"),
		url.QueryEscape(spec.Fingerprint), ssh.FingerprintLegacyMD5(pub), fmt.Sprintf("%x", md5sum),
		base64.StdEncoding.EncodeToString([]byte(password)), clientAddr}
	return out
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
