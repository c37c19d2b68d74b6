package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/wantsms/wantsms/billing/stripemock"
)

const (
	testKey     = "sk_test_wantsms"
	testWebhook = "whsec_wantsms_test"
	testPublic  = "https://wantsms.example"
)

// exchange is one request seen by recorder, with its response body.
type exchange struct {
	header   http.Header
	form     url.Values
	response []byte
}

// recorder is an http.RoundTripper that keeps what stripe-go really sent.
type recorder struct {
	mu   sync.Mutex
	seen []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	form, _ := url.ParseQuery(string(body))
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resBody, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	r.mu.Lock()
	r.seen = append(r.seen, exchange{req.Header.Clone(), form, resBody})
	r.mu.Unlock()
	return res, nil
}

func (r *recorder) all() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.seen...)
}

func newTestStripe(t *testing.T, apiBase string) (*Stripe, *recorder) {
	t.Helper()
	rec := &recorder{}
	s, err := NewStripe(StripeConfig{
		SecretKey: testKey, WebhookSecret: testWebhook, APIBase: apiBase, PublicURL: testPublic + "/",
		HTTPClient: &http.Client{Transport: rec, Timeout: time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

func TestCreateCheckoutAgainstStripeMock(t *testing.T) {
	t.Parallel()
	s, rec := newTestStripe(t, stripemock.Start(t))
	opened := time.Now()
	c, err := s.CreateCheckout(context.Background(), "T-1001", 2500, opened)
	if err != nil {
		t.Fatal(err)
	}
	wantExpiry := opened.Add(DefaultSessionTTL + expirySlack).Unix()
	if !strings.HasPrefix(c.SessionID, "cs_") || c.URL == "" || c.ExpiresAt.Unix() != wantExpiry {
		t.Errorf("checkout = %+v, want cs_ id, a URL and expiry %d", c, wantExpiry)
	}
	ex := rec.all()
	if len(ex) != 1 {
		t.Fatalf("%d requests, want 1", len(ex))
	}
	checkSentHeaders(t, ex[0].header)
	checkSentForm(t, ex[0].form, wantExpiry)
	checkEchoed(t, ex[0].response, wantExpiry)
}

func checkSentHeaders(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("Idempotency-Key"); got != "checkout-T-1001" || got != IdempotencyKey("T-1001") {
		t.Errorf("Idempotency-Key = %q", got)
	}
	if got := h.Get("Stripe-Version"); got != stripe.APIVersion {
		t.Errorf("Stripe-Version = %q", got)
	}
	if got := h.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
}

func checkSentForm(t *testing.T, f url.Values, expiry int64) {
	t.Helper()
	want := map[string]string{
		"mode":                                          "payment",
		"line_items[0][quantity]":                       "1",
		"line_items[0][price_data][currency]":           "usd",
		"line_items[0][price_data][unit_amount]":        "2500",
		"line_items[0][price_data][product_data][name]": "WantSMS credits",
		"client_reference_id":                           "T-1001",
		"metadata[order]":                               "T-1001",
		"payment_intent_data[metadata][order]":          "T-1001",
		"expires_at":                                    strconv.FormatInt(expiry, 10),
		"success_url":                                   testPublic + "/pay/done?order=T-1001",
		"cancel_url":                                    testPublic + "/pay/cancelled",
	}
	for k, v := range want {
		if got := f.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if len(f) != len(want) {
		t.Errorf("form has %d fields, want exactly %d (no email or other personal data): %v", len(f), len(want), f)
	}
}

func checkEchoed(t *testing.T, body []byte, expiry int64) {
	t.Helper()
	var cs stripe.CheckoutSession
	if err := json.Unmarshal(body, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.ClientReferenceID != "T-1001" || cs.SuccessURL != testPublic+"/pay/done?order=T-1001" ||
		cs.CancelURL != testPublic+"/pay/cancelled" || cs.ExpiresAt != expiry || cs.Mode != stripe.CheckoutSessionModePayment {
		t.Errorf("echoed session: ref %q success %q cancel %q expires %d mode %q",
			cs.ClientReferenceID, cs.SuccessURL, cs.CancelURL, cs.ExpiresAt, cs.Mode)
	}
}

// Two clients in one process each reach their own backend: nothing goes
// through stripe-go's package globals.
func TestStripeClientsAreIndependent(t *testing.T) {
	t.Parallel()
	a, recA := newTestStripe(t, stripemock.Start(t))
	b, recB := newTestStripe(t, stripemock.Start(t))
	var wg sync.WaitGroup
	for i, s := range []*Stripe{a, b, a} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.CreateCheckout(context.Background(), "P-"+strconv.Itoa(i), 500, time.Now()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(recA.all()) != 2 || len(recB.all()) != 1 {
		t.Fatalf("requests a=%d b=%d, want 2 and 1", len(recA.all()), len(recB.all()))
	}
	if got := recB.all()[0].form.Get("client_reference_id"); got != "P-1" {
		t.Errorf("b sent %q", got)
	}
}

func TestCreateCheckoutRefusesBadInput(t *testing.T) {
	s, rec := newTestStripe(t, "http://127.0.0.1:1") // never reached
	now := time.Now()
	cases := []struct {
		order  string
		cents  int64
		opened time.Time
		want   error
	}{
		{"", 500, now, nil},
		{"has space", 500, now, nil},
		{"a/b", 500, now, nil},
		{strings.Repeat("x", maxOrderLen+1), 500, now, nil},
		{"ok", 49, now, nil},
		{"ok", 100_000_000, now, nil},
		{"ok", 500, now.Add(-10 * time.Minute), ErrOrderTooOld},
		{"ok", 500, now.Add(25 * time.Hour), nil},
	}
	for _, c := range cases {
		_, err := s.CreateCheckout(context.Background(), c.order, c.cents, c.opened)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("CreateCheckout(%q, %d, %v) err = %v, want %v", c.order, c.cents, c.opened, err, c.want)
		}
	}
	if n := len(rec.all()); n != 0 {
		t.Errorf("%d requests sent for refused input", n)
	}
	var none Stripe
	if _, err := none.CreateCheckout(context.Background(), "ok", 500, now); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
}

// A retry a few minutes later for the same order still fits Stripe's
// 30-minute minimum and sends identical parameters.
func TestCreateCheckoutRetryIsIdentical(t *testing.T) {
	t.Parallel()
	s, rec := newTestStripe(t, stripemock.Start(t))
	opened := time.Now().Add(-3 * time.Minute)
	for range 2 {
		if _, err := s.CreateCheckout(context.Background(), "R-7", 1000, opened); err != nil {
			t.Fatal(err)
		}
	}
	ex := rec.all()
	if ex[0].form.Encode() != ex[1].form.Encode() || ex[0].header.Get("Idempotency-Key") != ex[1].header.Get("Idempotency-Key") {
		t.Errorf("retry differs:\n%v\n%v", ex[0].form, ex[1].form)
	}
}

// Stripe's error reply reaches the caller as a wrapped *stripe.Error. The
// server answers in Stripe's documented error shape for a reused key.
func TestCreateCheckoutStripeError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters they were first used with."}}`)
	}))
	defer srv.Close()
	s, _ := newTestStripe(t, srv.URL)
	_, err := s.CreateCheckout(context.Background(), "E-1", 500, time.Now())
	var se *stripe.Error
	if !errors.As(err, &se) || se.Type != stripe.ErrorTypeIdempotency || !strings.Contains(err.Error(), "E-1") {
		t.Fatalf("err = %v", err)
	}
}

func TestStripeConfig(t *testing.T) {
	bad := []StripeConfig{
		{SecretKey: testKey, WebhookSecret: testWebhook, PublicURL: testPublic, SessionTTL: 29 * time.Minute},
		{SecretKey: testKey, WebhookSecret: testWebhook, PublicURL: testPublic, SessionTTL: 61 * time.Minute},
		{SecretKey: testKey, PublicURL: testPublic},
		{SecretKey: "pk_test_x", WebhookSecret: testWebhook, PublicURL: testPublic},
		{WebhookSecret: testWebhook},
		{SecretKey: testKey, WebhookSecret: testWebhook, PublicURL: "wantsms.example"},
		{SecretKey: testKey, WebhookSecret: testWebhook, PublicURL: "ftp://wantsms.example"},
		{SecretKey: testKey, WebhookSecret: testWebhook, PublicURL: "https://x.example/?a=1"},
	}
	for i, c := range bad {
		if _, err := NewStripe(c); err == nil {
			t.Errorf("case %d accepted: %+v", i, c)
		}
	}
	off, err := NewStripe(StripeConfig{})
	if err != nil || off.Configured() {
		t.Errorf("empty config: %v, configured=%v", err, off.Configured())
	}
	live, err := NewStripe(StripeConfig{SecretKey: "sk_live_x", WebhookSecret: testWebhook, PublicURL: testPublic, SessionTTL: time.Hour})
	if err != nil || !live.IsLiveKey() || !live.Configured() {
		t.Errorf("live: %v", err)
	}
	if s, _ := newTestStripe(t, ""); s.IsLiveKey() {
		t.Error("test key reported live")
	}
}
