package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
)

// The payment methods of topup, as typed.
const (
	methodCard = "card"
	methodBTC  = "btc"
)

type topupResult struct {
	Order       string    `json:"order"`  // the order number: orders shows its status
	Method      string    `json:"method"` // "card" or "btc"
	AmountCents int64     `json:"amount_cents"`
	ExpiresAt   Timestamp `json:"expires_at"` // the payment page closes, or the BTC price lock ends
	Card        *cardPay  `json:"card"`       // null for btc
	BTC         *btcPay   `json:"btc"`        // null for card
}

type cardPay struct {
	PayLink     string `json:"pay_link"`     // our short link: it opens the payment page
	CheckoutURL string `json:"checkout_url"` // Stripe's payment page itself
}

type btcPay struct {
	Address          string `json:"address"`
	AmountBTC        string `json:"amount_btc"` // exactly this much, "0.00012345"
	AmountSats       int64  `json:"amount_sats"`
	PriceCentsPerBTC int64  `json:"price_cents_per_btc"` // the locked price
	PaymentURI       string `json:"payment_uri"`         // BIP 21: opens a wallet with both filled in
}

func (r topupResult) WriteText(w io.Writer) error {
	var err error
	if r.Card != nil {
		_, err = fmt.Fprintf(w, "order %s: pay %s by card until %s at\n  %s\n(or directly: %s)\n", r.Order,
			store.FormatCents(r.AmountCents), r.ExpiresAt, r.Card.PayLink, r.Card.CheckoutURL)
	} else if r.BTC != nil {
		_, err = fmt.Fprintf(w, "order %s: send exactly %s BTC to\n  %s\nprice locked at %s per BTC until %s; "+
			"in a wallet: %s\n", r.Order, r.BTC.AmountBTC, r.BTC.Address, store.FormatCents(r.BTC.PriceCentsPerBTC),
			r.ExpiresAt, r.BTC.PaymentURI)
	}
	if err == nil {
		_, err = fmt.Fprintln(w, "the credits arrive once the payment clears; orders shows where it stands")
	}
	return err
}

func topupCommand() *Command {
	method := Arg("METHOD", OneOf(methodCard, methodBTC), "how to pay")
	amount := Arg("AMOUNT", Dollars, "how much to add")
	return &Command{
		Name:    "topup",
		Summary: "open a top-up: a card payment link, or a Bitcoin address and amount",
		Help: "The same as the dashboard's Wallet: the amounts, the methods and the limits are the server's " +
			"(one credit is one US cent). Nothing is charged here: pay at the link, or send the coins; the " +
			"balance rises once the payment clears.",
		Params: []Param{method, amount},
		Example: topupResult{Order: "k7dq2m9xw4hfr3tp", Method: methodCard, AmountCents: 1000, ExpiresAt: exampleTime,
			Card: &cardPay{PayLink: "https://wantsms.example/pay/k7dq2m9xw4hfr3tp",
				CheckoutURL: "https://checkout.stripe.com/c/pay/cs_test_a1b2c3"}},
		Run: func(c *Call) error {
			p := c.Deps.Payments
			if p == nil {
				return Exit(ExitRefused, "top-ups are not available on this server")
			}
			open := p.OpenCard
			if method.Get(c) == methodBTC {
				open = p.OpenBitcoin
			}
			o, err := open(c.Ctx, c.User, amount.Get(c))
			if err != nil {
				return err
			}
			return c.Print(topupOf(p, o))
		},
	}
}

func topupOf(p *billing.Payments, o store.Order) topupResult {
	r := topupResult{Order: o.Number, Method: methodCard, AmountCents: o.AmountCents, ExpiresAt: Timestamp(o.ExpiresAt)}
	if o.Processor == store.ProcessorBlockonomics {
		r.Method = methodBTC
		r.BTC = &btcPay{Address: o.BTCAddress, AmountBTC: billing.FormatBTC(o.BTCExpectedSats),
			AmountSats: o.BTCExpectedSats, PriceCentsPerBTC: o.BTCPriceCents,
			PaymentURI: billing.PaymentURI(o.BTCAddress, o.BTCExpectedSats)}
		return r
	}
	r.Card = &cardPay{PayLink: p.PayLink(o.Number), CheckoutURL: o.CheckoutURL}
	return r
}
