package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// checkLedger runs what `wantsms check` runs on the live database.
func checkLedger(t *testing.T, env *testenv.PayEnv) {
	t.Helper()
	rep, err := env.Store().Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func balanceOf(t *testing.T, env *testenv.PayEnv, id int64) int64 {
	t.Helper()
	u, err := env.Store().UserByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.BalanceCents
}

// A card top-up as a person makes it: the Wallet pane opens a Checkout
// session on stripe-mock, shows the link and the QR code; a signed webhook
// lands and the screen turns paid and the balance rises without a key
// press; redeliveries credit nothing more.
func TestTopUpByCardLive(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t)
	u, key := env.NewUser("carol@example.com")
	term := env.Dial(t, key)
	openPane(t, term, "Wallet", "enter pay $5.00 by card")
	term.Press(sshterm.Right, sshterm.Enter) // $10
	expect(t, term, "Pay $10.00 by card")
	expect(t, term, "waiting for payment")
	o := env.LastOrder(t, u.ID)
	if o.Status != store.OrderCreated || o.SessionID == "" || o.Processor != store.ProcessorStripe {
		t.Fatalf("order %+v", o)
	}
	link := "http://" + env.Svc.HTTPAddr() + "/pay/" + o.Number
	expect(t, term, link)
	if !strings.Contains(string(term.Raw()), "\x1b]8;;"+o.CheckoutURL+"\x1b\\") {
		t.Error("no clickable OSC 8 link to the Checkout page")
	}
	if !hasQR(term.Screen()) {
		t.Errorf("no QR code on the screen:\n%s", term.Screen())
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != o.CheckoutURL {
		t.Fatalf("short link: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}

	if code := env.StripeEvent(t, "evt_e2e_1", billing.EventCheckoutCompleted, o, true); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	expect(t, term, "✓ paid: $10.00 credited")
	expect(t, term, "$10.00") // the header's balance
	for range 3 {
		env.StripeEvent(t, "evt_e2e_1", billing.EventCheckoutCompleted, o, true)
	}
	env.StripeEvent(t, "evt_e2e_2", billing.EventCheckoutAsyncSucceeded, o, true)
	term.Press(sshterm.Esc)
	expect(t, term, "paid")
	if b := balanceOf(t, env, u.ID); b != 1000 {
		t.Fatalf("balance %d after redeliveries, want 1000", b)
	}
	checkLedger(t, env)
	for _, r := range env.StripeRequests() {
		if strings.Contains(r, "carol") {
			t.Errorf("a request to Stripe carries the email:\n%s", r)
		}
	}
}

// A Bitcoin top-up: price and address from the fake Blockonomics, the
// amount and QR on screen, then callbacks move it from waiting to seen,
// confirming and paid on screen, live; a replayed callback credits nothing.
func TestTopUpByBitcoinLive(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t)
	u, key := env.NewUser("dave@example.com")
	term := env.Dial(t, key)
	openPane(t, term, "Wallet", "enter pay $5.00 by card")
	term.Press(sshterm.Down, sshterm.Right, sshterm.Enter)
	expect(t, term, "Pay $5.00 in Bitcoin")
	expect(t, term, "locked for")
	o := env.LastOrder(t, u.ID)
	if o.BTCAddress == "" || o.BTCExpectedSats == 0 || o.Processor != store.ProcessorBlockonomics {
		t.Fatalf("order %+v", o)
	}
	expect(t, term, billing.FormatBTC(o.BTCExpectedSats)+" BTC")
	expect(t, term, o.BTCAddress[:20])
	term.Type("c")
	expect(t, term, "Copied the address")
	if got := term.Clipboard(); got != o.BTCAddress {
		t.Fatalf("clipboard %q, want the address", got)
	}
	txid := strings.Repeat("5e", 32)
	steps := []struct {
		status int
		want   string
	}{{0, "BTC in the mempool"}, {1, "1 confirmation"}, {2, "✓ $5.00 credited"}}
	for _, s := range steps {
		if code := env.BTCCallback(t, s.status, o.BTCAddress, txid, o.BTCExpectedSats); code != 200 {
			t.Fatalf("callback %d answered %d", s.status, code)
		}
		expect(t, term, s.want)
	}
	expect(t, term, "$5.00")
	env.BTCCallback(t, 2, o.BTCAddress, txid, o.BTCExpectedSats)
	env.BTCCallback(t, 0, o.BTCAddress, txid, o.BTCExpectedSats)
	if code, err := env.Fake.Callback(context.Background(), env.URL(billing.BlockonomicsCallbackPath), "wrong",
		2, o.BTCAddress, strings.Repeat("66", 32), o.BTCExpectedSats, false); err != nil || code != http.StatusForbidden {
		t.Fatalf("bad secret: %d %v", code, err)
	}
	if b := balanceOf(t, env, u.ID); b != 500 {
		t.Fatalf("balance %d, want 500", b)
	}
	checkLedger(t, env)
	for _, r := range env.Fake.Requests() {
		if strings.Contains(r.Path+r.Query.Encode()+r.Body+r.Authorization, "dave") {
			t.Errorf("a request to Blockonomics carries the email: %+v", r)
		}
	}
}

// Without any payment configuration the server starts and the Wallet says
// so; the webhooks are not there.
func TestWalletWithoutPaymentConfig(t *testing.T) {
	t.Parallel()
	env := testenv.Start(t)
	_, key := env.NewUser("erin@example.com")
	term := env.Dial(t, key)
	openPane(t, term, "Wallet", "No payment method is set up on this server yet.")
	res, err := http.Post(env.URL(billing.StripeWebhookPath), "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("stripe webhook without stripe: %d", res.StatusCode)
	}
}

// hasQR reports whether a screen shows a QR code: its finder squares are
// drawn as a full block, five half blocks and a full block, whatever the
// rest of the code looks like.
func hasQR(screen string) bool {
	return strings.Contains(screen, "█▀▀▀▀▀█") || strings.Contains(screen, "█▄▄▄▄▄█")
}
