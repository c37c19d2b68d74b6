package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// deliverCard posts a signed Checkout completion of o saying that amount
// of currency was paid, with PaymentIntent pi.
func deliverCard(t *testing.T, env *testenv.PayEnv, id string, o store.Order, amount int64, currency, pi string) {
	t.Helper()
	code, err := stripetest.Post(context.Background(), env.URL(billing.StripeWebhookPath), testenv.StripeWebhookSecret,
		stripetest.Event{ID: id, Type: billing.EventCheckoutCompleted, SessionID: o.SessionID, Order: o.Number,
			AmountTotal: amount, Currency: currency, PaymentIntent: pi})
	if err != nil || code != http.StatusOK {
		t.Fatalf("webhook: %d %v", code, err)
	}
}

// A signed event saying 1 JPY paid a $50 order credits nothing: the person
// sees the order under review, the admin finds it in Admin → Orders with
// the difference, and settles it for what was really paid, audited.
func TestPaymentNotAsOrderedWaitsForAnAdmin(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t)
	_, bossKey := env.NewAdmin("boss@example.com")
	bob, bobKey := env.NewUser("bob@example.com")
	o, err := env.Svc.Payments().OpenCard(context.Background(), bob, 5000)
	if err != nil {
		t.Fatal(err)
	}
	deliverCard(t, env, "evt_jpy", o, 1, "jpy", "pi_jpy")
	if b := balanceOf(t, env, bob.ID); b != 0 {
		t.Fatalf("balance %d after a 1 JPY payment of a $50 order", b)
	}
	if n := value(t, scrape(t, env.Env), "wantsms_orders", "status", "review", "processor", "stripe"); n != 1 {
		t.Fatalf("/metrics counts %d orders in review, want 1", n)
	}

	user := env.Dial(t, bobKey)
	openPane(t, user, "Wallet", o.Number)
	expect(t, user, "review")
	user.Press(sshterm.Down, sshterm.Down, sshterm.Enter)
	expect(t, user, "under review: nothing credited yet")
	expect(t, user, "charged 1 jpy for an order of $50.00")

	boss := env.Dial(t, bossKey)
	openPane(t, boss, "Admin", "All accounts")
	boss.Press(sshterm.Right)
	expect(t, boss, "status any")
	boss.Type("s")
	expect(t, boss, "status review")
	expect(t, boss, o.Number)
	expect(t, boss, "charged 1 jpy")
	boss.Type("v")
	expect(t, boss, "Settle order "+o.Number)
	boss.Type("0.01")
	boss.Press(sshterm.Enter)
	expect(t, boss, "kept in the order")
	boss.Type("1 JPY is about a cent")
	boss.Press(sshterm.Enter)
	expect(t, boss, "settled: $0.01 credited")

	expect(t, user, "✓ paid: $0.01 credited")
	if b := balanceOf(t, env, bob.ID); b != 1 {
		t.Fatalf("balance %d after the settlement, want 1", b)
	}
	log, _ := env.Store().AuditLog(context.Background(), 5)
	if len(log) == 0 || log[0].Action != store.AuditOrderSettle || log[0].Target != o.Number ||
		log[0].Reason != "1 JPY is about a cent" || log[0].TargetUserID != bob.ID {
		t.Fatalf("audit %+v", log)
	}
	checkLedger(t, env)
}

// A card payment refunded after its credits were spent: the Wallet shows
// the order refunded and the debt, the dashboard and the reserve command
// refuse a new number saying why, and the next top-up pays the debt first.
func TestRefundLeavesADebtThatRefusesReserving(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t, testenv.SimNumbers(time.Hour, true, time.Hour))
	bob, key := env.NewUser("spender@example.com")
	ctx := context.Background()
	o, err := env.Svc.Payments().OpenCard(ctx, bob, 1000)
	if err != nil {
		t.Fatal(err)
	}
	deliverCard(t, env, "evt_paid", o, 1000, "usd", "pi_spent")

	term := env.Dial(t, key)
	expect(t, term, "$10.00")
	reserve(t, term, "tele", "Telegram")
	spent := 1000 - balanceOf(t, env, bob.ID)

	code, err := stripetest.PostCharge(ctx, env.URL(billing.StripeWebhookPath), testenv.StripeWebhookSecret,
		stripetest.ChargeEvent{ID: "evt_refund", Type: billing.EventChargeRefunded, PaymentIntent: "pi_spent", Amount: 1000})
	if err != nil || code != http.StatusOK {
		t.Fatalf("refund: %d %v", code, err)
	}
	owed := store.FormatCents(spent)
	openPane(t, term, "Wallet", "you owe "+owed)
	expect(t, term, "refunded")
	term.Press(sshterm.Down, sshterm.Down, sshterm.Enter)
	expect(t, term, "refunded: $10.00 of $10.00 credited taken back")
	expect(t, term, "you owe "+owed+": your next top-up pays it first")

	openPane(t, term, "Numbers", "another number")
	term.Press(sshterm.Enter)
	reserveRefused(t, term, "account owes "+owed)
	refused(t, env.Env, key, "reserve telegram", 2, "account owes "+owed)
	if out := ok(t, env.Env, key, "balance"); out != "$0.00 (you owe "+owed+": a top-up pays it first)\n" {
		t.Fatalf("balance: %q", out)
	}
	checkLedger(t, env)

	// The next top-up pays the debt before anything else.
	o2, err := env.Svc.Payments().OpenCard(ctx, bob, 500)
	if err != nil {
		t.Fatal(err)
	}
	deliverCard(t, env, "evt_paid2", o2, 500, "usd", "pi_next")
	if u, _ := env.Store().UserByID(ctx, bob.ID); u.DebtCents != 0 || u.BalanceCents != 500-spent {
		t.Fatalf("after the next top-up: balance %d, debt %d", u.BalanceCents, u.DebtCents)
	}
	checkLedger(t, env)
}

