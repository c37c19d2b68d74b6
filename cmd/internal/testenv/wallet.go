package testenv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/billing/stripemock"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// Payment credentials of the test environment (test mode, fakes only).
const (
	StripeKey           = "sk_test_wantsmsE2E" // stripe-mock wants sk_test_ and letters
	StripeWebhookSecret = "whsec_wantsms_e2e"
	BTCKey              = "bk_wantsms_e2e"
	BTCCallbackSecret   = "cb-wantsms-e2e-0123456789abcdef01"
)

// PayEnv is a running WantSMS whose card payments go to a fresh stripe-mock
// and Bitcoin payments to a fake Blockonomics; every request to Stripe is
// recorded.
type PayEnv struct {
	*Env
	Fake   *blockonomicsfake.Fake
	stripe *requestLog
}

// StartWithPayments starts the service with both payment methods
// configured; options adjust the configuration further.
func StartWithPayments(t testing.TB, options ...func(*service.Config)) *PayEnv {
	t.Helper()
	fake := blockonomicsfake.New(BTCKey)
	t.Cleanup(fake.Close)
	log := &requestLog{}
	apiBase := stripemock.Start(t)
	pay := func(c *service.Config) {
		c.Payments.Stripe = billing.StripeConfig{SecretKey: StripeKey, WebhookSecret: StripeWebhookSecret,
			APIBase: apiBase, HTTPClient: &http.Client{Transport: log, Timeout: time.Minute}}
		c.Payments.Blockonomics = billing.BlockonomicsConfig{APIKey: BTCKey, CallbackSecret: BTCCallbackSecret,
			APIBase: fake.URL}
	}
	return &PayEnv{Env: Start(t, append([]func(*service.Config){pay}, options...)...), Fake: fake, stripe: log}
}

// URL is the service's own HTTP address followed by path.
func (e *Env) URL(path string) string { return "http://" + e.Svc.HTTPAddr() + path }

// LastOrder is the newest order of an account.
func (e *Env) LastOrder(t testing.TB, userID int64) store.Order {
	t.Helper()
	orders, err := e.Store().Orders(context.Background(), userID, 1)
	if err != nil || len(orders) == 0 {
		t.Fatalf("no order for account %d: %v", userID, err)
	}
	return orders[0]
}

// StripeEvent delivers a signed Checkout event about an order to the
// webhook, as Stripe would, and returns the HTTP status.
func (e *PayEnv) StripeEvent(t testing.TB, id, typ string, o store.Order, paid bool) int {
	t.Helper()
	status := "paid"
	if !paid {
		status = "unpaid"
	}
	code, err := stripetest.Post(context.Background(), e.URL(billing.StripeWebhookPath), StripeWebhookSecret,
		stripetest.Event{ID: id, Type: typ, SessionID: o.SessionID, Order: o.Number, PaymentStatus: status,
			AmountTotal: o.AmountCents, PaymentIntent: "pi_e2e_" + o.Number})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// BTCCallback sends a Blockonomics callback to the service and returns the
// HTTP status.
func (e *PayEnv) BTCCallback(t testing.TB, status int, addr, txid string, sats int64) int {
	t.Helper()
	code, err := e.Fake.Callback(context.Background(), e.URL(billing.BlockonomicsCallbackPath), BTCCallbackSecret,
		status, addr, txid, sats, false)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// StripeRequests returns every request sent to Stripe: method, URL,
// headers and body, as text.
func (e *PayEnv) StripeRequests() []string { return e.stripe.all() }

// requestLog is an http.RoundTripper that keeps a copy of each request.
type requestLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *requestLog) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	var b bytes.Buffer
	b.WriteString(req.Method + " " + req.URL.String() + "\n")
	_ = req.Header.Write(&b)
	b.Write(body)
	l.mu.Lock()
	l.seen = append(l.seen, b.String())
	l.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (l *requestLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.seen...)
}
