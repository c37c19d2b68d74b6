package billing

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/store"
)

// At the fake's default price, $7,866.85 per BTC, $10.00 is 127,116 sats
// (127,115.68 rounded).
const tenDollarSats = 127116

func (e *payEnv) openBTC(cents int64) store.Order {
	e.t.Helper()
	o, err := e.pay.OpenBitcoin(context.Background(), e.user, cents)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// callback sends one Blockonomics callback and returns our status. With
// our secret it is Blockonomics reporting a real payment (the transaction
// goes on the fake's chain first); with another it is a stranger's guess.
func (e *payEnv) callback(secret string, status int, addr, txid string, sats int64, rbf bool) int {
	e.t.Helper()
	send := blockonomicsfake.SendCallback
	if secret == btcSecret {
		send = e.fake.Callback
	}
	code, err := send(context.Background(), e.srv.URL+BlockonomicsCallbackPath, secret, status, addr, txid, sats, rbf)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func txid(c string) string { return strings.Repeat(c, 64) }

func TestBitcoinOrderQuote(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	before := e.now()
	o := e.openBTC(1000)
	if o.BTCAddress != e.fake.Addresses()[0] || o.BTCPriceCents != 786685 || o.BTCExpectedSats != tenDollarSats {
		t.Fatalf("order %+v", o)
	}
	if lock := o.ExpiresAt.Sub(before); lock < DefaultPriceLock-time.Second || lock > DefaultPriceLock+time.Second {
		t.Fatalf("price locked for %v, want %v", lock, DefaultPriceLock)
	}
	for _, r := range e.fake.Requests() {
		if r.Path == "/api/new_address" && r.Authorization != "Bearer "+btcKey {
			t.Fatalf("new_address without the key: %+v", r)
		}
	}
}

func TestBitcoinCallbacksReplayed(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	o := e.openBTC(1000)
	a := o.BTCAddress
	steps := []struct {
		name    string
		secret  string
		status  int
		tx      string
		sats    int64
		rbf     bool
		code    int
		state   store.OrderStatus
		balance int64
	}{
		{"bad secret", "guess", 2, txid("a"), tenDollarSats, false, 403, store.OrderCreated, 0},
		{"rbf unconfirmed", btcSecret, 0, txid("a"), tenDollarSats, true, 200, store.OrderPending, 0},
		{"unconfirmed", btcSecret, 0, txid("a"), tenDollarSats, false, 200, store.OrderPending, 0},
		{"confirming", btcSecret, 1, txid("a"), tenDollarSats, false, 200, store.OrderPending, 0},
		{"confirmed", btcSecret, 2, txid("a"), tenDollarSats, false, 200, store.OrderPaid, 1000},
		{"duplicate", btcSecret, 2, txid("a"), tenDollarSats, false, 200, store.OrderPaid, 1000},
		{"out of order", btcSecret, 0, txid("a"), tenDollarSats, false, 200, store.OrderPaid, 1000},
		{"unknown address", btcSecret, 2, txid("b"), 5000, false, 200, store.OrderPaid, 1000},
		{"malformed", btcSecret, 7, txid("b"), 5000, false, 400, store.OrderPaid, 1000},
	}
	for _, s := range steps {
		addr := a
		if s.name == "unknown address" {
			addr = "bc1qunknownaddressxxxxxxxxxxxxxxxxxxxxxxxx"
		}
		if code := e.callback(s.secret, s.status, addr, s.tx, s.sats, s.rbf); code != s.code {
			t.Fatalf("%s: answered %d, want %d", s.name, code, s.code)
		}
		if got := e.order(o.Number); got.Status != s.state || e.balance() != s.balance {
			t.Fatalf("%s: order %s, balance %d; want %s, %d", s.name, got.Status, e.balance(), s.state, s.balance)
		}
	}
	e.check()
}

func TestBitcoinConfirmedFirstAndMultiTxid(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	o := e.openBTC(1000)
	half := int64(tenDollarSats / 2)
	// The second transaction confirms first; late unconfirmed reports of it
	// change nothing; the first then confirms and completes the order.
	e.callback(btcSecret, 2, o.BTCAddress, txid("b"), tenDollarSats-half, false)
	e.callback(btcSecret, 0, o.BTCAddress, txid("b"), tenDollarSats-half, false)
	got := e.order(o.Number)
	if got.Status != store.OrderPaid || !strings.Contains(got.Note, "underpaid") || e.balance() >= 1000 || e.balance() == 0 {
		t.Fatalf("half paid: %+v, balance %d", got, e.balance())
	}
	e.callback(btcSecret, 0, o.BTCAddress, txid("a"), half, false)
	e.callback(btcSecret, 2, o.BTCAddress, txid("a"), half, false)
	e.callback(btcSecret, 2, o.BTCAddress, txid("a"), half, false)
	if got := e.order(o.Number); e.balance() != 1000 || got.Credited != 1000 || got.BTCReceivedSats != tenDollarSats {
		t.Fatalf("both halves: %+v, balance %d", got, e.balance())
	}
	e.check()
}

func TestBitcoinUnderAndOverpaid(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sats int64
		want int64
		note string
	}{
		{tenDollarSats / 2, 500, "underpaid: "},            // floor(63558 × 786685 / 1e8) cents
		{tenDollarSats - 100, 1000, "underpaid within 1%"}, // wallet rounding: the quoted credits
		{2 * tenDollarSats, 2000, "overpaid"},              // all of it
	} {
		e := newPayEnv(t, false)
		o := e.openBTC(1000)
		e.callback(btcSecret, 2, o.BTCAddress, txid("c"), c.sats, false)
		got := e.order(o.Number)
		if e.balance() != c.want || got.Credited != c.want || !strings.HasPrefix(got.Note, c.note) {
			t.Errorf("%d sats: balance %d, order %+v; want %d and a note %q", c.sats, e.balance(), got, c.want, c.note)
		}
		e.check()
	}
}

// Coins first seen after the price lock are credited at the day's price.
func TestBitcoinAfterThePriceLockIsRepriced(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	o := e.openBTC(1000)
	e.offset.Store(int64(DefaultPriceLock + time.Minute))
	e.fake.SetPrice("3933.42") // half the price at the quote
	e.callback(btcSecret, 2, o.BTCAddress, txid("d"), tenDollarSats, false)
	got := e.order(o.Number)
	if e.balance() != 500 || !strings.Contains(got.Note, "after the price lock") {
		t.Fatalf("late payment: balance %d, order %+v; want $5.00 at the new price", e.balance(), got)
	}
	// A price outage makes the callback fail, so Blockonomics retries it.
	e.fake.FailWith(500, `{"message":"down"}`)
	if code := e.callback(btcSecret, 2, o.BTCAddress, txid("e"), 1000, false); code != 503 {
		t.Fatalf("late payment during a price outage: %d, want 503", code)
	}
	e.check()
}

func TestBitcoinOutageFailsTheOrder(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	e.fake.FailWith(500, `{"message":"maintenance"}`)
	if _, err := e.pay.OpenBitcoin(context.Background(), e.user, 1000); err == nil {
		t.Fatal("opened an order without a price")
	}
	orders, _ := e.st.Orders(context.Background(), e.user.ID, 5)
	if len(orders) != 1 || orders[0].Status != store.OrderFailed {
		t.Fatalf("orders %+v, want one failed", orders)
	}
	e.fake.FailWith(0, "")
	if _, err := e.pay.OpenBitcoin(context.Background(), e.user, 1000); err != nil {
		t.Fatalf("a failed order blocks the next one: %v", err)
	}
}
