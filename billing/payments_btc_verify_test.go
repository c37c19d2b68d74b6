package billing

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/store"
)

// forge sends a callback with our secret that Blockonomics did not send:
// whatever it says, only what Blockonomics' lookup says may count.
func (e *payEnv) forge(status int, addr, txid string, sats int64) int {
	e.t.Helper()
	code, err := blockonomicsfake.SendCallback(context.Background(), e.srv.URL+BlockonomicsCallbackPath, btcSecret,
		status, addr, txid, sats, false)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// A callback with the right secret is only a prompt to look: made-up
// txids, transactions paying another address, values above what truly
// arrived and confirmations that did not happen credit nothing beyond
// what Blockonomics reports arrived, confirmed, at the order's address.
func TestBitcoinCreditsOnlyWhatBlockonomicsReports(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	o := e.openBTC(1000)
	a := o.BTCAddress
	half := int64(tenDollarSats / 2)

	if code := e.forge(2, a, txid("1"), tenDollarSats); code != http.StatusOK || e.balance() != 0 {
		t.Fatalf("made-up txid: %d, balance %d", code, e.balance())
	}
	e.fake.SetTx(blockonomicsfake.Tx{Txid: txid("2"), Status: blockonomicsfake.Confirmed,
		Outputs: []blockonomicsfake.Output{{Addr: "bc1qsomeoneelse000000000000000000000000000", Sats: tenDollarSats}}})
	if code := e.forge(2, a, txid("2"), tenDollarSats); code != http.StatusOK || e.balance() != 0 {
		t.Fatalf("a transaction paying another address: %d, balance %d", code, e.balance())
	}
	if got := e.order(o.Number); got.Status != store.OrderCreated {
		t.Fatalf("after two forgeries the order is %s", got.Status)
	}
	// Half truly arrived, the callback claims all of it.
	e.fake.SetTx(blockonomicsfake.Tx{Txid: txid("3"), Status: blockonomicsfake.Confirmed,
		Outputs: []blockonomicsfake.Output{{Addr: a, Sats: half}}})
	if code := e.forge(2, a, txid("3"), tenDollarSats); code != http.StatusOK {
		t.Fatalf("inflated value: %d", code)
	}
	if got := e.order(o.Number); e.balance() != CentsFor(half, o.BTCPriceCents) || got.BTCReceivedSats != half ||
		!strings.Contains(got.Note, "underpaid") {
		t.Fatalf("inflated value: %+v, balance %d", got, e.balance())
	}
	before := e.balance()
	// The rest is in the mempool; the callback says confirmed.
	e.fake.SetTx(blockonomicsfake.Tx{Txid: txid("4"), Status: blockonomicsfake.Unconfirmed,
		Outputs: []blockonomicsfake.Output{{Addr: a, Sats: tenDollarSats - half}}})
	if code := e.forge(2, a, txid("4"), tenDollarSats-half); code != http.StatusOK || e.balance() != before {
		t.Fatalf("unconfirmed claimed confirmed: %d, balance %d", code, e.balance())
	}
	pays, _ := e.st.BTCPayments(context.Background(), o.ID)
	if len(pays) != 2 || pays[1].Txid != txid("4") || pays[1].Status != BTCUnconfirmed || pays[1].Credited {
		t.Fatalf("payments %+v", pays)
	}
	// Once it really confirms, Blockonomics' own callback credits it.
	if code := e.callback(btcSecret, 2, a, txid("4"), tenDollarSats-half, false); code != http.StatusOK ||
		e.balance() != 1000 {
		t.Fatalf("real confirmation: %d, balance %d", code, e.balance())
	}
	e.check()
}

// Blockonomics unreachable: nothing is credited, the callback is answered
// so that Blockonomics calls again, and the claim waits for the reconcile
// poll; whichever comes first credits, once.
func TestBitcoinBlockonomicsDownLosesNothing(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"retried callback", "reconcile poll"} {
		t.Run(via, func(t *testing.T) {
			e := newPayEnv(t, false)
			o := e.openBTC(1000)
			e.fake.FailWith(http.StatusBadGateway, `{"message":"upstream down"}`)
			if code := e.callback(btcSecret, 2, o.BTCAddress, txid("d"), tenDollarSats, false); code != http.StatusServiceUnavailable {
				t.Fatalf("callback while Blockonomics is down: %d, want 503", code)
			}
			if n, err := e.pay.ReconcileBTC(context.Background()); err == nil || n != 0 {
				t.Fatalf("reconcile while down: %d %v", n, err)
			}
			if e.balance() != 0 || e.order(o.Number).Status != store.OrderCreated {
				t.Fatalf("credited without a lookup: balance %d", e.balance())
			}
			e.fake.FailWith(0, "")
			if via == "retried callback" {
				if code := e.callback(btcSecret, 2, o.BTCAddress, txid("d"), tenDollarSats, false); code != http.StatusOK {
					t.Fatalf("retry: %d", code)
				}
			}
			n, err := e.pay.ReconcileBTC(context.Background())
			if err != nil || e.balance() != 1000 || (via == "reconcile poll") != (n == 1) {
				t.Fatalf("after recovery: %d credited by the poll, %v, balance %d", n, err, e.balance())
			}
			if n, err := e.pay.ReconcileBTC(context.Background()); err != nil || n != 0 || e.balance() != 1000 {
				t.Fatalf("a second poll: %d %v, balance %d", n, err, e.balance())
			}
			if left, err := e.st.BTCToCheck(context.Background(), 10); err != nil || len(left) != 0 {
				t.Fatalf("still to check: %+v %v", left, err)
			}
			e.check()
		})
	}
}

