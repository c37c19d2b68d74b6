package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// StripeOutcome is what a verified Stripe event means for its order.
type StripeOutcome int

// The outcomes of the four Checkout events.
const (
	StripeProcessing StripeOutcome = iota + 1 // completed, payment_status unpaid: a delayed method
	StripePaid                                // completed and paid, or async payment succeeded
	StripeFailed                              // async payment failed
	StripeExpired                             // the session expired unpaid
)

// StripeUpdate is one verified Checkout event.
type StripeUpdate struct {
	EventID, EventType string
	Outcome            StripeOutcome
	SessionID          string
	OrderNumber        string // client_reference_id or metadata, as a fallback
	PaymentIntentID    string
	AmountTotal        int64 // cents charged
	Currency           string
	Livemode           bool
	// LiveKey says the configured Stripe key moves real money: a payment
	// made in the other mode is not what the order asked for.
	LiveKey bool
}

// StripeResult says what ApplyStripe did.
type StripeResult struct {
	Duplicate bool   // the event id was processed before: nothing changed
	Unknown   bool   // no order of ours has this session
	Order     Order  // the order after the event (zero when Unknown or Duplicate)
	Changed   bool   // the order's status moved
	Credited  bool   // this event credited the order
	Mismatch  string // the payment differs from the order: held for review, nothing credited
}

