package store

import (
	"context"
	"fmt"
	"time"
)

// Figures of the order sweep.
const (
	// StripeExpiryGrace is how long after a Checkout page closed we wait for
	// Stripe's own checkout.session.expired before marking the order
	// expired ourselves (Stripe sends it within minutes; a missing webhook
	// configuration would otherwise leave the order open forever).
	StripeExpiryGrace = 30 * time.Minute
	// stripeEventKeep is how long processed event ids are kept: Stripe
	// retries a delivery for up to three days.
	stripeEventKeep = 30 * 24 * time.Hour
)

// Processed Stripe event ids go with the retention purge.
func init() {
	purgeSteps = append(purgeSteps, purgeStep{"Stripe event ids older than 30 days",
		func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM stripe_events WHERE received_at < ?`,
				now.Add(-stripeEventKeep).Unix())
		}})
}

// ExpireOrders closes what time has closed and returns how many orders it
// changed: Bitcoin orders whose price lock ended with no transaction seen,
// Stripe orders whose page closed StripeExpiryGrace ago unpaid, and orders
// abandoned before they got a processor reference (failed). Safe to run
// from any number of processes, at any interval.
func (s *Store) ExpireOrders(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, func(tx *Tx) error {
		grace := int64(StripeExpiryGrace / time.Second)
		setup := int64(orderSetupTimeout / time.Second)
		rows, err := tx.QueryContext(ctx, `UPDATE orders SET
			status = CASE WHEN expires_at IS NULL THEN 'failed' ELSE 'expired' END,
			note = CASE WHEN expires_at IS NULL THEN 'not opened at the processor' ELSE note END,
			updated_at = ?1
			WHERE status = 'created' AND (
				(expires_at IS NULL AND created_at <= ?1 - ?2) OR
				(processor = 'blockonomics' AND expires_at <= ?1) OR
				(processor = 'stripe' AND expires_at <= ?1 - ?3))
			RETURNING id, user_id`, tx.now, setup, grace)
		if err != nil {
			return fmt.Errorf("expire orders: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e Event
			if err := rows.Scan(&e.Ref, &e.UserID); err != nil {
				return fmt.Errorf("expire orders: %w", err)
			}
			e.Kind = EventOrder
			tx.notify(e)
			n++
		}
		return rows.Err()
	})
	return n, err
}