// reserveRefused walks the Numbers pane to the confirmation and expects
// the refusal want there, with no way to confirm.
func reserveRefused(t *testing.T, term *sshterm.Term, want string) {
	t.Helper()
	expect(t, term, "choose a service")
	term.Type("tele")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "choose a country")
	term.Press(sshterm.Enter)
	expect(t, term, "Reserve this number?")
	expect(t, term, want)
	term.Type("y")
	expect(t, term, want)
	if strings.Contains(term.Screen(), "Your Telegram number") {
		t.Fatalf("reserved while in debt:\n%s", term.Screen())
	}
}

// A callback with the right secret naming a transaction Blockonomics never
// saw credits nothing: orders still shows the top-up waiting.
func TestMadeUpBitcoinTransactionCreditsNothing(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t)
	u, key := env.NewUser("btcforger@example.com")
	o, err := env.Svc.Payments().OpenBitcoin(context.Background(), u, 1000)
	if err != nil {
		t.Fatal(err)
	}
	code, err := blockonomicsfake.SendCallback(context.Background(), env.URL(billing.BlockonomicsCallbackPath),
		testenv.BTCCallbackSecret, store.BTCStatusConfirmed, o.BTCAddress, strings.Repeat("ab", 32), o.BTCExpectedSats,
		false)
	if err != nil || code != http.StatusOK {
		t.Fatalf("forged callback: %d %v", code, err)
	}
	var list ordersJSON
	okJSON(t, env.Env, key, "orders --json", &list)
	if len(list.Orders) != 1 || list.Orders[0].Status != "created" || list.Orders[0].CreditedCents != 0 ||
		balanceOf(t, env, u.ID) != 0 {
		t.Fatalf("after a made-up transaction: %+v, balance %d", list, balanceOf(t, env, u.ID))
	}
}

// Text a payment processor supplied (a PaymentIntent id, the currency
// charged, the note quoting them) reaches the export only through the one
// sanitizer: no escape sequence survives into the JSON.
func TestExportCleansProcessorText(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t)
	u, key := env.NewUser("exported@example.com")
	o, err := env.Svc.Payments().OpenCard(context.Background(), u, 1000)
	if err != nil {
		t.Fatal(err)
	}
	const evil = "\x1b]0;owned\x07\x1b[2J\u009b31m"
	deliverCard(t, env, "evt_evil", o, 1000, "usd"+evil, "pi_"+evil+"clean")
	got := env.LastOrder(t, u.ID)
	if !strings.Contains(got.PaymentIntentID, "\x1b") || !strings.Contains(got.Note, "\x1b") {
		t.Fatalf("the hostile text did not reach the store: %+v", got)
	}
	raw := ok(t, env.Env, key, "export --json")
	for _, bad := range []string{"\x1b", "\x07", "\\u001b", "\\u0007", "\u009b", "\\u009b", "owned\\u"} {
		if strings.Contains(raw, bad) {
			t.Fatalf("the export carries %q:\n%s", bad, raw)
		}
	}
	var doc struct {
		Orders []struct {
			Status   string `json:"status"`
			Note     string `json:"note"`
			Currency string `json:"currency"`
			Card     struct {
				PaymentIntent   string `json:"stripe_payment_intent"`
				ChargedCurrency string `json:"charged_currency"`
			} `json:"card"`
		} `json:"orders"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil || len(doc.Orders) != 1 {
		t.Fatalf("export: %v\n%s", err, raw)
	}
	ord := doc.Orders[0]
	if ord.Status != "review" || ord.Card.PaymentIntent != "pi_clean" || ord.Card.ChargedCurrency != "usd" ||
		!strings.Contains(ord.Note, "charged") {
		t.Fatalf("exported order %+v", ord)
	}
}
