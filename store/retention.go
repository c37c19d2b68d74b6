package store

import (
	"context"
	"fmt"
	"time"
)

// Retention of numbers (tui/privacy/privacy-policy.txt, §4.2 and §9). Two promises, two stages, both kept by the hourly purge:
//
//   - 6 months after a reservation ended, what was only needed to operate
//     it goes: which provider, the provider's activation id, what it cost
//     us, and the provider's id of each SMS. The person's own view of it
//     (number, service, country, messages, codes, price) stays.
//   - 1 year after it ended, that view goes too: the reservation and its
//     SMS are deleted, and the ledger rows that paid for it keep only
//     their amount, kind and reference ("res:42"), for accounting. History
//     never shows a reservation past that age even before the purge runs
//     (HistoryRetention).
//
// What the policy does not give a period for gets one here, each kept by
// the same purge (RetentionPeriods lists them all for the screens):
//
//   - orders, with their Bitcoin transactions and Stripe event ids, are
//     payment records kept for accounting: deleted OrderRetention after
//     their last change, once closed (paid, failed or expired). The
//     ledger rows that credited them stay: the balance is their sum.
//   - support conversations: deleted SupportRetention after the thread
//     was closed. Open threads stay while the conversation goes on.
//   - the admins' audit trail: rows deleted AuditRetention after the
//     action.
//
// secure_delete is on, and the purge ends by truncating the write-ahead
// log (truncateWAL), so what is removed does not linger in the files.

// ReservationDetailRetention is how long a reservation's operational
// details are kept after it ended: "up to 6 months". 180 days is under the
// shortest run of six calendar months (181 days), hourly runs included.
const ReservationDetailRetention = 180 * 24 * time.Hour

// OrderRetention is how long a closed order (a payment record) is kept
// after its last change: 7 years, the longest period the US IRS names for
// keeping the records behind a tax return (the operator is a US company).
// An operator bound by a longer law (10 years in Germany or France)
// raises it. 7×365+2 days is never shorter than seven calendar years.
const OrderRetention = (7*365 + 2) * 24 * time.Hour

// SupportRetention is how long a support conversation is kept after it was
// closed: 1 year, as long as the number history it is usually about, so
// that a question about a number can be answered as long as the number is
// in the dashboard. 365 days is never longer than a calendar year.
const SupportRetention = 365 * 24 * time.Hour

// AuditRetention is how long a row of the admins' audit trail is kept:
// 2 years, longer than the longest card dispute window (540 days), so an
// admin's credit, refund or deletion can be explained for as long as a
// payment can be contested. 2×365+1 days is never shorter than two
// calendar years.
const AuditRetention = (2*365 + 1) * 24 * time.Hour

// Names of the retention steps in a PurgeReport.
const (
	PurgeReservationDetails = "reservation details (provider, reference, cost) older than 6 months"
	PurgeLedgerNotes        = "ledger notes naming a number older than 1 year"
	PurgeMessages           = "SMS of numbers older than 1 year"
	PurgeReservations       = "numbers (dashboard history) older than 1 year"
	PurgeOrders             = "payment records (orders) closed more than 7 years ago"
	PurgeSupport            = "support conversations closed more than 1 year ago"
	PurgeAudit              = "admin audit rows older than 2 years"
)

// ordersDue selects the closed orders whose last change is before ?1
// (index orders_closed).
const ordersDue = `SELECT id FROM orders WHERE status NOT IN ('created', 'pending') AND updated_at < ?1`

// supportDue selects the threads closed before ?1 (index
// support_threads_status): a closed thread takes no more messages, so its
// last change is its closing.
const supportDue = `SELECT id FROM support_threads WHERE status = 'closed' AND updated_at < ?1`

// auditDue selects the audit rows written before ?1 (index
// admin_audit_created).
const auditDue = `SELECT id FROM admin_audit WHERE created_at < ?1`

// detailsDue selects the reservations ended before ?1 whose details are
// still there (index reservations_details): a live reservation never has
// an empty provider reference (CreateReservation refuses one), so an
// empty one marks those already scrubbed.
const detailsDue = `SELECT id FROM reservations
	WHERE ended_at IS NOT NULL AND provider_ref <> '' AND ended_at < ?1`

// historyDue selects the reservations ended before ?1 (index
// reservations_ended).
const historyDue = `SELECT id FROM reservations WHERE ended_at IS NOT NULL AND ended_at < ?1`