// ApplyStripe applies a verified Checkout event in one transaction: the
// event id is remembered (a redelivery changes nothing), the order is found
// by its session id, its status moves forward only, and a paid order is
// credited once — ledger row (kind topup, reference the order number) and
// balance together — if the payment is what the order asked for (amount,
// currency, mode); otherwise it waits in review for an admin. Events are
// published after commit.
func (s *Store) ApplyStripe(ctx context.Context, u StripeUpdate) (StripeResult, error) {
	if u.EventID == "" || u.SessionID == "" || u.Outcome < StripeProcessing || u.Outcome > StripeExpired {
		return StripeResult{}, fmt.Errorf("apply stripe event %q: incomplete update", u.EventID)
	}
	var r StripeResult
	err := s.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO stripe_events (id, type, received_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, u.EventID, u.EventType, tx.now)
		if err != nil {
			return fmt.Errorf("remember stripe event %s: %w", u.EventID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r = StripeResult{Duplicate: true}
			return nil
		}
		o, found, err := tx.stripeOrder(ctx, u)
		if err != nil || !found {
			r.Unknown = !found
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE stripe_events SET order_id = ? WHERE id = ?`, o.ID, u.EventID); err != nil {
			return fmt.Errorf("link stripe event %s: %w", u.EventID, err)
		}
		r, err = tx.applyStripe(ctx, o, u)
		return err
	})
	return r, err
}

// stripeOrder finds the order of an event by session id, or by order
// number when a crash left the session unattached (then it is attached).
func (tx *Tx) stripeOrder(ctx context.Context, u StripeUpdate) (Order, bool, error) {
	o, err := tx.order(ctx, `session_id = ? AND processor = 'stripe'`, u.SessionID)
	if err == nil {
		return o, true, nil
	}
	if !errors.Is(err, ErrNoOrder) || u.OrderNumber == "" {
		return Order{}, false, ignoreNoOrder(err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET session_id = ?, updated_at = ?
		WHERE number = ? AND processor = 'stripe' AND session_id IS NULL`, u.SessionID, tx.now, u.OrderNumber)
	if err != nil {
		return Order{}, false, fmt.Errorf("attach session %s: %w", u.SessionID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Order{}, false, nil
	}
	o, err = tx.order(ctx, `number = ?`, u.OrderNumber)
	return o, err == nil, err
}

func ignoreNoOrder(err error) error {
	if errors.Is(err, ErrNoOrder) {
		return nil
	}
	return err
}

// applyStripe moves the order as the event says. Statuses only move
// forward: paid is final; failed and expired come only from created or
// pending. An order our own sweep expired may still be paid by a late
// delivery of its completion (Stripe retries for days).
func (tx *Tx) applyStripe(ctx context.Context, o Order, u StripeUpdate) (StripeResult, error) {
	r := StripeResult{}
	var to OrderStatus
	var from []OrderStatus
	switch u.Outcome {
	case StripePaid:
		if r.Mismatch = chargeMismatch(o, u); r.Mismatch != "" {
			return tx.holdForReview(ctx, o, u, r)
		}
		return tx.creditStripe(ctx, o, u, r)
	case StripeProcessing:
		to, from = OrderPending, []OrderStatus{OrderCreated}
	case StripeFailed:
		to, from = OrderFailed, []OrderStatus{OrderCreated, OrderPending}
	case StripeExpired:
		to, from = OrderExpired, []OrderStatus{OrderCreated, OrderPending}
	}
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, payment_intent = COALESCE(NULLIF(?, ''), payment_intent),
		updated_at = ? WHERE id = ? AND status IN (?, ?)`, to, u.PaymentIntentID, tx.now, o.ID, from[0], from[len(from)-1])
	if err != nil {
		return r, fmt.Errorf("order %s to %s: %w", o.Number, to, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		r.Changed = true
		tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
	}
	r.Order, err = tx.order(ctx, `id = ?`, o.ID)
	return r, err
}

// creditStripe turns the order paid and credits it, once.
func (tx *Tx) creditStripe(ctx context.Context, o Order, u StripeUpdate, r StripeResult) (StripeResult, error) {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', credited = credits, paid_at = ?,
		payment_intent = COALESCE(NULLIF(?, ''), payment_intent), charged_cents = ?, charged_currency = ?,
		livemode = ?, note = ?, updated_at = ? WHERE id = ? AND status IN ('created', 'pending', 'expired')`,
		tx.now, u.PaymentIntentID, u.AmountTotal, u.Currency, u.Livemode, "", tx.now, o.ID)
	if err != nil {
		return r, fmt.Errorf("pay order %s: %w", o.Number, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		mv, err := tx.move(ctx, Movement{UserID: o.UserID, AmountCents: o.Credits, Kind: LedgerTopup,
			Reference: o.Number, Note: "card top-up, Stripe " + u.SessionID})
		if err != nil {
			return r, fmt.Errorf("credit order %s: %w", o.Number, err)
		}
		r.Changed, r.Credited = true, mv.Applied
		tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		if mv.Applied {
			if err := tx.announceTopup(ctx, o, o.Credits); err != nil {
				return r, err
			}
		}
		// A refund or dispute delivered before this event takes its
		// share back now.
		if _, err := tx.settleReversal(ctx, o.ID, ""); err != nil {
			return r, err
		}
	}
	r.Order, err = tx.order(ctx, `id = ?`, o.ID)
	return r, err
}

// holdForReview records a payment that differs from its order and credits
// nothing: an admin settles it (SettleReview).
func (tx *Tx) holdForReview(ctx context.Context, o Order, u StripeUpdate, r StripeResult) (StripeResult, error) {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'review', paid_at = ?,
		payment_intent = COALESCE(NULLIF(?, ''), payment_intent), charged_cents = ?, charged_currency = ?,
		livemode = ?, note = ?, updated_at = ? WHERE id = ? AND status IN ('created', 'pending', 'expired')`,
		tx.now, u.PaymentIntentID, u.AmountTotal, u.Currency, u.Livemode, r.Mismatch, tx.now, o.ID)
	if err != nil {
		return r, fmt.Errorf("hold order %s for review: %w", o.Number, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		r.Changed = true
		tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		if _, err := tx.settleReversal(ctx, o.ID, ""); err != nil {
			return r, err
		}
	}
	r.Order, err = tx.order(ctx, `id = ?`, o.ID)
	return r, err
}

// chargeMismatch describes a payment that is not what the order asked for
// ("" when it is): another amount or currency (the session was created by
// us with our amount, so a difference is a forged or altered session, a
// coupon or a conversion), or a test-mode payment on a live key (or the
// reverse). Such a payment is held for review, never credited on its own.
func chargeMismatch(o Order, u StripeUpdate) string {
	var why []string
	if u.AmountTotal != o.AmountCents || !strings.EqualFold(u.Currency, o.Currency) {
		why = append(why, fmt.Sprintf("charged %s for an order of %s", formatMoney(u.AmountTotal, u.Currency),
			formatMoney(o.AmountCents, o.Currency)))
	}
	switch {
	case u.LiveKey && !u.Livemode:
		why = append(why, "a test-mode payment on a live key")
	case !u.LiveKey && u.Livemode:
		why = append(why, "a live payment on a test key")
	}
	return strings.Join(why, "; ")
}

// formatMoney shows an amount in a currency's smallest unit: "$50.00" for
// US dollars, "1 jpy" for anything else (we sell in dollars only).
func formatMoney(minor int64, currency string) string {
	if strings.EqualFold(currency, "usd") {
		return FormatCents(minor)
	}
	return fmt.Sprintf("%d %s", minor, strings.ToLower(currency))
}
