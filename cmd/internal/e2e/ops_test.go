package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// syncBuffer is a log destination safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines(substr string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range strings.Split(s.b.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// What a session causes is logged with its id and address, wherever in
// the program the line is written (here the engine's "reserved").
func TestLogLinesCarryTheSession(t *testing.T) {
	var logs syncBuffer
	env := testenv.Start(t, testenv.SimNumbers(time.Hour, true, time.Hour), func(c *service.Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	u, key := env.NewUser("logged@example.com")
	env.Credit(u.ID, 500, "g")
	term := env.Dial(t, key)
	reserve(t, term, "tele", "Telegram")
	start := logs.lines(`msg="session start"`)
	reserved := logs.lines("msg=reserved")
	if len(start) != 1 || len(reserved) != 1 {
		t.Fatalf("session start %q, reserved %q", start, reserved)
	}
	session := field(start[0], "session")
	remote := field(start[0], "remote")
	if session == "" || remote == "" || field(reserved[0], "session") != session ||
		field(reserved[0], "remote") != remote {
		t.Fatalf("reserved line %q lacks session %s from %s", reserved[0], session, remote)
	}
}

// field reads key=value from a text log line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// With a token configured, /metrics answers only a scrape that brings it.
func TestMetricsToken(t *testing.T) {
	env := testenv.Start(t, func(c *service.Config) { c.MetricsToken = "s3cret" })
	get := func(auth string) int {
		req, _ := http.NewRequest("GET", env.URL("/metrics"), nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "s3cret": 401, "Bearer s3cret": 200} {
		if got := get(auth); got != want {
			t.Errorf("Authorization %q: %d, want %d", auth, got, want)
		}
	}
}

// Without a token, /metrics answers this machine only: a scrape from
// another address is refused, one from loopback served; with a token, the
// token decides wherever the scrape comes from. The other address is one
// of this machine's own that is not loopback, reaching the loopback
// listener (the test is skipped on a machine that has none).
func TestMetricsLoopbackOnlyWithoutToken(t *testing.T) {
	other := nonLoopbackAddr(t)
	from := func(src net.IP) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	get := func(c *http.Client, env *testenv.Env, auth string) int {
		req, _ := http.NewRequest("GET", env.URL("/metrics"), nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	open := testenv.Start(t)
	if got := get(from(other), open, ""); got != http.StatusForbidden {
		t.Errorf("scrape from %s without a token configured: %d, want 403", other, got)
	}
	if got := get(http.DefaultClient, open, ""); got != http.StatusOK {
		t.Errorf("scrape from loopback: %d", got)
	}
	locked := testenv.Start(t, func(c *service.Config) { c.MetricsToken = "s3cret" })
	for auth, want := range map[string]int{"": 401, "Bearer s3cret": 200} {
		if got := get(from(other), locked, auth); got != want {
			t.Errorf("scrape from %s with a token configured, Authorization %q: %d, want %d", other, auth, got, want)
		}
	}
}

// nonLoopbackAddr is an address of this machine that is not loopback.
func nonLoopbackAddr(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	t.Skip("this machine has no address but loopback")
	return nil
}

// Webhook outcomes are counted by source and outcome, and nothing about
// the payer shows in the labels.
func TestMetricsCountWebhookOutcomes(t *testing.T) {
	env := testenv.StartWithPayments(t)
	ctx := context.Background()
	u, _ := env.NewUser("payer@example.com")
	o, err := env.Store().CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorStripe, AmountCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = env.Store().AttachCheckout(ctx, o.Number, store.CheckoutRef{SessionID: "cs_test_metrics",
		URL: "https://checkout.stripe.com/x", ExpiresAt: env.Store().Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	env.StripeEvent(t, "evt_m1", billing.EventCheckoutCompleted, o, true)
	env.StripeEvent(t, "evt_m1", billing.EventCheckoutCompleted, o, true) // redelivered
	post := func(path, body string) {
		res, err := http.Post(env.URL(path), "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	post(billing.StripeWebhookPath, `{"id":"evt_forged"}`)
	post("/webhooks/provider/sim", `{"ref":"1","text":"code 1"}`)
	env.BTCCallback(t, 2, "bc1qnobodysaddress000000000000000000000000", strings.Repeat("d", 64), 1000)
	fams := scrape(t, env.Env)
	for _, c := range []struct {
		source, outcome string
		want            int64
	}{
		{"stripe", "ok", 1}, {"stripe", "ignored", 1}, {"stripe", "bad_signature", 1},
		{"blockonomics", "ignored", 1}, {"provider", "bad_signature", 1}, {"provider", "ok", 0},
	} {
		if got := value(t, fams, "wantsms_webhooks_total", "source", c.source, "outcome", c.outcome); got != c.want {
			t.Errorf("webhooks %s/%s = %d, want %d", c.source, c.outcome, got, c.want)
		}
	}
	if got := value(t, fams, "wantsms_orders", "status", "paid", "processor", "stripe"); got != 1 {
		t.Errorf("paid card orders %d", got)
	}
	for name, f := range fams {
		for _, s := range f.Samples {
			for _, l := range s.Labels {
				if strings.Contains(l.Value, "@") || strings.Contains(l.Value, o.Number) || strings.Contains(l.Value, "cs_") {
					t.Errorf("%s carries personal or payment data in a label: %+v", name, l)
				}
			}
		}
	}
}