// A confirmation whose callback never arrives is credited by the poll,
// which looks up the transactions seen but not credited.
func TestBitcoinReconcileCreditsAMissedConfirmation(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	o := e.openBTC(1000)
	e.callback(btcSecret, 0, o.BTCAddress, txid("9"), tenDollarSats, false)
	if e.order(o.Number).Status != store.OrderPending {
		t.Fatalf("order %s after the mempool callback", e.order(o.Number).Status)
	}
	e.fake.Pay(txid("9"), o.BTCAddress, tenDollarSats, blockonomicsfake.Confirmed) // no callback follows
	if n, err := e.pay.ReconcileBTC(context.Background()); err != nil || n != 1 || e.balance() != 1000 {
		t.Fatalf("poll: %d %v, balance %d", n, err, e.balance())
	}
	e.check()
}

func TestTxDetail(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{})
	ctx := context.Background()
	const ours = "bc1qours00000000000000000000000000000000000"
	fake.SetTx(blockonomicsfake.Tx{Txid: txid("a"), Status: blockonomicsfake.PartiallyConfirmed,
		Outputs: []blockonomicsfake.Output{{Addr: ours, Sats: 700}, {Addr: "bc1qchange", Sats: 5}, {Addr: ours, Sats: 300}}})
	tx, err := b.TxDetail(ctx, txid("a"))
	if err != nil || tx.Status != BTCPartiallyConfirmed || tx.PaidTo(ours) != 1000 || tx.PaidTo("bc1qnobody") != 0 {
		t.Fatalf("tx %+v %v", tx, err)
	}
	r := fake.Requests()[len(fake.Requests())-1]
	if r.Method != http.MethodGet || r.Path != "/api/tx_detail" || r.Query.Get("txid") != txid("a") ||
		r.Authorization != "Bearer "+btcKey {
		t.Fatalf("request %+v", r)
	}
	if _, err := b.TxDetail(ctx, txid("f")); !errors.Is(err, ErrTxUnknown) {
		t.Fatalf("unknown transaction: %v", err)
	}
	for code, unknown := range map[int]bool{http.StatusBadRequest: true, http.StatusInternalServerError: false,
		http.StatusTooManyRequests: false, http.StatusUnauthorized: false} {
		fake.FailWith(code, `{"message":"no"}`)
		if _, err := b.TxDetail(ctx, txid("a")); err == nil || errors.Is(err, ErrTxUnknown) != unknown {
			t.Errorf("HTTP %d: %v (unknown %v)", code, err, unknown)
		}
	}
	for _, body := range []string{`{"status":"Confirmed","vout":[]}`, `{"status":"Confirmed","vout":[{"address":"x","value":1.5}]}`,
		`{"status":"Confirmed","vout":[{"address":"x","value":-1}]}`, `{"status":"Confirmed","vout":[{"address":"x","value":99999999999999999}]}`,
		`not json`} {
		fake.FailWith(http.StatusOK, body)
		if _, err := b.TxDetail(ctx, txid("a")); !errors.Is(err, ErrTxGarbled) {
			t.Errorf("%s: %v", body, err)
		}
	}
	fake.FailWith(http.StatusOK, `{"status":"Double Spent","vout":[{"address":"`+ours+`","value":5}]}`)
	if tx, err := b.TxDetail(ctx, txid("a")); err != nil || tx.Status != BTCUnconfirmed {
		t.Fatalf("a status we do not know counts as unconfirmed: %+v %v", tx, err)
	}
}

func TestCallbackSecretMustBeLong(t *testing.T) {
	_, err := NewBlockonomics(BlockonomicsConfig{APIKey: btcKey, CallbackSecret: strings.Repeat("s", MinCallbackSecretLen-1)})
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("a 31-character secret: %v", err)
	}
	if _, err := NewBlockonomics(BlockonomicsConfig{APIKey: btcKey, CallbackSecret: strings.Repeat("s", MinCallbackSecretLen)}); err != nil {
		t.Fatalf("a 32-character secret: %v", err)
	}
}
