package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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
// acknowledged. The callback's own numbers are never credited: the
// transaction is looked up at Blockonomics (TxDetail) and what it says
// arrived at the order's address, with the confirmations it says, is
// applied — a confirmed transaction (status 2) credited once at the
// order's locked price (CreditFor), unconfirmed ones (replaceable or not)
// only shown. A transaction Blockonomics does not know, or that pays
// nothing to the address, is logged and acknowledged. When the lookup
// fails the claim is kept for the reconcile poll and the answer is a 503,
// so Blockonomics calls again.
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
	ctx := r.Context()
	attrs := []any{"addr", cb.Addr, "txid", cb.Txid, "claimed_status", cb.Status, "claimed_sats", cb.ValueSats}
	if _, err := p.store.OrderByAddress(ctx, cb.Addr); err != nil {
		if !errors.Is(err, store.ErrNoOrder) {
			p.btcHooks.Inc(metrics.OutcomeError)
			p.log.Error("bitcoin callback: find order", append(attrs, "err", err)...)
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		p.btcHooks.Inc(metrics.OutcomeIgnored)
		p.log.Warn("blockonomics callback for an address of no order", attrs...)
		writeText(w, http.StatusOK, "ok\n")
		return
	}
	tx, err := p.btc.TxDetail(ctx, cb.Txid)
	switch {
	case errors.Is(err, ErrTxUnknown):
		p.btcHooks.Inc(metrics.OutcomeIgnored)
		p.log.Warn("blockonomics callback for a transaction Blockonomics does not know: nothing credited",
			append(attrs, "err", err)...)
		writeText(w, http.StatusOK, "unknown transaction\n")
		return
	case err != nil:
		p.btcHooks.Inc(metrics.OutcomeError)
		p.log.Error("bitcoin transaction not looked up: kept for the reconcile poll", append(attrs, "err", err)...)
		if cerr := p.store.ClaimBTC(context.WithoutCancel(ctx), cb.Addr, cb.Txid); cerr != nil {
			p.log.Error("keep bitcoin claim", append(attrs, "err", cerr)...)
		}
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	res, paying, err := p.applyTx(ctx, cb.Addr, tx, cb.Status, cb.RBF)
	switch {
	case err != nil:
		p.btcHooks.Inc(metrics.OutcomeError)
		p.log.Error("bitcoin payment not applied", append(attrs, "err", err)...)
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	case !paying:
		p.btcHooks.Inc(metrics.OutcomeIgnored)
		p.log.Warn("blockonomics callback for a transaction that pays nothing to the address: nothing credited", attrs...)
		writeText(w, http.StatusOK, "not a payment to this address\n")
		return
	}
	p.btcHooks.Inc(metrics.OutcomeOK)
	if paid := tx.PaidTo(cb.Addr); paid != cb.ValueSats || tx.Status != cb.Status {
		p.log.Warn("blockonomics callback differs from the transaction: applied the transaction",
			append(attrs, "status", tx.Status, "sats", paid)...)
	}
	p.log.Info("bitcoin callback applied", "order", res.Order.Number, "txid", cb.Txid, "status", tx.Status,
		"sats", tx.PaidTo(cb.Addr), "credited_cents", res.Cents, "order_status", res.Order.Status)
	writeText(w, http.StatusOK, "ok\n")
}

// applyTx applies what Blockonomics says of tx to the order of addr:
// the satoshis it pays there, at its confirmation status. A callback's
// status -1 (a payment error) marks a transaction not yet confirmed as
// failed; rbf is kept for an unconfirmed one. paying is false when the
// transaction pays nothing to addr (nothing is recorded then).
func (p *Payments) applyTx(ctx context.Context, addr string, tx BTCTx, claimed int, rbf bool) (store.BTCResult, bool, error) {
	value := tx.PaidTo(addr)
	if value == 0 {
		return store.BTCResult{}, false, nil
	}
	status := tx.Status
	if claimed == BTCPaymentError && status < BTCConfirmed {
		status = BTCPaymentError
	}
	u := store.BTCUpdate{Addr: addr, Txid: tx.Txid, Status: status, ValueSats: value, RBF: rbf && status == BTCUnconfirmed}
	rule, err := p.btcRule(ctx, u)
	if err != nil {
		return store.BTCResult{}, true, fmt.Errorf("price bitcoin payment %s: %w", tx.Txid, err)
	}
	res, err := p.store.ApplyBTC(ctx, u, rule)
	return res, true, err
}

// btcReconcileInterval is how often the transactions not credited yet are
// looked up again; btcReconcileBatch bounds one round.
const (
	btcReconcileInterval = 10 * time.Minute
	btcReconcileBatch    = 100
)

// ReconcileBTC looks up again, at Blockonomics, every transaction seen
// paying an order but not credited yet and every claim that could not be
// checked (store.BTCToCheck), and applies what Blockonomics says: a
// confirmation whose callback never came through is credited here. It
// stops at the first failed lookup (Blockonomics is down: the next round
// tries again) and returns how many transactions it credited.
func (p *Payments) ReconcileBTC(ctx context.Context) (int, error) {
	if !p.BitcoinReady() {
		return 0, nil
	}
	checks, err := p.store.BTCToCheck(ctx, btcReconcileBatch)
	if err != nil {
		return 0, err
	}
	credited := 0
	for _, c := range checks {
		tx, err := p.btc.TxDetail(ctx, c.Txid)
		if err != nil && !errors.Is(err, ErrTxUnknown) {
			return credited, err
		}
		if err == nil {
			res, _, err := p.applyTx(ctx, c.Addr, tx, BTCUnconfirmed, false)
			if err != nil {
				return credited, err
			}
			if res.Credited {
				credited++
				p.log.Info("bitcoin payment credited by the reconcile poll", "order", res.Order.Number, "txid", c.Txid,
					"credited_cents", res.Cents)
			}
		}
		if err := p.store.DropBTCClaim(ctx, c.Addr, c.Txid); err != nil {
			return credited, err
		}
	}
	return credited, nil
}

// btcRule prices a transaction. Coins first seen while the price lock
// held are credited by CreditFor at the locked price. Coins first seen
// after it ended are re-priced at today's price: the quote no longer
// binds, and honouring it would let a payer wait for the price to fall and
// buy credits cheap.
func (p *Payments) btcRule(ctx context.Context, u store.BTCUpdate) (store.BTCRule, error) {
	locked := func(o store.Order, before, total int64) (int64, string) {
		q := Quote{AmountCents: o.AmountCents, ExpectedSats: o.BTCExpectedSats, LockedCentsPerBTC: o.BTCPriceCents}
		now, note := CreditFor(q, total)
		was, _ := CreditFor(q, before)
		return now - was, note
	}
	if u.Status != BTCConfirmed {
		return locked, nil
	}
	o, err := p.store.OrderByAddress(ctx, u.Addr)
	if err != nil {
		return locked, ignoreNoOrder(err) // an unknown address is reported by ApplyBTC
	}
	first, err := p.store.BTCFirstSeen(ctx, u.Addr, u.Txid)
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
