package billing

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/store"
)

// refund posts a signed charge.refunded (or, with dispute, a
// charge.dispute.created) to the webhook and returns the status.
func (e *payEnv) reverse(ev stripetest.ChargeEvent) int {
	e.t.Helper()
	code, err := stripetest.PostCharge(context.Background(), e.srv.URL+StripeWebhookPath, testWebhook, ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func (e *payEnv) account() store.User {
	e.t.Helper()
	u, err := e.st.UserByID(context.Background(), e.user.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// A signed completion whose amount, currency or mode is not the order's
// credits nothing: the order waits in review with the difference in its
// note. Only the payment as ordered credits.
func TestStripePaymentNotAsOrderedHeldForReview(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	cases := []struct {
		name string
		edit func(*stripetest.Event)
		note string
	}{
		{"1 JPY for $50", func(ev *stripetest.Event) { ev.AmountTotal, ev.Currency = 1, "jpy" },
			"charged 1 jpy for an order of $50.00"},
		{"$0.50 for $50", func(ev *stripetest.Event) { ev.AmountTotal = 50 },
			"charged $0.50 for an order of $50.00"},
		{"euros", func(ev *stripetest.Event) { ev.Currency = "eur" },
			"charged 5000 eur for an order of $50.00"},
		{"live payment on a test key", func(ev *stripetest.Event) { ev.Livemode = true },
			"a live payment on a test key"},
	}
	for _, c := range cases {
		o := e.openCard(5000)
		ev := completed(o, "evt_"+o.Number)
		c.edit(&ev)
		if code := e.deliver(ev); code != http.StatusOK {
			t.Fatalf("%s: answered %d", c.name, code)
		}
		got := e.order(o.Number)
		if got.Status != store.OrderReview || got.Credited != 0 || got.Note != c.note {
			t.Fatalf("%s: order %+v", c.name, got)
		}
		if b := e.balance(); b != 0 {
			t.Fatalf("%s: balance %d, want 0", c.name, b)
		}
	}
	o := e.openCard(5000)
	if code := e.deliver(completed(o, "evt_exact")); code != http.StatusOK || e.balance() != 5000 ||
		e.order(o.Number).Status != store.OrderPaid {
		t.Fatalf("paid as ordered: %d, balance %d", code, e.balance())
	}
	e.check()
}

// A test-mode completion never credits a server holding a live key.
func TestStripeTestPaymentOnLiveKeyHeldForReview(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	// A live key, same endpoint: stripe-mock takes any sk_ key, and the
	// order is opened before the key changes (the mock refuses live keys).
	o := e.openCard(2000)
	live := *e.pay.stripe
	live.cfg.SecretKey = "sk_live_wantsms"
	e.pay.stripe = &live
	if code := e.deliver(completed(o, "evt_testmode")); code != http.StatusOK {
		t.Fatalf("answered %d", code)
	}
	if got := e.order(o.Number); got.Status != store.OrderReview || got.Note != "a test-mode payment on a live key" ||
		e.balance() != 0 {
		t.Fatalf("order %+v, balance %d", got, e.balance())
	}
}

// A refund of a card payment whose credits were partly spent takes back
// the rest of the balance and leaves the difference owed; replays,
// redeliveries and a dispute of the same money take nothing more; events
// of the other mode or of payments not ours move nothing.
func TestStripeRefundAndDisputeTakeCreditsBackOnce(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	ctx := context.Background()
	o := e.openCard(5000)
	pay := completed(o, "evt_pay")
	pay.PaymentIntent = "pi_refund_me"
	if code := e.deliver(pay); code != 200 || e.balance() != 5000 {
		t.Fatalf("pay: %d, balance %d", code, e.balance())
	}
	if _, err := e.st.CreateReservation(ctx, store.NewReservation{UserID: e.user.ID, Service: "telegram",
		Country: "gb", Phone: "+447700900123", Provider: "sim", ProviderRef: "1", CostMicros: 1,
		PriceCents: 3500, Lifetime: 1 << 40, MaxOpen: 1}); err != nil {
		t.Fatal(err)
	}
	refund := stripetest.ChargeEvent{ID: "evt_refund", Type: EventChargeRefunded, PaymentIntent: "pi_refund_me",
		Amount: 5000}
	for range 3 {
		if code := e.reverse(refund); code != http.StatusOK {
			t.Fatalf("refund answered %d", code)
		}
	}
	if a := e.account(); a.BalanceCents != 0 || a.DebtCents != 3500 {
		t.Fatalf("after the refund: balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	got := e.order(o.Number)
	if got.Status != store.OrderRefunded || got.Reversed != 5000 {
		t.Fatalf("order %+v", got)
	}
	for _, ev := range []stripetest.ChargeEvent{
		{Type: EventChargeRefunded, PaymentIntent: "pi_refund_me", Amount: 5000},                 // same total, new id
		{Type: EventChargeRefunded, PaymentIntent: "pi_refund_me", Amount: 5000, Refunded: 100},  // an older total
		{Type: EventDisputeCreated, PaymentIntent: "pi_refund_me", Amount: 5000},                 // disputed too
		{Type: EventChargeRefunded, PaymentIntent: "pi_not_ours", Amount: 5000},                  // someone else's
		{Type: EventChargeRefunded, PaymentIntent: "pi_refund_me", Amount: 5000, Livemode: true}, // the other mode
	} {
		if code := e.reverse(ev); code != http.StatusOK {
			t.Fatalf("%+v answered %d", ev, code)
		}
	}
	if a := e.account(); a.BalanceCents != 0 || a.DebtCents != 3500 {
		t.Fatalf("after replays: balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	rows, err := e.st.Ledger(ctx, e.user.ID, 10)
	if err != nil || rows[0].Kind != store.LedgerReversal || rows[0].AmountCents != -5000 ||
		!strings.Contains(rows[0].Note, "evt_refund") {
		t.Fatalf("ledger %+v %v", rows, err)
	}
	e.check()
	// A forged refund (wrong secret) takes nothing.
	body := stripetest.ChargePayload(stripetest.ChargeEvent{Type: EventChargeRefunded, PaymentIntent: "pi_x", Amount: 1})
	if code, _ := stripetest.PostRaw(ctx, e.srv.URL+StripeWebhookPath, body,
		stripetest.Sign(body, "whsec_guess", e.now())); code != http.StatusBadRequest {
		t.Fatalf("forged refund answered %d", code)
	}
}

// A partial refund takes its share, and a dispute of what is left the rest.
func TestStripePartialRefundThenDispute(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(4000)
	pay := completed(o, "evt_pay")
	pay.PaymentIntent = "pi_partial"
	e.deliver(pay)
	e.reverse(stripetest.ChargeEvent{Type: EventChargeRefunded, PaymentIntent: "pi_partial", Amount: 4000,
		Refunded: 1000})
	if got := e.order(o.Number); got.Reversed != 1000 || e.balance() != 3000 || got.Status != store.OrderRefunded {
		t.Fatalf("partial refund: %+v, balance %d", got, e.balance())
	}
	e.reverse(stripetest.ChargeEvent{Type: EventDisputeCreated, PaymentIntent: "pi_partial", Amount: 3000})
	if got := e.order(o.Number); got.Reversed != 4000 || e.balance() != 0 || got.Status != store.OrderDisputed {
		t.Fatalf("dispute of the rest: %+v, balance %d", got, e.balance())
	}
	if a := e.account(); a.DebtCents != 0 {
		t.Fatalf("debt %d, want 0", a.DebtCents)
	}
	e.check()
}
