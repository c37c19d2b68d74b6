package billing

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/store"
)

// fuzzAddr is the Bitcoin address of the fuzz store's order.
const fuzzAddr = "bc1qfuzz0000000000000000000000000000000000"

// fuzzDesk is Payments over a real store holding one open card order and
// one open Bitcoin order, with a second connection that reads a summary of
// every payment table. Neither processor's API is reachable: the webhook
// handlers must not need it.
type fuzzDesk struct {
	pay  *Payments
	st   *store.Store
	raw  *sql.DB
	card store.Order
}

func newFuzzDesk(f *testing.F) *fuzzDesk {
	f.Helper()
	dir := f.TempDir()
	st, err := store.Open(filepath.Join(dir, "fuzz.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	pay, err := NewPayments(st, Config{
		Stripe:       StripeConfig{SecretKey: testKey, WebhookSecret: testWebhook, APIBase: "http://127.0.0.1:1"},
		Blockonomics: BlockonomicsConfig{APIKey: btcKey, CallbackSecret: btcSecret, APIBase: "http://127.0.0.1:1"},
		PublicURL:    testPublic, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	d := &fuzzDesk{pay: pay, st: st}
	d.card, _ = d.seedOrders(f)
	if d.raw, err = sql.Open("sqlite", filepath.Join(dir, "fuzz.db")+"?_query_only=on"); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { d.raw.Close() })
	return d
}

func (d *fuzzDesk) seedOrders(f *testing.F) (card, btc store.Order) {
	ctx := context.Background()
	u, err := d.st.CreateUser(ctx, "fuzz@example.com", "correct horse", store.Origin{})
	if err != nil {
		f.Fatal(err)
	}
	card, err = d.st.CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorStripe, AmountCents: 2500})
	if err == nil {
		card, err = d.st.AttachCheckout(ctx, card.Number, store.CheckoutRef{SessionID: "cs_test_fuzz",
			URL: "https://checkout.stripe.com/c/pay/cs_test_fuzz", ExpiresAt: time.Now().Add(time.Hour)})
	}
	if err != nil {
		f.Fatal(err)
	}
	btc, err = d.st.CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorBlockonomics, AmountCents: 1000})
	if err == nil {
		btc, err = d.st.AttachBitcoin(ctx, btc.Number, store.BitcoinRef{Address: fuzzAddr, PriceCents: 786685,
			ExpectedSats: tenDollarSats, ExpiresAt: time.Now().Add(time.Hour)})
	}
	if err != nil {
		f.Fatal(err)
	}
	return card, btc
}

