package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

// storeTimeout bounds the bookkeeping done after a processor call, on a
// context of its own: a person who quits while Stripe answers must not
// leave the order half recorded.
const storeTimeout = 10 * time.Second

// DefaultPublicURL is where links point when nothing else is configured:
// the HTTP listener's default on this machine.
const DefaultPublicURL = "http://localhost:8080"

// Config is the whole payment configuration. Every part may be empty: a
// processor without keys is simply not offered.
type Config struct {
	Stripe       StripeConfig
	Blockonomics BlockonomicsConfig
	// Packs is the price list; the zero value means DefaultPacks.
	Packs Packs
	// PublicURL is our HTTP base as the world reaches it: success and cancel
	// pages, the short payment links, the callback URLs to configure.
	PublicURL string
	// UnverifiedMaxCents is the most an account whose email is not
	// verified may top up, in all; the zero value means
	// DefaultUnverifiedMaxCents, a negative one that it may not top up.
	UnverifiedMaxCents int64
	Log                *slog.Logger
}

// DefaultUnverifiedMaxCents lets an account top up $10 before its address
// is verified: enough to try the service, little to lose to a mistyped
// address that nobody can reach for a password reset.
const DefaultUnverifiedMaxCents = 10_00

// Payments opens top-ups and fulfils them: it is the one place where money
// received becomes credits, exactly once, through the store.
type Payments struct {
	store  *store.Store
	stripe *Stripe
	btc    *Blockonomics
	packs  Packs
	public string
	log    *slog.Logger
	// unverifiedMax is Config.UnverifiedMaxCents with its default (0: none).
	unverifiedMax int64

	// Webhook outcomes, for /metrics.
	stripeHooks, btcHooks metrics.Tally
}

// WebhookOutcomes counts the processors' webhooks by source ("stripe",
// "blockonomics") and outcome (metrics.Outcome…) since start.
func (p *Payments) WebhookOutcomes() map[string]map[string]int64 {
	return map[string]map[string]int64{"stripe": p.stripeHooks.Snapshot(), "blockonomics": p.btcHooks.Snapshot()}
}

// NewPayments checks cfg and builds the processors' clients.
func NewPayments(st *store.Store, cfg Config) (*Payments, error) {
	if cfg.PublicURL == "" {
		cfg.PublicURL = DefaultPublicURL
	}
	public, err := checkBaseURL(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("public URL: %w", err)
	}
	if len(cfg.Packs.FixedCents) == 0 && cfg.Packs.MinCents == 0 && cfg.Packs.MaxCents == 0 {
		cfg.Packs = DefaultPacks()
	}
	if err := cfg.Packs.Validate(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Stripe.PublicURL = public
	sc, err := NewStripe(cfg.Stripe)
	if err != nil {
		return nil, err
	}
	bc, err := NewBlockonomics(cfg.Blockonomics)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.UnverifiedMaxCents == 0:
		cfg.UnverifiedMaxCents = DefaultUnverifiedMaxCents
	case cfg.UnverifiedMaxCents < 0:
		cfg.UnverifiedMaxCents = 0
	}
	return &Payments{store: st, stripe: sc, btc: bc, packs: cfg.Packs, public: public, log: cfg.Log,
		unverifiedMax: cfg.UnverifiedMaxCents}, nil
}

// Packs is the price list.
func (p *Payments) Packs() Packs { return p.packs }

// UnverifiedMaxCents is the most an account whose email is not verified
// may top up, in all (0: nothing until it is verified).
func (p *Payments) UnverifiedMaxCents() int64 { return p.unverifiedMax }

// CardReady reports whether card payments are configured.
func (p *Payments) CardReady() bool { return p.stripe.Configured() }

// BitcoinReady reports whether Bitcoin payments are configured.
func (p *Payments) BitcoinReady() bool { return p.btc.Configured() }

// LiveCard reports whether the Stripe key moves real money.
func (p *Payments) LiveCard() bool { return p.stripe.IsLiveKey() }

// PayLink is the short link of an order on our own host: it redirects to
// the Checkout page while the order is open, and fits a small QR code
// where a Checkout URL (300–400 bytes) does not.
func (p *Payments) PayLink(number string) string { return p.public + "/pay/" + number }

// PaymentError is a failure told to the person as it is.
type PaymentError struct {
	Msg string
	Err error
}

func (e *PaymentError) Error() string {
	if e.Err == nil {
		return e.Msg
	}
	return e.Msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *PaymentError) Unwrap() error { return e.Err }

// UserFacing is the sentence shown on screen.
func (e *PaymentError) UserFacing() string { return e.Msg }

// ErrAmount is inside the PaymentError refusing an amount that is neither
// a pack nor in the custom range; its message says which are.
var ErrAmount = errors.New("amount not offered")

