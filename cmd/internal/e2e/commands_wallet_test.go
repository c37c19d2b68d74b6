package e2e

import (
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

type topupJSON struct {
	Order       string `json:"order"`
	Method      string `json:"method"`
	AmountCents int64  `json:"amount_cents"`
	ExpiresAt   string `json:"expires_at"`
	Card        *struct {
		PayLink     string `json:"pay_link"`
		CheckoutURL string `json:"checkout_url"`
	} `json:"card"`
	BTC *struct {
		Address          string `json:"address"`
		AmountBTC        string `json:"amount_btc"`
		AmountSats       int64  `json:"amount_sats"`
		PriceCentsPerBTC int64  `json:"price_cents_per_btc"`
		PaymentURI       string `json:"payment_uri"`
	} `json:"btc"`
}

type ordersJSON struct {
	Orders []struct {
		Order         string  `json:"order"`
		Method        string  `json:"method"`
		Status        string  `json:"status"`
		Open          bool    `json:"open"`
		AmountCents   int64   `json:"amount_cents"`
		CreditedCents int64   `json:"credited_cents"`
		ReversedCents int64   `json:"reversed_cents"`
		CreatedAt     string  `json:"created_at"`
		ExpiresAt     *string `json:"expires_at"`
		PaidAt        *string `json:"paid_at"`
		PayLink       *string `json:"pay_link"`
		Note          string  `json:"note"`
	} `json:"orders"`
}

// topup opens card and Bitcoin top-ups through the same payment desk as
// the Wallet (stripe-mock and a fake Blockonomics here), prints how to
// pay, and orders follows them to paid.
func TestCommandTopUpAndOrders(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t)
	u, key := env.NewUser("payer@example.com")

	var card topupJSON
	raw := ok(t, env.Env, key, "topup card 10 --json")
	testenv.DecodeStrict(t, raw, &card)
	documented(t, env.Env, key, "topup", raw)
	o := env.LastOrder(t, u.ID)
	link := "http://" + env.Svc.HTTPAddr() + "/pay/" + o.Number
	if card.Order != o.Number || card.Method != "card" || card.AmountCents != 1000 || card.BTC != nil ||
		card.Card == nil || card.Card.PayLink != link || card.Card.CheckoutURL != o.CheckoutURL ||
		o.CheckoutURL == "" || card.ExpiresAt == "" || o.Processor != store.ProcessorStripe {
		t.Fatalf("card top-up %+v, order %+v", card, o)
	}

	var btc topupJSON
	okJSON(t, env.Env, key, "topup btc 12.50 --json", &btc)
	o = env.LastOrder(t, u.ID)
	if btc.Order != o.Number || btc.Method != "btc" || btc.AmountCents != 1250 || btc.Card != nil || btc.BTC == nil ||
		btc.BTC.Address != o.BTCAddress || btc.BTC.AmountSats != o.BTCExpectedSats ||
		btc.BTC.AmountBTC != billing.FormatBTC(o.BTCExpectedSats) || btc.BTC.PriceCentsPerBTC != o.BTCPriceCents ||
		btc.BTC.PaymentURI != billing.PaymentURI(o.BTCAddress, o.BTCExpectedSats) || o.BTCAddress == "" {
		t.Fatalf("bitcoin top-up %+v, order %+v", btc, o)
	}
	refused(t, env.Env, key, "topup btc 10", 2, "you already have a Bitcoin top-up waiting (order "+o.Number+")")

	out := ok(t, env.Env, key, "topup card 5")
	third := env.LastOrder(t, u.ID)
	if !strings.Contains(out, "pay $5.00 by card") || !strings.Contains(out, "/pay/"+third.Number+"\n") ||
		!strings.Contains(out, third.CheckoutURL) {
		t.Fatalf("topup text:\n%s", out)
	}
	refused(t, env.Env, key, "topup card 1", 2, "enter an amount between $2 and $500")
	refused(t, env.Env, key, "topup card ten", 1, "want an amount in US dollars")
	refused(t, env.Env, key, "topup paypal 10", 1, "want one of card, btc")

	paid, _ := env.Store().OrderByNumber(t.Context(), card.Order)
	if code := env.StripeEvent(t, "evt_cmd_1", billing.EventCheckoutCompleted, paid, true); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	var list ordersJSON
	okJSON(t, env.Env, key, "orders --json", &list)
	if len(list.Orders) != 3 {
		t.Fatalf("orders: %+v", list)
	}
	newest, middle, oldest := list.Orders[0], list.Orders[1], list.Orders[2]
	if newest.Order != third.Number || !newest.Open || newest.PayLink == nil || !strings.HasSuffix(*newest.PayLink, third.Number) ||
		newest.Status != "created" || newest.PaidAt != nil {
		t.Errorf("open card order: %+v", newest)
	}
	if middle.Method != "btc" || !middle.Open || middle.PayLink != nil || middle.AmountCents != 1250 {
		t.Errorf("bitcoin order: %+v", middle)
	}
	if oldest.Order != card.Order || oldest.Status != "paid" || oldest.Open || oldest.CreditedCents != 1000 ||
		oldest.PaidAt == nil || oldest.PayLink != nil {
		t.Errorf("paid order: %+v", oldest)
	}
	if out := ok(t, env.Env, key, "balance"); out != "$10.00\n" {
		t.Fatalf("balance after paying: %q", out)
	}
	out = ok(t, env.Env, key, "orders --limit 1")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], third.Number) ||
		!strings.Contains(lines[1], "created (open)") {
		t.Fatalf("orders text:\n%s", out)
	}
	documented(t, env.Env, key, "orders", ok(t, env.Env, key, "orders --json"))
}

// documented checks that every key of a command's JSON output is in its
// documented example.
func documented(t *testing.T, env *testenv.Env, key ssh.Signer, command, stdout string) {
	t.Helper()
	doc := exampleKeys(t, env, key, command)
	for _, k := range jsonKeys(t, stdout) {
		if !doc[k] {
			t.Errorf("%s prints %s, not in its documented example", command, k)
		}
	}
}

// A server without payment keys refuses top-ups with the Wallet's reason.
func TestCommandTopUpNotConfigured(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("nopay@example.com")
	refused(t, env, key, "topup card 10", 2, "card payments are not available")
	refused(t, env, key, "topup btc 10", 2, "Bitcoin payments are not available")
	if out := ok(t, env, key, "orders"); !strings.HasPrefix(out, "no top-ups yet") {
		t.Fatalf("orders: %q", out)
	}
}
