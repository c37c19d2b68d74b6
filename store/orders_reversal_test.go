package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// paidCard is a card order of cents paid as ordered, with PaymentIntent pi.
func paidCard(t *testing.T, s *Store, u User, cents int64, session, pi string) Order {
	t.Helper()
	o := stripeOrder(t, s, u, cents, session)
	r, err := s.ApplyStripe(context.Background(), StripeUpdate{EventID: "evt_paid_" + session,
		EventType: "checkout.session.completed", Outcome: StripePaid, SessionID: session, PaymentIntentID: pi,
		AmountTotal: cents, Currency: "usd"})
	if err != nil || !r.Credited {
		t.Fatalf("pay %s: %+v %v", o.Number, r, err)
	}
	return r.Order
}

func reversal(event string, kind ReversalKind, pi string, amount int64) StripeReversal {
	typ := "charge.refunded"
	if kind == ReversalDispute {
		typ = "charge.dispute.created"
	}
	return StripeReversal{EventID: event, EventType: typ, Kind: kind, PaymentIntentID: pi, AmountMinor: amount,
		Currency: "usd"}
}

func account(t *testing.T, s *Store, u User) User {
	t.Helper()
	got, err := s.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A refund after the credits were spent takes back what the balance holds
// and leaves the rest owed; replays take nothing more; the debt refuses
// reservations; credits pay the debt before they raise the balance; the
// books hold (ledger = balance - debt) at every step.
func TestRefundTakesBackAndOwesTheRest(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "refund@example.com")
	o := paidCard(t, s, u, 5000, "cs_r", "pi_r")
	if _, err := s.CreateReservation(ctx, newRes(u, 3000)); err != nil {
		t.Fatal(err)
	}
	r, err := s.ApplyStripeReversal(ctx, reversal("evt_ref", ReversalRefund, "pi_r", 5000))
	if err != nil || r.Taken != 5000 || r.DebtCents != 3000 || r.Order.Status != OrderRefunded ||
		r.Order.Reversed != 5000 || r.Order.Number != o.Number {
		t.Fatalf("refund: %+v %v", r, err)
	}
	if a := account(t, s, u); a.BalanceCents != 0 || a.DebtCents != 3000 {
		t.Fatalf("after the refund: balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	checkOK(t, s)
	for _, again := range []StripeReversal{
		reversal("evt_ref", ReversalRefund, "pi_r", 5000),  // the same delivery again
		reversal("evt_ref2", ReversalRefund, "pi_r", 5000), // another event, same total
		reversal("evt_ref3", ReversalRefund, "pi_r", 1000), // an older total, late
		reversal("evt_dis", ReversalDispute, "pi_r", 5000), // disputed too: nothing more to take
	} {
		r, err := s.ApplyStripeReversal(ctx, again)
		if err != nil || r.Taken != 0 {
			t.Fatalf("replay %s: %+v %v", again.EventID, r, err)
		}
	}
	if a := account(t, s, u); a.BalanceCents != 0 || a.DebtCents != 3000 {
		t.Fatalf("after replays: balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	rows, _ := s.Ledger(ctx, u.ID, 10)
	if rows[0].Kind != LedgerReversal || rows[0].AmountCents != -5000 || !strings.Contains(rows[0].Note, "evt_ref") {
		t.Fatalf("newest ledger row %+v", rows[0])
	}
	_, err = s.CreateReservation(ctx, newRes(u, 100))
	var debt *DebtError
	if !errors.As(err, &debt) || debt.DebtCents != 3000 || !strings.Contains(err.Error(), "owes $30.00") {
		t.Fatalf("reserving in debt: %v", err)
	}
	// Credits pay the debt first.
	credit(t, s, u, 2000)
	if a := account(t, s, u); a.BalanceCents != 0 || a.DebtCents != 1000 {
		t.Fatalf("after $20: balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	credit(t, s, u, 2500)
	if a := account(t, s, u); a.BalanceCents != 1500 || a.DebtCents != 0 {
		t.Fatalf("after $25 more: balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	if _, err := s.CreateReservation(ctx, newRes(u, 100)); err != nil {
		t.Fatalf("reserving once settled: %v", err)
	}
	checkOK(t, s)
}

// A partial refund takes its share; a dispute of the rest takes the rest;
// a balance that covers it leaves no debt.
func TestPartialRefundThenDispute(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "partial@example.com")
	paidCard(t, s, u, 5000, "cs_p", "pi_p")
	r, err := s.ApplyStripeReversal(ctx, reversal("evt_1", ReversalRefund, "pi_p", 1250))
	if err != nil || r.Taken != 1250 || r.Order.Status != OrderRefunded || r.DebtCents != 0 {
		t.Fatalf("partial refund: %+v %v", r, err)
	}
	r, err = s.ApplyStripeReversal(ctx, reversal("evt_2", ReversalDispute, "pi_p", 3750))
	if err != nil || r.Taken != 3750 || r.Order.Status != OrderDisputed || r.Order.Reversed != 5000 {
		t.Fatalf("dispute of the rest: %+v %v", r, err)
	}
	if a := account(t, s, u); a.BalanceCents != 0 || a.DebtCents != 0 {
		t.Fatalf("balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	if r, err := s.ApplyStripeReversal(ctx, reversal("evt_3", ReversalRefund, "pi_unknown", 10)); err != nil || !r.Unknown {
		t.Fatalf("unknown PaymentIntent: %+v %v", r, err)
	}
	checkOK(t, s)
}

// Stripe delivers out of order: a refund recorded before the payment's
// completion is taken back the moment the completion credits the order.
func TestRefundBeforeCompletion(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "early@example.com")
	o := stripeOrder(t, s, u, 2000, "cs_e")
	if _, err := s.AttachCheckout(ctx, o.Number, CheckoutRef{SessionID: "cs_e", URL: o.CheckoutURL,
		PaymentIntentID: "pi_e", ExpiresAt: o.ExpiresAt}); err != nil {
		t.Fatal(err)
	}
	r, err := s.ApplyStripeReversal(ctx, reversal("evt_r", ReversalRefund, "pi_e", 2000))
	if err != nil || r.Taken != 0 || r.Order.Status != OrderCreated {
		t.Fatalf("refund first: %+v %v", r, err)
	}
	p, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_c", EventType: "checkout.session.completed",
		Outcome: StripePaid, SessionID: "cs_e", PaymentIntentID: "pi_e", AmountTotal: 2000, Currency: "usd"})
	if err != nil || !p.Credited || p.Order.Status != OrderRefunded || p.Order.Reversed != 2000 {
		t.Fatalf("completion after the refund: %+v %v", p, err)
	}
	if a := account(t, s, u); a.BalanceCents != 0 || a.DebtCents != 0 {
		t.Fatalf("balance %d, debt %d", a.BalanceCents, a.DebtCents)
	}
	checkOK(t, s)
}

// A signed payment that is not what the order asked for credits nothing
// and waits in review; an admin settles it, audited, once.
func TestMismatchedPaymentHeldForReview(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "review@example.com")
	admin := newAdmin(t, s, "boss@example.com")
	cases := []struct {
		name     string
		amount   int64
		currency string
		live     bool
		liveKey  bool
		why      string
	}{
		{"another currency", 1, "jpy", false, false, "charged 1 jpy for an order of $50.00"},
		{"less", 100, "usd", false, false, "charged $1.00 for an order of $50.00"},
		{"test payment, live key", 5000, "usd", false, true, "a test-mode payment on a live key"},
		{"live payment, test key", 5000, "usd", true, false, "a live payment on a test key"},
	}
	var held []Order
	for i, c := range cases {
		session := "cs_m" + string(rune('a'+i))
		stripeOrder(t, s, u, 5000, session)
		r, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_" + session, EventType: "checkout.session.completed",
			Outcome: StripePaid, SessionID: session, PaymentIntentID: "pi_" + session, AmountTotal: c.amount,
			Currency: c.currency, Livemode: c.live, LiveKey: c.liveKey})
		if err != nil || r.Credited || r.Order.Status != OrderReview || r.Order.Note != c.why || r.Mismatch != c.why {
			t.Fatalf("%s: %+v %v", c.name, r, err)
		}
		held = append(held, r.Order)
	}
	if b := balance(t, s, u); b != 0 {
		t.Fatalf("balance %d after mismatched payments, want 0", b)
	}
	list, err := s.AdminOrders(ctx, admin, OrderQuery{Status: OrderReview})
	if err != nil || len(list) != len(cases) {
		t.Fatalf("orders in review: %d %v", len(list), err)
	}
	// Only an admin settles, within bounds, with a reason, once.
	if _, err := s.SettleReview(ctx, Actor{UserID: u.ID}, held[1].Number, 100, "mine"); !errors.Is(err, ErrNotAdmin) {
		t.Fatalf("settled by its owner: %v", err)
	}
	if _, err := s.SettleReview(ctx, admin, held[1].Number, 5001, "too much"); err == nil {
		t.Fatal("credited more than paid and ordered")
	}
	if _, err := s.SettleReview(ctx, admin, held[1].Number, 100, ""); !errors.Is(err, ErrBadReason) {
		t.Fatalf("no reason: %v", err)
	}
	o, err := s.SettleReview(ctx, admin, held[1].Number, 100, "the $1.00 that was paid")
	if err != nil || o.Status != OrderPaid || o.Credited != 100 || balance(t, s, u) != 100 {
		t.Fatalf("credit what was paid: %+v %v (balance %d)", o, err, balance(t, s, u))
	}
	if _, err := s.SettleReview(ctx, admin, held[1].Number, 100, "again"); !errors.Is(err, ErrNotInReview) {
		t.Fatalf("settled twice: %v", err)
	}
	o, err = s.SettleReview(ctx, admin, held[2].Number, 0, "test payment")
	if err != nil || o.Status != OrderFailed || o.Credited != 0 || !strings.Contains(o.Note, "rejected by an admin: test payment") {
		t.Fatalf("reject: %+v %v", o, err)
	}
	trail, err := s.SearchAudit(ctx, admin, AuditQuery{Text: string(AuditOrderSettle)})
	if err != nil || len(trail) != 2 || trail[1].Detail != "credited 100 cents" || trail[0].Detail != "rejected" ||
		trail[0].Target != held[2].Number || trail[0].TargetUserID != u.ID {
		t.Fatalf("audit %+v %v", trail, err)
	}
	// A refund of a payment still in review closes the review: nothing was
	// credited, nothing is taken.
	r, err := s.ApplyStripeReversal(ctx, reversal("evt_rr", ReversalRefund, held[0].PaymentIntentID, 1))
	if err != nil || r.Taken != 0 || r.Order.Status != OrderRefunded {
		t.Fatalf("refund in review: %+v %v", r, err)
	}
	checkOK(t, s)
}

func TestLostShare(t *testing.T) {
	for _, c := range []struct{ credited, charged, lost, want int64 }{
		{5000, 5000, 1, 1}, {5000, 5000, 5000, 5000}, {5000, 5000, 9999, 5000}, {100, 5000, 1, 1},
		{100, 5000, 2500, 50}, {5000, 0, 1, 5000}, {0, 5000, 5000, 0}, {5000, 5000, 0, 0},
	} {
		if got := lostShare(c.credited, c.charged, c.lost); got != c.want {
			t.Errorf("lostShare(%d, %d, %d) = %d, want %d", c.credited, c.charged, c.lost, got, c.want)
		}
	}
}

// Migration 0009 rebuilds orders: every row, reference and index survives,
// ids keep counting up, and accounts start with no debt.
func TestReversalsMigrationKeepsOrders(t *testing.T) {
	sqliteOnly(t, "it upgrades a SQLite database made by older migrations")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path+"?_foreign_keys=on&_journal_mode=wal")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var older []migration
	for _, m := range all {
		if m.version < 9 {
			older = append(older, m)
		}
	}
	old := &Store{dialect: sqliteDialect, w: db, hub: NewHub(), now: time.Now}
	if err := old.applyMigrations(ctx, older); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO users (id, email, balance_cents, created_at) VALUES (1, 'old@example.com', 1500, 1)`,
		`INSERT INTO orders (id, number, user_id, processor, status, credits, credited, amount_cents, session_id,
			payment_intent, charged_cents, charged_currency, livemode, note, created_at, paid_at, updated_at)
			VALUES (7, 'oldcardorder0007', 1, 'stripe', 'paid', 1000, 1000, 1000, 'cs_old', 'pi_old', 1000, 'usd', 0,
			'', 1, 2, 2)`,
		`INSERT INTO orders (id, number, user_id, processor, status, credits, credited, amount_cents, btc_address,
			btc_price_cents, btc_expected_sats, btc_received_sats, note, created_at, updated_at)
			VALUES (9, 'oldbtcorder00009', 1, 'blockonomics', 'paid', 500, 500, 500, 'bc1qold', 786685, 63558, 63558,
			'paid as quoted', 3, 4)`,
		`INSERT INTO btc_payments (txid, addr, order_id, status, value_sats, credited_cents, first_seen_at, updated_at)
			VALUES ('` + strings.Repeat("a", 64) + `', 'bc1qold', 9, 2, 63558, 500, 3, 4)`,
		`INSERT INTO stripe_events (id, type, order_id, received_at) VALUES ('evt_old', 'checkout.session.completed', 7, 2)`,
		`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at) VALUES (1, 1000, 'topup', 'oldcardorder0007', 2)`,
		`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at)
			VALUES (1, 500, 'topup', 'oldbtcorder00009:` + strings.Repeat("a", 64) + `', 4)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	card, err := s.OrderByNumber(ctx, "oldcardorder0007")
	if err != nil || card.ID != 7 || card.Status != OrderPaid || card.Credited != 1000 || card.PaymentIntentID != "pi_old" ||
		card.ChargedCents != 1000 || card.Reversed != 0 {
		t.Fatalf("card order after the rebuild: %+v %v", card, err)
	}
	btc, err := s.OrderByAddress(ctx, "bc1qold")
	if err != nil || btc.ID != 9 || btc.BTCReceivedSats != 63558 || btc.Note != "paid as quoted" {
		t.Fatalf("bitcoin order after the rebuild: %+v %v", btc, err)
	}
	if pays, err := s.BTCPayments(ctx, 9); err != nil || len(pays) != 1 {
		t.Fatalf("bitcoin payments: %+v %v", pays, err)
	}
	for _, idx := range []string{"orders_user", "orders_open", "orders_status_processor", "orders_payment_intent"} {
		var n int
		if err := s.r.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ? AND tbl_name = 'orders'`,
			idx).Scan(&n); err != nil || n != 1 {
			t.Errorf("index %s: %d %v", idx, n, err)
		}
	}
	var ddl string
	if err := s.r.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'orders'`).Scan(&ddl); err != nil ||
		!strings.Contains(ddl, "AUTOINCREMENT") || !strings.Contains(ddl, "'review'") ||
		!strings.Contains(ddl, "-- Internal order number") {
		t.Fatalf("orders table: %s %v", ddl, err)
	}
	u, err := s.UserByID(ctx, 1)
	if err != nil || u.BalanceCents != 1500 || u.DebtCents != 0 {
		t.Fatalf("account after the migration: %+v %v", u, err)
	}
	o := newOrder(t, s, u, ProcessorStripe, 500)
	if o.ID <= 9 {
		t.Fatalf("new order id %d reuses an old one", o.ID)
	}
	checkOK(t, s)
}