// checkAmount accepts a fixed pack or a custom amount in range.
func (p *Payments) checkAmount(cents int64) error {
	for _, c := range p.packs.FixedCents {
		if c == cents {
			return nil
		}
	}
	if cents < p.packs.MinCents || cents > p.packs.MaxCents {
		return &PaymentError{Msg: (&RangeError{p.packs.MinCents, p.packs.MaxCents}).Error(), Err: ErrAmount}
	}
	return nil
}

// OpenCard opens a card top-up: the order row first (its number is the
// idempotency key and client_reference_id), then the Checkout session,
// then the session is recorded on the order. Nothing about the person is
// sent to Stripe. A failure at Stripe closes the order as failed.
func (p *Payments) OpenCard(ctx context.Context, u store.User, cents int64) (store.Order, error) {
	if !p.CardReady() {
		return store.Order{}, &PaymentError{Msg: "card payments are not available", Err: ErrNotConfigured}
	}
	o, err := p.open(ctx, u, store.ProcessorStripe, cents)
	if err != nil {
		return store.Order{}, err
	}
	co, err := p.stripe.CreateCheckout(ctx, o.Number, cents, o.CreatedAt)
	if err != nil {
		return store.Order{}, p.failOpen(ctx, o, "Stripe did not open a payment page", err)
	}
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	o, err = p.store.AttachCheckout(bg, o.Number, store.CheckoutRef{SessionID: co.SessionID, URL: co.URL,
		PaymentIntentID: co.PaymentIntentID, ExpiresAt: co.ExpiresAt})
	if err != nil {
		return store.Order{}, fmt.Errorf("record checkout of order %s: %w", o.Number, err)
	}
	p.log.InfoContext(ctx, "card top-up opened", "order", o.Number, "user", u.ID, "cents", cents, "checkout", co.SessionID)
	return o, nil
}

// OpenBitcoin opens a Bitcoin top-up: the order row, the BTC price locked
// for the configured window, a fresh address, the quote recorded.
func (p *Payments) OpenBitcoin(ctx context.Context, u store.User, cents int64) (store.Order, error) {
	if !p.BitcoinReady() {
		return store.Order{}, &PaymentError{Msg: "Bitcoin payments are not available", Err: ErrNotConfigured}
	}
	o, err := p.open(ctx, u, store.ProcessorBlockonomics, cents)
	if err != nil {
		return store.Order{}, err
	}
	price, err := p.btc.Price(ctx)
	if err != nil {
		return store.Order{}, p.failOpen(ctx, o, "Blockonomics did not give a Bitcoin price", err)
	}
	addr, err := p.btc.NewAddress(ctx)
	if err != nil {
		return store.Order{}, p.failOpen(ctx, o, "Blockonomics did not give a Bitcoin address", err)
	}
	q := NewQuote(cents, price)
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	o, err = p.store.AttachBitcoin(bg, o.Number, store.BitcoinRef{Address: addr, PriceCents: price,
		ExpectedSats: q.ExpectedSats, ExpiresAt: p.store.Now().Add(p.btc.PriceLock())})
	if err != nil {
		return store.Order{}, fmt.Errorf("record address of order %s: %w", o.Number, err)
	}
	p.log.InfoContext(ctx, "bitcoin top-up opened", "order", o.Number, "user", u.ID, "cents", cents, "addr", addr,
		"price_cents", price, "sats", q.ExpectedSats)
	return o, nil
}

// open checks the amount and the account and creates the order row.
func (p *Payments) open(ctx context.Context, u store.User, proc store.Processor, cents int64) (store.Order, error) {
	if err := p.checkAmount(cents); err != nil {
		return store.Order{}, err
	}
	if err := u.CheckNotBanned(); err != nil {
		return store.Order{}, err
	}
	return p.store.CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: proc, AmountCents: cents,
		CapUnverified: true, UnverifiedMaxCents: p.unverifiedMax})
}

// failOpen closes an order the processor would not open and tells why.
func (p *Payments) failOpen(ctx context.Context, o store.Order, msg string, cause error) error {
	p.log.ErrorContext(ctx, "top-up not opened", "order", o.Number, "processor", o.Processor, "err", cause)
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err := p.store.FailOrder(bg, o.Number, msg); err != nil {
		p.log.ErrorContext(ctx, "close failed order", "order", o.Number, "err", err)
	}
	return &PaymentError{Msg: msg + ": please try again in a moment", Err: cause}
}

// RunSweep closes expired orders every interval (see store.ExpireOrders)
// and looks up Bitcoin transactions not credited yet every ten minutes
// (ReconcileBTC), until ctx ends.
func (p *Payments) RunSweep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	btc := time.NewTicker(btcReconcileInterval)
	defer btc.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := p.store.ExpireOrders(ctx); err != nil && !errors.Is(err, context.Canceled) {
				p.log.Error("expire orders", "err", err)
			} else if n > 0 {
				p.log.Info("orders expired", "count", n)
			}
		case <-btc.C:
			if _, err := p.ReconcileBTC(ctx); err != nil && !errors.Is(err, context.Canceled) {
				p.log.Error("reconcile bitcoin payments", "err", err)
			}
		}
	}
}
