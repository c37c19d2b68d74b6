package store

import (
	"context"
	"errors"
	"fmt"
	"math/big"
)

// ReversalKind says how Stripe took a card payment back.
type ReversalKind string

// The reversals of a card payment.
const (
	ReversalRefund  ReversalKind = "refund"  // charge.refunded: we (or Stripe) gave money back
	ReversalDispute ReversalKind = "dispute" // charge.dispute.created: the payer's bank pulled it
)

// maxChargeMinor bounds the amounts a reversal event may carry: Stripe
// charges at most eight digits, in any currency's smallest unit (yen,
// rupiah) far below this; a larger number is garbage.
const maxChargeMinor = 1_000_000_000_000

// StripeReversal is one verified charge.refunded or charge.dispute.created
// event. Amounts are in the charge currency's smallest unit.
type StripeReversal struct {
	EventID, EventType string
	Kind               ReversalKind
	PaymentIntentID    string
	// AmountMinor is, for a refund, the charge's amount_refunded so far
	// (Stripe reports the running total); for a dispute, the disputed amount.
	AmountMinor int64
	Currency    string
}

// ReversalResult says what ApplyStripeReversal did.
type ReversalResult struct {
	Duplicate bool  // the event id was processed before: nothing changed
	Unknown   bool  // no card order of ours has this PaymentIntent
	Order     Order // the order after the event
	Taken     int64 // credits this event took back
	DebtCents int64 // the account's debt afterwards
}

// ApplyStripeReversal takes back, in one transaction, the credits of a
// card payment Stripe refunded or the payer disputed. The event id is
// remembered (a redelivery changes nothing); the order's refunded and
// disputed amounts only grow, and what its credits lose is worked out from
// those totals, so replays, partial refunds and events in any order take
// back exactly the share lost, once. What the balance no longer holds
// becomes a debt (see takeBack).
func (s *Store) ApplyStripeReversal(ctx context.Context, u StripeReversal) (ReversalResult, error) {
	if u.EventID == "" || u.PaymentIntentID == "" || (u.Kind != ReversalRefund && u.Kind != ReversalDispute) ||
		u.AmountMinor < 0 || u.AmountMinor > maxChargeMinor {
		return ReversalResult{}, fmt.Errorf("apply stripe reversal %q: incomplete update", u.EventID)
	}
	var r ReversalResult
	err := s.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO stripe_events (id, type, received_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, u.EventID, u.EventType, tx.now)
		if err != nil {
			return fmt.Errorf("remember stripe event %s: %w", u.EventID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r.Duplicate = true
			return nil
		}
		o, err := tx.order(ctx, `payment_intent = ? AND processor = 'stripe' ORDER BY id DESC LIMIT 1`,
			u.PaymentIntentID)
		if err != nil {
			r.Unknown = errors.Is(err, ErrNoOrder)
			return ignoreNoOrder(err)
		}
		col := "refunded_cents"
		if u.Kind == ReversalDispute {
			col = "disputed_cents"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE stripe_events SET order_id = ? WHERE id = ?`, o.ID, u.EventID); err != nil {
			return fmt.Errorf("link stripe event %s: %w", u.EventID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET `+col+` = MAX(`+col+`, ?), updated_at = ? WHERE id = ?`,
			u.AmountMinor, tx.now, o.ID); err != nil {
			return fmt.Errorf("record %s of order %s: %w", u.Kind, o.Number, err)
		}
		tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		if r.Taken, err = tx.settleReversal(ctx, o.ID, u.EventID); err != nil {
			return err
		}
		if r.Order, err = tx.order(ctx, `id = ?`, o.ID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT debt_cents FROM users WHERE id = ?`, o.UserID).Scan(&r.DebtCents)
	})
	return r, err
}

// settleReversal brings an order's taken-back credits up to the share its
// refunded and disputed amounts say it lost, and its status to refunded
// or disputed once it was paid (or held for review). It returns the
// credits it took now. eventID, when set, is named in the ledger note.
func (tx *Tx) settleReversal(ctx context.Context, orderID int64, eventID string) (int64, error) {
	var o Order
	var refunded, disputed int64
	var err error
	if o, err = tx.order(ctx, `id = ?`, orderID); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT refunded_cents, disputed_cents FROM orders WHERE id = ?`, orderID).
		Scan(&refunded, &disputed); err != nil {
		return 0, fmt.Errorf("read reversals of order %s: %w", o.Number, err)
	}
	if refunded == 0 && disputed == 0 {
		return 0, nil
	}
	status := OrderRefunded
	if disputed > 0 {
		status = OrderDisputed
	}
	switch o.Status {
	case OrderPaid, OrderReview, OrderRefunded, OrderDisputed:
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, updated_at = ? WHERE id = ?`,
			status, tx.now, o.ID); err != nil {
			return 0, fmt.Errorf("order %s %s: %w", o.Number, status, err)
		}
	default:
		return 0, nil // not paid yet: its completion takes the share back
	}
	target := lostShare(o.Credited, o.ChargedCents, refunded+disputed)
	delta := target - o.Reversed
	if delta <= 0 {
		return 0, nil
	}
	note := fmt.Sprintf("card payment %s: %s of %s taken back", status, FormatCents(target), FormatCents(o.Credited))
	if eventID != "" {
		note += " (Stripe " + eventID + ")"
	}
	if _, err := tx.takeBack(ctx, Movement{UserID: o.UserID, AmountCents: -delta, Kind: LedgerReversal,
		Reference: fmt.Sprintf("%s:rev:%d", o.Number, target), Note: note}); err != nil {
		return 0, fmt.Errorf("take back order %s: %w", o.Number, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET reversed = ?, updated_at = ? WHERE id = ?`,
		target, tx.now, o.ID); err != nil {
		return 0, fmt.Errorf("order %s reversed: %w", o.Number, err)
	}
	return delta, nil
}

// lostShare is the credits that go with lostMinor of a charge of
// chargedMinor that bought credited credits: the same fraction, rounded
// up (a refund of one cent takes one credit), never more than credited.
// An unknown charge (0) loses everything once anything is lost.
func lostShare(credited, chargedMinor, lostMinor int64) int64 {
	if credited <= 0 || lostMinor <= 0 {
		return 0
	}
	if chargedMinor <= 0 || lostMinor >= chargedMinor {
		return credited
	}
	n := new(big.Int).Mul(big.NewInt(credited), big.NewInt(lostMinor))
	n.Add(n, big.NewInt(chargedMinor-1))
	return min(credited, n.Quo(n, big.NewInt(chargedMinor)).Int64())
}

// checkReversals compares every order's taken-back credits with its
// reversal ledger rows (reference "NUMBER:rev:…").
func (s *Store) checkReversals(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.number, o.reversed, COALESCE(-SUM(l.amount_cents), 0)
		FROM orders o LEFT JOIN ledger l ON l.kind = 'reversal' AND l.user_id = o.user_id
			AND l.reference LIKE o.number || ':rev:%'
		GROUP BY o.id HAVING o.reversed <> COALESCE(-SUM(l.amount_cents), 0) ORDER BY o.id`)
	if err != nil {
		return nil, fmt.Errorf("check reversals: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var number string
		var reversed, ledger int64
		if err := rows.Scan(&number, &reversed, &ledger); err != nil {
			return nil, fmt.Errorf("check reversals: %w", err)
		}
		out = append(out, fmt.Sprintf("order %s took back %d, ledger %d", number, reversed, ledger))
	}
	return out, rows.Err()
}
