package store

import (
	"context"
	"fmt"
	"time"
)

// Retention of rentals: the two promises numbers keep (retention.go), run
// by the same hourly purge, counted from the moment a rental ended.
//
//   - ReservationDetailRetention (6 months) after it ended: which
//     provider, its rental id, what the rental and its extensions cost us,
//     and the provider's id of each SMS go. The person's view stays.
//   - HistoryRetention (1 year) after it ended: the rental, its extensions
//     and its SMS are deleted; the ledger rows that paid for it keep only
//     amount, kind and reference ("rent:7", "rentext:3").

// Names of the rental steps in a PurgeReport.
const (
	PurgeRentalDetails  = "rental details (provider, reference, cost) older than 6 months"
	PurgeRentalNotes    = "ledger notes naming a rental older than 1 year"
	PurgeRentalMessages = "SMS of rentals older than 1 year"
	PurgeRentals        = "rentals (dashboard history) older than 1 year"
)

// rentalDetailsDue selects the rentals ended before ?1 whose details are
// still there (index rentals_details): a live rental never has an empty
// provider reference (CreateRental refuses one).
const rentalDetailsDue = `SELECT id FROM rentals
	WHERE ended_at IS NOT NULL AND provider_ref <> '' AND ended_at < ?1`

// rentalHistoryDue selects the rentals ended before ?1 (index
// rentals_ended).
const rentalHistoryDue = `SELECT id FROM rentals WHERE ended_at IS NOT NULL AND ended_at < ?1`

func init() {
	purgeSteps = append(purgeSteps,
		purgeStep{PurgeRentalDetails, scrubRentalDetails},
		purgeStep{PurgeRentalNotes, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			// The debit of a rental notes its service and country, an
			// extension's its rental: history, which goes now.
			cutoff := now.Add(-HistoryRetention).Unix()
			n, err := tx.execCount(ctx, `UPDATE ledger SET note = '' WHERE kind = ?2 AND note <> ''
				AND reference IN (SELECT 'rent:' || id FROM (`+rentalHistoryDue+`) AS due)`, cutoff, LedgerRent)
			if err != nil {
				return 0, err
			}
			m, err := tx.execCount(ctx, `UPDATE ledger SET note = '' WHERE kind = ?2 AND note <> ''
				AND reference IN (SELECT 'rentext:' || e.id FROM rental_extensions e
					WHERE e.rental_id IN (`+rentalHistoryDue+`))`, cutoff, LedgerRentExtend)
			return n + m, err
		}},
		purgeStep{PurgeRentalMessages, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			// Before their rentals, so that the report counts them.
			return tx.execCount(ctx, `DELETE FROM rental_messages WHERE rental_id IN (`+rentalHistoryDue+`)`,
				now.Add(-HistoryRetention).Unix())
		}},
		purgeStep{PurgeRentals, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			// Their extensions go with them (ON DELETE CASCADE).
			return tx.execCount(ctx, `DELETE FROM rentals WHERE id IN (`+rentalHistoryDue+`)`,
				now.Add(-HistoryRetention).Unix())
		}},
	)
}

// scrubRentalDetails removes the operational details of rentals that
// ended ReservationDetailRetention ago and reports how many.
func scrubRentalDetails(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
	cutoff := now.Add(-ReservationDetailRetention).Unix()
	// As for reservations: an upstream id shaped like ours stays.
	if _, err := tx.ExecContext(ctx, `UPDATE rental_messages SET provider_id = 'purged:' || id
		WHERE rental_id IN (`+rentalDetailsDue+`) AND NOT EXISTS (SELECT 1 FROM rental_messages o
			WHERE o.rental_id = rental_messages.rental_id AND o.provider_id = 'purged:' || rental_messages.id)`,
		cutoff); err != nil {
		return 0, fmt.Errorf("scrub rental message ids: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rental_extensions SET cost_micros = 0
		WHERE rental_id IN (`+rentalDetailsDue+`)`, cutoff); err != nil {
		return 0, fmt.Errorf("scrub extension costs: %w", err)
	}
	return tx.execCount(ctx, `UPDATE rentals SET provider = '', provider_ref = '', cost_micros = 0
		WHERE id IN (`+rentalDetailsDue+`)`, cutoff)
}