// snapshot summarises everything a payment can change: the ledger, the
// balances, the orders, the Bitcoin transactions and the Stripe events.
func (d *fuzzDesk) snapshot(t *testing.T) string {
	t.Helper()
	var s string
	err := d.raw.QueryRow(`SELECT
		(SELECT COUNT(*) || '/' || COALESCE(SUM(amount_cents), 0) FROM ledger) || '|' ||
		(SELECT group_concat(balance_cents) FROM users) || '|' ||
		(SELECT group_concat(status || ':' || credited || ':' || btc_received_sats || ':' ||
			COALESCE(payment_intent, '') || ':' || updated_at) FROM orders) || '|' ||
		(SELECT COUNT(*) || '/' || COALESCE(SUM(value_sats + status), 0) FROM btc_payments) || '|' ||
		(SELECT COUNT(*) FROM stripe_events)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve runs one request through the real routes and checks the answer:
// a refusal (4xx, or 5xx for a processor we cannot reach) changed nothing;
// an acceptance left the books consistent.
func (d *fuzzDesk) serve(t *testing.T, req *http.Request, mustRefuse bool) {
	t.Helper()
	before := d.snapshot(t)
	mux := http.NewServeMux()
	d.pay.Routes(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	after := d.snapshot(t)
	switch {
	case mustRefuse && rec.Code < 400:
		t.Fatalf("%s %s accepted (%d) without the right signature or secret", req.Method, req.URL, rec.Code)
	case rec.Code >= 400 && after != before:
		t.Fatalf("%s %s refused with %d but changed the books:\n%s\n%s", req.Method, req.URL, rec.Code, before, after)
	case rec.Code < 400 && after != before:
		if rep, err := d.st.Check(context.Background()); err != nil || !rep.OK() {
			t.Fatalf("%s %s: books inconsistent after %d: %+v %v", req.Method, req.URL, rec.Code, rep, err)
		}
	}
}

// FuzzStripeWebhook posts arbitrary bodies to /webhooks/stripe, signed
// with our secret when sign is set (what a correct Stripe could send),
// else under the given header (what anybody could): nothing panics, an
// unsigned body is always refused, and a refusal changes nothing.
func FuzzStripeWebhook(f *testing.F) {
	d := newFuzzDesk(f)
	for _, typ := range []string{EventCheckoutCompleted, EventCheckoutAsyncSucceeded, EventCheckoutAsyncFailed,
		EventCheckoutExpired, "payment_intent.succeeded"} {
		f.Add(stripetest.Payload(stripetest.Event{Type: typ, SessionID: d.card.SessionID, Order: d.card.Number,
			AmountTotal: d.card.AmountCents, PaymentIntent: "pi_fuzz"}), true, "")
	}
	for _, typ := range []string{EventChargeRefunded, EventDisputeCreated} {
		f.Add(stripetest.ChargePayload(stripetest.ChargeEvent{Type: typ, PaymentIntent: "pi_fuzz", Amount: 2500,
			Refunded: 1000}), true, "")
	}
	f.Add([]byte(`{"id":"evt_r","type":"charge.refunded","data":{"object":{"object":"charge","id":"ch_1",`+
		`"payment_intent":"pi_fuzz","amount":-5,"amount_refunded":99999999999999}}}`), true, "")
	paid := stripetest.Payload(stripetest.Event{Type: EventCheckoutCompleted, SessionID: d.card.SessionID,
		Order: d.card.Number, AmountTotal: 1, Currency: "eur"})
	f.Add(paid, true, "")
	f.Add(paid, false, "t=1700000000,v1="+strings.Repeat("ab", 32))
	f.Add([]byte(`{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"object":"checkout.session"}}}`), true, "")
	f.Add([]byte(`{"id":"evt_1","type":"checkout.session.completed","data":null}`), true, "")
	f.Add([]byte("not json"), true, "")
	f.Fuzz(func(t *testing.T, body []byte, sign bool, header string) {
		if sign {
			header = stripetest.Sign(body, testWebhook, time.Time{})
		}
		req := httptest.NewRequest(http.MethodPost, StripeWebhookPath, bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", header)
		d.serve(t, req, !sign)
	})
}

// FuzzBlockonomicsCallback sends arbitrary callback queries, with our
// secret added when withSecret is set: nothing panics, a query without the
// secret is always refused, and a refusal changes nothing.
func FuzzBlockonomicsCallback(f *testing.F) {
	d := newFuzzDesk(f)
	tx := strings.Repeat("c", 64)
	for _, q := range []string{
		"status=0&addr=" + fuzzAddr + "&value=127116&txid=" + tx,
		"status=2&addr=" + fuzzAddr + "&value=127116&txid=" + tx,
		"status=2&addr=" + fuzzAddr + "&value=1&txid=" + strings.Repeat("D", 64) + "&rbf=1",
		"status=2&addr=" + fuzzAddr + "&value=99999999999999999&txid=" + tx,
		"status=-1&addr=" + fuzzAddr + "&value=5&txid=" + tx,
		"status=2&status=2&addr=" + fuzzAddr + "&value=5&txid=" + tx,
		"status=2&addr=bc1qunknown00000000000000000000000000000000&value=5&txid=" + tx,
		"status=%32&addr=" + fuzzAddr + "&value=%2B5&txid=" + tx,
	} {
		f.Add(q, true)
		f.Add(q, false)
	}
	f.Fuzz(func(t *testing.T, query string, withSecret bool) {
		if q, _ := url.ParseQuery(query); strings.Contains(strings.Join(q["secret"], ""), btcSecret) {
			withSecret = true // the fuzzer spelled the secret out itself: not a forgery
		} else if withSecret {
			query += "&secret=" + url.QueryEscape(btcSecret)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL = &url.URL{Path: BlockonomicsCallbackPath, RawQuery: query}
		d.serve(t, req, !withSecret)
	})
}