func init() {
	purgeSteps = append(purgeSteps,
		purgeStep{PurgeReservationDetails, scrubReservationDetails},
		purgeStep{PurgeLedgerNotes, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			// Reserve rows note the service and country: history, which
			// goes now. Refund rows note only why ("expired"): kept.
			return tx.execCount(ctx, `UPDATE ledger SET note = '' WHERE kind = ?2 AND note <> ''
				AND reference IN (SELECT 'res:' || id FROM (`+historyDue+`) AS due)`,
				now.Add(-HistoryRetention).Unix(), LedgerReserve)
		}},
		purgeStep{PurgeMessages, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			// Before their reservations, so that the report counts them
			// (the cascade would delete them silently).
			return tx.execCount(ctx, `DELETE FROM messages WHERE reservation_id IN (`+historyDue+`)`,
				now.Add(-HistoryRetention).Unix())
		}},
		purgeStep{PurgeReservations, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM reservations WHERE id IN (`+historyDue+`)`,
				now.Add(-HistoryRetention).Unix())
		}},
		purgeStep{PurgeOrders, purgeOrders},
		purgeStep{PurgeSupport, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			// The messages go with their thread (ON DELETE CASCADE).
			return tx.execCount(ctx, `DELETE FROM support_threads WHERE id IN (`+supportDue+`)`,
				now.Add(-SupportRetention).Unix())
		}},
		purgeStep{PurgeAudit, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM admin_audit WHERE id IN (`+auditDue+`)`, now.Add(-AuditRetention).Unix())
		}},
	)
}

// purgeOrders deletes the orders closed OrderRetention ago, and first what
// refers to them: their Bitcoin transactions, any Stripe event id still
// kept and any unchecked Bitcoin claim (a callback, this week, for the
// address of an order that old: nothing can be credited to it once it is
// gone, and a claim left behind would fail the whole purge).
func purgeOrders(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
	cutoff := now.Add(-OrderRetention).Unix()
	for _, q := range []string{
		`DELETE FROM btc_payments WHERE order_id IN (` + ordersDue + `)`,
		`DELETE FROM btc_claims WHERE order_id IN (` + ordersDue + `)`,
		`DELETE FROM stripe_events WHERE order_id IN (` + ordersDue + `)`,
	} {
		if _, err := tx.ExecContext(ctx, q, cutoff); err != nil {
			return 0, fmt.Errorf("purge what refers to old orders: %w", err)
		}
	}
	return tx.execCount(ctx, `DELETE FROM orders WHERE id IN (`+ordersDue+`)`, cutoff)
}

// scrubReservationDetails removes the operational details of reservations
// that ended ReservationDetailRetention ago and reports how many.
func scrubReservationDetails(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
	cutoff := now.Add(-ReservationDetailRetention).Unix()
	// A message's provider id becomes one of our own making, unless its
	// reservation already holds that id: the (reservation, provider id)
	// pair is unique, and an upstream that sent an id shaped like ours
	// must not stop the purge for everyone; such an id, its own invention,
	// stays.
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET provider_id = 'purged:' || id
		WHERE reservation_id IN (`+detailsDue+`) AND NOT EXISTS (SELECT 1 FROM messages o
			WHERE o.reservation_id = messages.reservation_id AND o.provider_id = 'purged:' || messages.id)`,
		cutoff); err != nil {
		return 0, fmt.Errorf("scrub message ids: %w", err)
	}
	return tx.execCount(ctx, `UPDATE reservations SET provider = '', provider_ref = '', cost_micros = 0
		WHERE id IN (`+detailsDue+`)`, cutoff)
}

// truncateWAL checkpoints the write-ahead log into the database file and
// truncates it to nothing, so that the old versions of purged or erased
// rows it still holds are gone too (secure_delete only zeroes the pages
// themselves). It holds the writer meanwhile, so no new write comes in
// between, and ignores the caller's cancellation: a person who erased
// their account and left at once is owed it as much as anyone.
//
// A reader still reading an older snapshot makes a checkpoint give up
// (SQLite then answers "busy"); it is tried again until readers let it
// or walTruncateWait has passed, and then reported as failed: the next
// purge, at most an hour later, tries again.
func (s *Store) truncateWAL(ctx context.Context) error {
	if s.OnPostgres() {
		return nil // no WAL file of ours: PostgreSQL recycles its own
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), walTruncateWait)
	defer cancel()
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("truncate wal: %w", err)
	}
	defer conn.Close()
	var busyMS int64
	if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busyMS); err != nil {
		return fmt.Errorf("truncate wal: %w", err)
	}
	// Each try waits a little for readers, then lets go of the lock for
	// them to finish.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", walTryWait.Milliseconds())); err != nil {
		return fmt.Errorf("truncate wal: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", busyMS)) }()
	for tries := 1; ; tries++ {
		// The first column says whether readers made it give up.
		var busy, logFrames, done int
		if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
			return fmt.Errorf("truncate wal (try %d): %w", tries, err)
		}
		if busy == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("truncate wal: readers kept an older snapshot for %s (%d tries)", walTruncateWait, tries)
		}
	}
}

// walTruncateWait bounds how long truncateWAL tries, holding the writer;
// walTryWait is how long one try waits for readers. Reads take
// milliseconds, so a snapshot older than that is a stuck reader.
const (
	walTruncateWait = 2 * time.Second
	walTryWait      = 100 * time.Millisecond
)
