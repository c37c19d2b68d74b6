package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func newOrder(t *testing.T, s *Store, u User, p Processor, cents int64) Order {
	t.Helper()
	o, err := s.CreateOrder(context.Background(), NewOrder{UserID: u.ID, Processor: p, AmountCents: cents})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func stripeOrder(t *testing.T, s *Store, u User, cents int64, session string) Order {
	t.Helper()
	o := newOrder(t, s, u, ProcessorStripe, cents)
	o, err := s.AttachCheckout(context.Background(), o.Number, CheckoutRef{SessionID: session,
		URL: "https://checkout.stripe.com/c/pay/" + session, ExpiresAt: s.Now().Add(35 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func btcOrder(t *testing.T, s *Store, u User, cents int64, addr string) Order {
	t.Helper()
	o := newOrder(t, s, u, ProcessorBlockonomics, cents)
	// $50,000.00 per BTC: one cent is 20 sats.
	o, err := s.AttachBitcoin(context.Background(), o.Number, BitcoinRef{Address: addr, PriceCents: 5_000_000,
		ExpectedSats: cents * 20, ExpiresAt: s.Now().Add(30 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func balance(t *testing.T, s *Store, u User) int64 {
	t.Helper()
	got, err := s.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.BalanceCents
}

func checkOK(t *testing.T, s *Store) {
	t.Helper()
	rep, err := s.Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func TestOrderNumbersAndRules(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "o@example.com")
	seen := map[string]bool{}
	for range 5 {
		o := newOrder(t, s, u, ProcessorStripe, 500)
		if len(o.Number) != OrderNumberLen || strings.Trim(o.Number, orderAlphabet) != "" || seen[o.Number] {
			t.Fatalf("order number %q: want %d fresh letters of %q", o.Number, OrderNumberLen, orderAlphabet)
		}
		seen[o.Number] = true
		if o.Status != OrderCreated || o.Credits != 500 || o.AmountCents != 500 || o.Currency != "usd" {
			t.Fatalf("new order %+v", o)
		}
	}
	b := btcOrder(t, s, u, 1000, "bc1qtestaddress0000000000000000000000000a")
	var open *OpenOrderError
	if _, err := s.CreateOrder(ctx, NewOrder{UserID: u.ID, Processor: ProcessorBlockonomics, AmountCents: 500}); !errors.As(err, &open) || open.Number != b.Number {
		t.Fatalf("second bitcoin order while one is open: %v", err)
	}
	for range maxOrdersPerHour - 6 {
		newOrder(t, s, u, ProcessorStripe, 500)
	}
	if _, err := s.CreateOrder(ctx, NewOrder{UserID: u.ID, Processor: ProcessorStripe, AmountCents: 500}); !errors.Is(err, ErrTooManyOrders) {
		t.Fatalf("order past the hourly cap: %v", err)
	}
	clock.Add(time.Hour + time.Second)
	newOrder(t, s, u, ProcessorBlockonomics, 500) // the lock of the first one ended, and the hour passed

	banned := newUser(t, s, "b@example.com")
	if _, err := s.w.Exec(`UPDATE users SET banned_at = 1, ban_reason = 'fraud' WHERE id = ?`, banned.ID); err != nil {
		t.Fatal(err)
	}
	var be *BannedError
	if _, err := s.CreateOrder(ctx, NewOrder{UserID: banned.ID, Processor: ProcessorStripe, AmountCents: 500}); !errors.As(err, &be) {
		t.Fatalf("banned account opened an order: %v", err)
	}
}

func paid(event, session string) StripeUpdate {
	return StripeUpdate{EventID: event, EventType: "checkout.session.completed", Outcome: StripePaid,
		SessionID: session, PaymentIntentID: "pi_1", AmountTotal: 1000, Currency: "usd"}
}

func TestStripePaidCreditsOnce(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "s@example.com")
	o := stripeOrder(t, s, u, 1000, "cs_test_1")
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()

	r, err := s.ApplyStripe(ctx, paid("evt_1", "cs_test_1"))
	if err != nil || !r.Credited || r.Order.Status != OrderPaid || r.Order.Credited != 1000 || r.Order.PaymentIntentID != "pi_1" {
		t.Fatalf("paid event: %+v %v", r, err)
	}
	if r, err := s.ApplyStripe(ctx, paid("evt_1", "cs_test_1")); err != nil || !r.Duplicate {
		t.Fatalf("redelivery: %+v %v", r, err)
	}
	// Another event saying paid (async succeeded after completed) is no credit.
	again := paid("evt_2", "cs_test_1")
	again.EventType = "checkout.session.async_payment_succeeded"
	if r, err := s.ApplyStripe(ctx, again); err != nil || r.Credited || r.Changed {
		t.Fatalf("second paid event: %+v %v", r, err)
	}
	// Nor does an expiry move a paid order back.
	if r, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_3", Outcome: StripeExpired, SessionID: "cs_test_1"}); err != nil || r.Changed || r.Order.Status != OrderPaid {
		t.Fatalf("expiry after paid: %+v %v", r, err)
	}
	if b := balance(t, s, u); b != 1000 {
		t.Fatalf("balance %d, want 1000", b)
	}
	rows, _ := s.Ledger(ctx, u.ID, 10)
	if len(rows) != 1 || rows[0].Kind != LedgerTopup || rows[0].Reference != o.Number {
		t.Fatalf("ledger %+v", rows)
	}
	kinds := map[EventKind]bool{}
	for len(sub.C) > 0 {
		kinds[(<-sub.C).Kind] = true
	}
	if !kinds[EventOrder] || !kinds[EventBalance] {
		t.Fatalf("events %v, want order and balance", kinds)
	}
	checkOK(t, s)
}

func TestStripeConcurrentRedeliveriesCreditOnce(t *testing.T) {
	s, _ := openTest(t)
	u := newUser(t, s, "c@example.com")
	stripeOrder(t, s, u, 1000, "cs_test_c")
	var wg sync.WaitGroup
	var mu sync.Mutex
	credited := 0
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Half the same event, half distinct ids for the same session.
			r, err := s.ApplyStripe(context.Background(), paid(fmt.Sprintf("evt_%d", i%2*i), "cs_test_c"))
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if r.Credited {
				credited++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if credited != 1 || balance(t, s, u) != 1000 {
		t.Fatalf("credited %d times, balance %d", credited, balance(t, s, u))
	}
	checkOK(t, s)
}

func TestStripeDelayedPayment(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "d@example.com")
	stripeOrder(t, s, u, 1000, "cs_test_d")
	stripeOrder(t, s, u, 1000, "cs_test_f")
	r, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_a", Outcome: StripeProcessing, SessionID: "cs_test_d"})
	if err != nil || r.Order.Status != OrderPending || balance(t, s, u) != 0 {
		t.Fatalf("completed unpaid: %+v %v", r, err)
	}
	ok := paid("evt_b", "cs_test_d")
	if r, err := s.ApplyStripe(ctx, ok); err != nil || !r.Credited {
		t.Fatalf("async succeeded: %+v %v", r, err)
	}
	if r, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_c", Outcome: StripeProcessing, SessionID: "cs_test_f"}); err != nil || !r.Changed {
		t.Fatalf("completed unpaid: %+v %v", r, err)
	}
	if r, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_d", Outcome: StripeFailed, SessionID: "cs_test_f"}); err != nil || r.Order.Status != OrderFailed {
		t.Fatalf("async failed: %+v %v", r, err)
	}
	if b := balance(t, s, u); b != 1000 {
		t.Fatalf("balance %d, want 1000", b)
	}
	checkOK(t, s)
}

func TestStripeUnknownSessionAndAttachByNumber(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "n@example.com")
	if r, err := s.ApplyStripe(ctx, paid("evt_x", "cs_other")); err != nil || !r.Unknown {
		t.Fatalf("unknown session: %+v %v", r, err)
	}
	// A crash between Stripe's answer and AttachCheckout: the webhook finds
	// the order by number and attaches the session.
	o := newOrder(t, s, u, ProcessorStripe, 1000)
	up := paid("evt_y", "cs_late")
	up.OrderNumber = o.Number
	up.AmountTotal = 900
	r, err := s.ApplyStripe(ctx, up)
	if err != nil || r.Credited || r.Order.Status != OrderReview || r.Order.SessionID != "cs_late" ||
		r.Mismatch == "" || r.Order.Note == "" {
		t.Fatalf("attach by number, charged less: %+v %v", r, err)
	}
	if _, err := s.AttachCheckout(ctx, o.Number, CheckoutRef{SessionID: "cs_late", URL: "u", ExpiresAt: s.Now()}); err != nil {
		t.Fatalf("attach after the webhook, same session: %v", err)
	}
	if _, err := s.AttachCheckout(ctx, o.Number, CheckoutRef{SessionID: "cs_else", URL: "u", ExpiresAt: s.Now()}); !errors.Is(err, ErrOrderNotCreated) {
		t.Fatalf("attach another session: %v", err)
	}
	checkOK(t, s)
}

// rule50k credits at the order's locked price with no slack.
func rule50k(o Order, before, total int64) (int64, string) {
	return total/20 - before/20, fmt.Sprintf("%d sats", total)
}

func TestBitcoinCallbacks(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "btc@example.com")
	const addr = "bc1qtestaddress0000000000000000000000000b"
	o := btcOrder(t, s, u, 1000, addr)
	tx1, tx2 := strings.Repeat("a", 64), strings.Repeat("b", 64)
	apply := func(txid string, status int, sats int64) BTCResult {
		t.Helper()
		r, err := s.ApplyBTC(ctx, BTCUpdate{Addr: addr, Txid: txid, Status: status, ValueSats: sats}, rule50k)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := apply(tx1, 0, 12000); !r.Changed || r.Order.Status != OrderPending {
		t.Fatalf("unconfirmed: %+v", r)
	}
	if r := apply(tx1, 0, 12000); r.Changed {
		t.Fatalf("repeat changed something: %+v", r)
	}
	if r := apply(tx1, 2, 12000); !r.Credited || r.Cents != 600 || r.Order.Status != OrderPaid {
		t.Fatalf("confirmed: %+v", r)
	}
	if r := apply(tx1, 1, 12000); r.Changed || r.Credited { // late, out of order
		t.Fatalf("late confirming after confirmed: %+v", r)
	}
	if r := apply(tx1, 2, 12000); r.Credited {
		t.Fatalf("confirmed twice: %+v", r)
	}
	if r := apply(tx2, 2, 8000); !r.Credited || r.Cents != 400 || r.Order.Credited != 1000 || r.Order.BTCReceivedSats != 20000 {
		t.Fatalf("second transaction: %+v", r)
	}
	if b := balance(t, s, u); b != 1000 {
		t.Fatalf("balance %d, want 1000", b)
	}
	pays, err := s.BTCPayments(ctx, o.ID)
	if err != nil || len(pays) != 2 || !pays[0].Credited || pays[0].CreditedCents+pays[1].CreditedCents != 1000 {
		t.Fatalf("payments %+v %v", pays, err)
	}
	if _, err := s.ApplyBTC(ctx, BTCUpdate{Addr: "bc1qunknown", Txid: tx1, Status: 2, ValueSats: 1}, rule50k); !errors.Is(err, ErrUnknownAddress) {
		t.Fatalf("unknown address: %v", err)
	}
	checkOK(t, s)
}

func TestExpireOrders(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "e@example.com")
	card := stripeOrder(t, s, u, 500, "cs_e")
	btc := btcOrder(t, s, u, 500, "bc1qtestaddress0000000000000000000000000c")
	bare := newOrder(t, s, u, ProcessorStripe, 500)
	clock.Add(31 * time.Minute)
	if n, err := s.ExpireOrders(ctx); err != nil || n != 2 {
		t.Fatalf("first sweep: %d %v, want the bitcoin order and the bare one", n, err)
	}
	clock.Add(35 * time.Minute)
	if n, err := s.ExpireOrders(ctx); err != nil || n != 1 {
		t.Fatalf("second sweep: %d %v, want the card order", n, err)
	}
	for num, want := range map[string]OrderStatus{card.Number: OrderExpired, btc.Number: OrderExpired, bare.Number: OrderFailed} {
		if o, _ := s.OrderByNumber(ctx, num); o.Status != want {
			t.Errorf("order %s is %s, want %s", num, o.Status, want)
		}
	}
	// Coins arriving after the lock still count: the money is there.
	r, err := s.ApplyBTC(ctx, BTCUpdate{Addr: btc.BTCAddress, Txid: strings.Repeat("c", 64), Status: 2, ValueSats: 10000}, rule50k)
	if err != nil || !r.Credited || r.Order.Status != OrderPaid {
		t.Fatalf("late coins: %+v %v", r, err)
	}
	checkOK(t, s)
}

func TestCheckFindsOrderWithoutLedger(t *testing.T) {
	s, _ := openTest(t)
	u := newUser(t, s, "k@example.com")
	o := stripeOrder(t, s, u, 500, "cs_k")
	if _, err := s.w.Exec(`UPDATE orders SET credited = 500, status = 'paid' WHERE id = ?`, o.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(context.Background())
	if err != nil || rep.OK() || len(rep.Orders) != 1 {
		t.Fatalf("check missed a credited order without ledger row: %+v %v", rep, err)
	}
}

func TestMigrationsWithGapsAllApplied(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	// A database that got 0003 before 0002 existed (branches merged late).
	extra := []migration{
		{version: 9000, name: "9000_late.sql", sql: `CREATE TABLE late (x INTEGER)`},
		{version: 9002, name: "9002_early.sql", sql: `CREATE TABLE early (x INTEGER)`},
	}
	if err := s.applyMigrations(ctx, extra[1:]); err != nil {
		t.Fatal(err)
	}
	if err := s.applyMigrations(ctx, extra); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT (SELECT COUNT(*) FROM late) + (SELECT COUNT(*) FROM early) + 2`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d of 2 tables, %v: a migration numbered below the highest applied was skipped", n, err)
	}
}

func TestPurgeForgetsOldStripeEvents(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "p@example.com")
	stripeOrder(t, s, u, 500, "cs_p")
	if _, err := s.ApplyStripe(ctx, paid("evt_old", "cs_p")); err != nil {
		t.Fatal(err)
	}
	clock.Add(stripeEventKeep + time.Hour)
	rep, err := s.Purge(ctx)
	if err != nil || rep.Removed["Stripe event ids older than 30 days"] != 1 {
		t.Fatalf("purge: %+v %v", rep, err)
	}
	checkOK(t, s) // the order and its ledger row stay
}

// An order is looked up by number within its account only: another
// account's number is "no such order", like one that never was.
func TestUserOrderIsScoped(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	owner, other := newUser(t, s, "owner@example.com"), newUser(t, s, "other@example.com")
	o := newOrder(t, s, owner, ProcessorStripe, 500)
	if got, err := s.UserOrder(ctx, owner.ID, o.Number); err != nil || got.ID != o.ID {
		t.Fatalf("owner's order: %+v, %v", got, err)
	}
	for _, c := range []struct {
		user   int64
		number string
	}{{other.ID, o.Number}, {owner.ID, "nosuchorder23456"}} {
		if _, err := s.UserOrder(ctx, c.user, c.number); !errors.Is(err, ErrNoOrder) {
			t.Errorf("UserOrder(%d, %q) = %v, want ErrNoOrder", c.user, c.number, err)
		}
	}
}
