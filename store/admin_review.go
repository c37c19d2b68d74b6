package store

import (
	"context"
	"fmt"
	"strings"
)

// AuditOrderSettle is the audit action of settling a card order held for
// review.
const AuditOrderSettle AuditAction = "orders.settle"

// Refusals of SettleReview.
var (
	ErrNotInReview error = userErr("this order is not waiting for review")
	errSettleOver  error = userErr("credit at most what was paid, or what was ordered if that is more")
)

// SettleReview ends the review of a card payment that was not what its
// order asked for (see chargeMismatch): cents > 0 credits that much — what
// was really paid, at most the larger of the order and the charge when it
// was in US dollars — and marks the order paid; cents = 0 rejects it:
// nothing is credited and the order fails. The reason is kept in the
// order's note, the ledger and the audit row, all in one transaction.
func (s *Store) SettleReview(ctx context.Context, a Actor, number string, cents int64, reason string) (Order, error) {
	reason, err := CleanReason(reason)
	if err != nil {
		return Order{}, err
	}
	if cents < 0 || cents > MaxAdminCreditCents {
		return Order{}, ErrBadAmount
	}
	var o Order
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		if o, err = tx.order(ctx, `number = ? AND processor = 'stripe'`, number); err != nil {
			return err
		}
		if o.Status != OrderReview {
			return ErrNotInReview
		}
		if cents > settleCap(o) {
			return errSettleOver
		}
		detail := "rejected"
		if cents > 0 {
			detail = fmt.Sprintf("credited %d cents", cents)
		}
		audit, err := tx.audit(ctx, a, AuditEntry{Action: AuditOrderSettle, TargetUserID: o.UserID,
			Target: o.Number, Reason: reason, Detail: detail})
		if err != nil {
			return err
		}
		if cents == 0 {
			err = tx.rejectReview(ctx, o, reason)
		} else {
			err = tx.creditReview(ctx, o, cents, reason, audit)
		}
		if err != nil {
			return err
		}
		tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		o, err = tx.order(ctx, `id = ?`, o.ID)
		return err
	})
	return o, err
}

// settleCap is the most a review may credit: what the order asked for, or
// the charge if it was in dollars and larger.
func settleCap(o Order) int64 {
	if strings.EqualFold(o.ChargedCurrency, "usd") {
		return max(o.Credits, o.ChargedCents)
	}
	return o.Credits
}

func (tx *Tx) rejectReview(ctx context.Context, o Order, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'failed', note = ?, updated_at = ? WHERE id = ?`,
		joinNote(o.Note, "rejected by an admin: "+reason), tx.now, o.ID); err != nil {
		return fmt.Errorf("reject order %s: %w", o.Number, err)
	}
	return nil
}

// creditReview credits a settled review as a top-up (reference the order
// number, like any card credit) and takes back at once any share already
// refunded or disputed.
func (tx *Tx) creditReview(ctx context.Context, o Order, cents int64, reason string, audit int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', credited = ?, note = ?, updated_at = ?
		WHERE id = ?`, cents, joinNote(o.Note, fmt.Sprintf("settled by an admin: %s credited (%s)",
		FormatCents(cents), reason)), tx.now, o.ID); err != nil {
		return fmt.Errorf("settle order %s: %w", o.Number, err)
	}
	if _, err := tx.move(ctx, Movement{UserID: o.UserID, AmountCents: cents, Kind: LedgerTopup, Reference: o.Number,
		Note: fmt.Sprintf("card top-up settled after review (audit %d): %s", audit, reason)}); err != nil {
		return fmt.Errorf("credit order %s: %w", o.Number, err)
	}
	if err := tx.announceTopup(ctx, o, cents); err != nil {
		return err
	}
	_, err := tx.settleReversal(ctx, o.ID, "")
	return err
}

func joinNote(note, more string) string {
	if note == "" {
		return more
	}
	return note + " · " + more
}
