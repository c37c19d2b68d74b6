package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/stripe/stripe-go/v76"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

// maxWebhookBody caps a Stripe webhook body. A Checkout event is a few
// kilobytes; 256 KiB leaves room for expanded objects and refuses a flood.
const maxWebhookBody = 256 << 10

// StripeWebhookPath and BlockonomicsCallbackPath are where the processors
// call us; the README tells how to configure them.
const (
	StripeWebhookPath        = "/webhooks/stripe"
	BlockonomicsCallbackPath = "/webhooks/blockonomics"
)

// StripeEvents are the event types the Stripe endpoint must subscribe to.
var StripeEvents = []string{EventCheckoutCompleted, EventCheckoutAsyncSucceeded, EventCheckoutAsyncFailed,
	EventCheckoutExpired, EventChargeRefunded, EventDisputeCreated}

// HandleStripe is POST /webhooks/stripe: the only place a card payment is
// fulfilled, or taken back. The signature is checked on the raw body; a bad
// signature, a timestamp over 5 minutes old or a malformed event is
// answered 400 and changes nothing; events of other types are acknowledged
// and ignored; a redelivery is acknowledged and changes nothing. A store
// failure is a 500 so that Stripe retries.
func (p *Payments) HandleStripe(w http.ResponseWriter, r *http.Request) {
	if !p.CardReady() {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		p.stripeHooks.Inc(metrics.OutcomeMalformed)
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		p.stripeHooks.Inc(metrics.OutcomeMalformed)
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	ev, err := p.stripe.ParseWebhook(body, r.Header.Get("Stripe-Signature"))
	if err != nil {
		outcome := metrics.OutcomeMalformed
		if errors.Is(err, ErrBadSignature) {
			outcome = metrics.OutcomeBadSignature
		}
		p.stripeHooks.Inc(outcome)
		p.log.Warn("stripe webhook refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if !ev.Handled {
		p.stripeHooks.Inc(metrics.OutcomeIgnored)
		p.log.Debug("stripe event ignored", "event", ev.ID, "type", ev.Type)
		writeText(w, http.StatusOK, "ignored\n")
		return
	}
	if ev.Reversal != "" {
		p.handleReversal(w, r, ev)
		return
	}
	res, err := p.store.ApplyStripe(r.Context(), p.stripeUpdate(ev))
	if err != nil {
		p.stripeHooks.Inc(metrics.OutcomeError)
		p.log.Error("stripe event not applied", "event", ev.ID, "type", ev.Type, "checkout", ev.SessionID, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	p.logStripe(ev, res)
	if res.Duplicate || res.Unknown {
		p.stripeHooks.Inc(metrics.OutcomeIgnored)
	} else {
		p.stripeHooks.Inc(metrics.OutcomeOK)
	}
	writeText(w, http.StatusOK, "ok\n")
}

// stripeUpdate says what a verified event means for its order. Only a
// completed session whose payment_status is "paid" (or an async success)
// credits, and only if amount, currency and mode (test or live, as our
// key) are the order's; a completed one still unpaid waits for its
// delayed payment.
func (p *Payments) stripeUpdate(ev StripeEvent) store.StripeUpdate {
	u := store.StripeUpdate{EventID: ev.ID, EventType: ev.Type, SessionID: ev.SessionID,
		OrderNumber: ev.ClientReferenceID, PaymentIntentID: ev.PaymentIntentID, AmountTotal: ev.AmountTotal,
		Currency: ev.Currency, Livemode: ev.Livemode, LiveKey: p.stripe.IsLiveKey()}
	if u.OrderNumber == "" {
		u.OrderNumber = ev.OrderNumber
	}
	switch ev.Type {
	case EventCheckoutCompleted:
		u.Outcome = store.StripeProcessing
		if ev.PaymentStatus == PaymentStatusPaid {
			u.Outcome = store.StripePaid
		}
	case EventCheckoutAsyncSucceeded:
		u.Outcome = store.StripePaid
	case EventCheckoutAsyncFailed:
		u.Outcome = store.StripeFailed
	case EventCheckoutExpired:
		u.Outcome = store.StripeExpired
	}
	return u
}

func (p *Payments) logStripe(ev StripeEvent, res store.StripeResult) {
	attrs := []any{"event", ev.ID, "type", ev.Type, "checkout", ev.SessionID}
	if ev.APIVersion != stripe.APIVersion {
		attrs = append(attrs, "api_version", ev.APIVersion)
	}
	switch {
	case res.Duplicate:
		p.log.Info("stripe event already processed", attrs...)
	case res.Unknown:
		p.log.Warn("stripe event for a session of no order of ours", attrs...)
	case res.Mismatch != "":
		p.log.Error("stripe payment differs from the order: held for review", append(attrs, "order",
			res.Order.Number, "mismatch", res.Mismatch)...)
	default:
		p.log.Info("stripe event applied", append(attrs, "order", res.Order.Number, "status", res.Order.Status,
			"credited", res.Credited)...)
	}
}

// handleReversal takes back the credits of a refunded or disputed card
// payment. An event of the other mode than our key (a test refund on a
// live endpoint) moves nothing: it cannot be about a payment of ours.
func (p *Payments) handleReversal(w http.ResponseWriter, r *http.Request, ev StripeEvent) {
	attrs := []any{"event", ev.ID, "type", ev.Type, "payment_intent", ev.PaymentIntentID}
	if ev.Livemode != p.stripe.IsLiveKey() {
		p.stripeHooks.Inc(metrics.OutcomeIgnored)
		p.log.Error("stripe reversal of the other mode than our key: ignored", append(attrs, "livemode", ev.Livemode)...)
		writeText(w, http.StatusOK, "ignored\n")
		return
	}
	res, err := p.store.ApplyStripeReversal(r.Context(), store.StripeReversal{EventID: ev.ID, EventType: ev.Type,
		Kind: ev.Reversal, PaymentIntentID: ev.PaymentIntentID, AmountMinor: ev.ReversalMinor, Currency: ev.Currency})
	switch {
	case err != nil:
		p.stripeHooks.Inc(metrics.OutcomeError)
		p.log.Error("stripe reversal not applied", append(attrs, "err", err)...)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	case res.Duplicate:
		p.stripeHooks.Inc(metrics.OutcomeIgnored)
		p.log.Info("stripe event already processed", attrs...)
	case res.Unknown:
		p.stripeHooks.Inc(metrics.OutcomeIgnored)
		p.log.Warn("stripe reversal of a payment of no order of ours", attrs...)
	default:
		p.stripeHooks.Inc(metrics.OutcomeOK)
		p.log.Warn("card payment taken back", append(attrs, "order", res.Order.Number, "status", res.Order.Status,
			"amount", ev.ReversalMinor, "currency", ev.Currency, "credits_taken", res.Taken, "debt_cents", res.DebtCents)...)
	}
	writeText(w, http.StatusOK, "ok\n")
}

// HandleBlockonomics is GET /webhooks/blockonomics?secret=…: Blockonomics
// reports a transaction paying one of our addresses. A wrong secret is a
// 403 and changes nothing; an address no order has is logged and
// acknowledged; a confirmed transaction (status 2) is credited once at the
// order's locked price (CreditFor). Unconfirmed ones, replaceable (rbf) or
// not, are only shown.
func (p *Payments) HandleBlockonomics(w http.ResponseWriter, r *http.Request) {
	if !p.BitcoinReady() {
		http.NotFound(w, r)
		return
	}
	cb, err := p.btc.ParseCallback(r.URL.Query())
	switch {
	case errors.Is(err, ErrBadSecret):
		p.btcHooks.Inc(metrics.OutcomeBadSignature)
		p.log.Warn("blockonomics callback with a bad secret", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	case err != nil:
		p.btcHooks.Inc(metrics.OutcomeMalformed)
		p.log.Warn("blockonomics callback refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rule, err := p.btcRule(r.Context(), cb)
	if err != nil {
		p.btcHooks.Inc(metrics.OutcomeError)
		p.log.Error("bitcoin payment not priced", "addr", cb.Addr, "txid", cb.Txid, "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	res, err := p.store.ApplyBTC(r.Context(), store.BTCUpdate{Addr: cb.Addr, Txid: cb.Txid, Status: cb.Status,
		ValueSats: cb.ValueSats, RBF: cb.RBF}, rule)
	switch {
	case errors.Is(err, store.ErrUnknownAddress):
		p.btcHooks.Inc(metrics.OutcomeIgnored)
		p.log.Warn("blockonomics callback for an address of no order", "addr", cb.Addr, "txid", cb.Txid)
	case err != nil:
		p.btcHooks.Inc(metrics.OutcomeError)
		p.log.Error("bitcoin payment not applied", "addr", cb.Addr, "txid", cb.Txid, "err", err)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	default:
		p.btcHooks.Inc(metrics.OutcomeOK)
		p.log.Info("bitcoin callback applied", "order", res.Order.Number, "txid", cb.Txid, "status", cb.Status,
			"sats", cb.ValueSats, "rbf", cb.RBF, "credited_cents", res.Cents, "order_status", res.Order.Status)
	}
	writeText(w, http.StatusOK, "ok\n")
}

// btcRule prices a callback's transaction. Coins first seen while the
// price lock held are credited by CreditFor at the locked price. Coins
// first seen after it ended are re-priced at today's price: the quote no
// longer binds, and honouring it would let a payer wait for the price to
// fall and buy credits cheap.
func (p *Payments) btcRule(ctx context.Context, cb Callback) (store.BTCRule, error) {
	locked := func(o store.Order, before, total int64) (int64, string) {
		q := Quote{AmountCents: o.AmountCents, ExpectedSats: o.BTCExpectedSats, LockedCentsPerBTC: o.BTCPriceCents}
		now, note := CreditFor(q, total)
		was, _ := CreditFor(q, before)
		return now - was, note
	}
	if cb.Status != BTCConfirmed {
		return locked, nil
	}
	o, err := p.store.OrderByAddress(ctx, cb.Addr)
	if err != nil {
		return locked, ignoreNoOrder(err) // an unknown address is reported by ApplyBTC
	}
	first, err := p.store.BTCFirstSeen(ctx, cb.Addr, cb.Txid)
	if err != nil {
		return nil, err
	}
	if first.IsZero() {
		first = p.store.Now()
	}
	if o.ExpiresAt.IsZero() || !first.After(o.ExpiresAt) {
		return locked, nil
	}
	price, err := p.btc.Price(ctx)
	if err != nil {
		return nil, err
	}
	return func(o store.Order, before, total int64) (int64, string) {
		cents := CentsFor(total-before, price)
		return cents, fmt.Sprintf("arrived after the price lock: %s BTC credited at %s per BTC",
			FormatBTC(total-before), store.FormatCents(price))
	}, nil
}

func ignoreNoOrder(err error) error {
	if errors.Is(err, store.ErrNoOrder) {
		return nil
	}
	return err
}

func writeText(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, s)
}
