package store

import (
	"context"
	"fmt"
)

// References: every ledger row of a kind that names something (a
// reservation, a rental or one of its extensions, an order, an audit row)
// must name a thing of its own account, and every reservation and rental
// must have its debit (and its refund when refunded), every extension its
// own. Grants name nothing: their reference is only made unique.
// Kinds added later are not looked at until they are added here.
//
// A reservation may be missing from under its ledger rows for two
// documented reasons only, which check tells from "names nobody":
//   - the account was erased (it is tombstoned: deleted_at is set), which
//     deletes its numbers and keeps its ledger;
//   - the retention purge deleted it, a year after it ended (see
//     HistoryRetention). A number ends after its debit and its refund
//     were written, so a row younger than HistoryRetention cannot name a
//     purged number; an older one may.
//
// Rentals go the same two ways (their extensions with them), a year
// after they ended; a rental ends after its debit, its extensions' and
// its refund were written.
//
// Orders and audit rows go only by the purge, OrderRetention after an
// order closed and AuditRetention after an admin's action. Both are
// written with (or before) the ledger rows that name them, so a row
// younger than those periods that names a missing one names nobody.

// checkReferences reports every ledger row whose reference names another
// account's thing or nothing, and every reservation without its rows.
func (s *Store) checkReferences(ctx context.Context) ([]string, error) {
	var out []string
	for _, c := range []func(context.Context) ([]string, error){
		s.checkReservationRefs, s.checkReservationRows, s.checkTopupRefs, s.checkAdjustRefs,
		s.checkRentalRefs, s.checkExtensionRefs, s.checkRentalRows,
	} {
		found, err := c(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// ledgerRef is a ledger row, as a problem with its reference is reported.
type ledgerRef struct {
	id, userID, amount int64
	kind, ref          string
}

func (r ledgerRef) String() string {
	return fmt.Sprintf("ledger row %d (%s %s, %d cents, account %d)", r.id, r.kind, r.ref, r.amount, r.userID)
}

// problems runs q, whose rows start with a ledger row's id, user_id,
// amount_cents, kind and reference, and collects what judge finds wrong
// with each ("" when nothing); judge scans the columns after those.
func (s *Store) problems(ctx context.Context, judge func(sc scanner, l *ledgerRef, more ...any) (string, error),
	q string, args ...any) ([]string, error) {
	found, err := collect(ctx, s.r, func(sc scanner) (string, error) {
		var l ledgerRef
		return judge(sc, &l, &l.id, &l.userID, &l.amount, &l.kind, &l.ref)
	}, q, args...)
	if err != nil {
		return nil, err
	}
	out := found[:0]
	for _, p := range found {
		if p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// checkReservationRefs: reserve and refund rows name a reservation of
// their account, for its price (refunds only of one marked refunded), or
// one gone for a documented reason.
func (s *Store) checkReservationRefs(ctx context.Context) ([]string, error) {
	purgeable := s.now().Add(-HistoryRetention).Unix()
	found, err := s.problems(ctx, func(sc scanner, l *ledgerRef, cols ...any) (string, error) {
		var erased, exists, refunded bool
		var createdAt, owner, price int64
		if err := sc.Scan(append(cols, &erased, &createdAt, &exists, &owner, &price, &refunded)...); err != nil {
			return "", err
		}
		switch {
		case !exists && (erased || createdAt < purgeable):
			return "", nil // gone with the erased account, or by the purge
		case !exists:
			return l.String() + ": names no reservation", nil
		case owner != l.userID:
			return fmt.Sprintf("%s: the reservation is account %d's", l, owner), nil
		case l.kind == string(LedgerReserve) && l.amount != -price, l.kind == string(LedgerRefund) && l.amount != price:
			return fmt.Sprintf("%s: the reservation's price is %d cents", l, price), nil
		case l.kind == string(LedgerRefund) && !refunded:
			return l.String() + ": the reservation is not marked refunded", nil
		}
		return "", nil
	}, `SELECT l.id, l.user_id, l.amount_cents, l.kind, l.reference, u.deleted_at IS NOT NULL, l.created_at,
			r.id IS NOT NULL, COALESCE(r.user_id, 0), COALESCE(r.price_cents, 0), COALESCE(r.refunded, 0)
		FROM ledger l JOIN users u ON u.id = l.user_id
		LEFT JOIN reservations r ON l.reference GLOB 'res:[0-9]*' AND r.id = CAST(substr(l.reference, 5) AS INTEGER)
		WHERE l.kind IN (?, ?) ORDER BY l.id`, LedgerReserve, LedgerRefund)
	if err != nil {
		return nil, fmt.Errorf("check reservation references: %w", err)
	}
	return found, nil
}

// checkReservationRows: every reservation has its debit, and a refund
// when it is marked refunded.
func (s *Store) checkReservationRows(ctx context.Context) ([]string, error) {
	found, err := collect(ctx, s.r, func(sc scanner) (string, error) {
		var id int64
		var refunded, debit, back bool
		if err := sc.Scan(&id, &refunded, &debit, &back); err != nil {
			return "", err
		}
		switch {
		case !debit:
			return fmt.Sprintf("reservation %d has no debit in the ledger", id), nil
		case refunded && !back:
			return fmt.Sprintf("reservation %d is marked refunded without a refund in the ledger", id), nil
		}
		return "", nil
	}, `SELECT r.id, r.refunded,
			EXISTS (SELECT 1 FROM ledger WHERE kind = ?1 AND reference = 'res:' || r.id),
			EXISTS (SELECT 1 FROM ledger WHERE kind = ?2 AND reference = 'res:' || r.id)
		FROM reservations r ORDER BY r.id`, LedgerReserve, LedgerRefund)
	if err != nil {
		return nil, fmt.Errorf("check reservations' ledger rows: %w", err)
	}
	out := found[:0]
	for _, p := range found {
		if p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// checkTopupRefs: top-up rows name an order of their account ("NUMBER",
// or "NUMBER:TXID" per Bitcoin transaction, one seen for that order), and
// so do the rows that took a top-up back ("NUMBER:rev:TOTAL").
func (s *Store) checkTopupRefs(ctx context.Context) ([]string, error) {
	purgeable := s.now().Add(-OrderRetention).Unix()
	found, err := s.problems(ctx, func(sc scanner, l *ledgerRef, cols ...any) (string, error) {
		var exists, txSeen bool
		var owner, createdAt int64
		if err := sc.Scan(append(cols, &createdAt, &exists, &owner, &txSeen)...); err != nil {
			return "", err
		}
		switch {
		case !exists && createdAt < purgeable:
			return "", nil // the order closed long ago and was purged
		case !exists:
			return l.String() + ": names no order", nil
		case owner != l.userID:
			return fmt.Sprintf("%s: the order is account %d's", l, owner), nil
		case !txSeen:
			return l.String() + ": names no Bitcoin transaction of the order", nil
		}
		return "", nil
	}, `SELECT l.id, l.user_id, l.amount_cents, l.kind, l.reference, l.created_at, o.id IS NOT NULL,
			COALESCE(o.user_id, 0), l.kind = ?2 OR instr(l.reference, ':') = 0
				OR EXISTS (SELECT 1 FROM btc_payments b WHERE b.order_id = o.id AND b.txid = substr(l.reference, instr(l.reference, ':') + 1))
		FROM ledger l LEFT JOIN orders o ON o.number = CASE instr(l.reference, ':')
			WHEN 0 THEN l.reference ELSE substr(l.reference, 1, instr(l.reference, ':') - 1) END
		WHERE l.kind IN (?1, ?2) ORDER BY l.id`, LedgerTopup, LedgerReversal)
	if err != nil {
		return nil, fmt.Errorf("check top-up references: %w", err)
	}
	return found, nil
}

// checkAdjustRefs: an admin's correction names its audit row ("audit:N"),
// a credit or debit of the same account.
func (s *Store) checkAdjustRefs(ctx context.Context) ([]string, error) {
	purgeable := s.now().Add(-AuditRetention).Unix()
	found, err := s.problems(ctx, func(sc scanner, l *ledgerRef, cols ...any) (string, error) {
		var exists, creditOrDebit bool
		var target, createdAt int64
		if err := sc.Scan(append(cols, &createdAt, &exists, &target, &creditOrDebit)...); err != nil {
			return "", err
		}
		switch {
		case !exists && createdAt < purgeable:
			return "", nil // the audit row was purged with its age
		case !exists:
			return l.String() + ": names no audit row", nil
		case !creditOrDebit:
			return l.String() + ": its audit row is no credit or debit", nil
		case target != l.userID:
			return fmt.Sprintf("%s: its audit row is about account %d", l, target), nil
		}
		return "", nil
	}, `SELECT l.id, l.user_id, l.amount_cents, l.kind, l.reference, l.created_at, a.id IS NOT NULL,
			COALESCE(a.target_user_id, 0), COALESCE(a.action IN (?, ?), FALSE)
		FROM ledger l LEFT JOIN admin_audit a ON l.reference GLOB 'audit:[0-9]*'
			AND a.id = CAST(substr(l.reference, 7) AS INTEGER)
		WHERE l.kind = ? ORDER BY l.id`, AuditCredit, AuditDebit, LedgerAdjust)
	if err != nil {
		return nil, fmt.Errorf("check correction references: %w", err)
	}
	return found, nil
}

// checkRentalRefs: rent and rent_refund rows naming a rental ("rent:N")
// name one of their account: a debit of its first period's price, a
// refund of what it records as refunded (a cancelled or failed rental's).
func (s *Store) checkRentalRefs(ctx context.Context) ([]string, error) {
	purgeable := s.now().Add(-HistoryRetention).Unix()
	found, err := s.problems(ctx, func(sc scanner, l *ledgerRef, cols ...any) (string, error) {
		var erased, exists bool
		var createdAt, owner, price, refund int64
		var state string
		if err := sc.Scan(append(cols, &erased, &createdAt, &exists, &owner, &price, &refund, &state)...); err != nil {
			return "", err
		}
		switch {
		case !exists && (erased || createdAt < purgeable):
			return "", nil // gone with the erased account, or by the purge
		case !exists:
			return l.String() + ": names no rental", nil
		case owner != l.userID:
			return fmt.Sprintf("%s: the rental is account %d's", l, owner), nil
		case l.kind == string(LedgerRent) && l.amount != -price:
			return fmt.Sprintf("%s: the rental's price is %d cents", l, price), nil
		case l.kind == string(LedgerRentRefund) && l.amount != refund:
			return fmt.Sprintf("%s: the rental records %d cents refunded", l, refund), nil
		case l.kind == string(LedgerRentRefund) && state != string(RentCancelled) && state != string(RentFailed):
			return fmt.Sprintf("%s: the rental is %s, not cancelled or failed", l, state), nil
		}
		return "", nil
	}, `SELECT l.id, l.user_id, l.amount_cents, l.kind, l.reference, u.deleted_at IS NOT NULL, l.created_at,
			r.id IS NOT NULL, COALESCE(r.user_id, 0), COALESCE(r.price_cents, 0), COALESCE(r.refund_cents, 0),
			COALESCE(r.state, '')
		FROM ledger l JOIN users u ON u.id = l.user_id
		LEFT JOIN rentals r ON l.reference GLOB 'rent:[0-9]*' AND r.id = CAST(substr(l.reference, 6) AS INTEGER)
		WHERE l.kind = ? OR (l.kind = ? AND l.reference NOT GLOB 'rentext:*') ORDER BY l.id`,
		LedgerRent, LedgerRentRefund)
	if err != nil {
		return nil, fmt.Errorf("check rental references: %w", err)
	}
	return found, nil
}

// checkExtensionRefs: rent_extend rows, and rent_refund rows naming an
// extension ("rentext:N"), name an extension of a rental of their
// account: its debit at its price, its refund only of one marked refunded.
func (s *Store) checkExtensionRefs(ctx context.Context) ([]string, error) {
	purgeable := s.now().Add(-HistoryRetention).Unix()
	found, err := s.problems(ctx, func(sc scanner, l *ledgerRef, cols ...any) (string, error) {
		var erased, exists, refunded bool
		var createdAt, owner, price int64
		if err := sc.Scan(append(cols, &erased, &createdAt, &exists, &owner, &price, &refunded)...); err != nil {
			return "", err
		}
		switch {
		case !exists && (erased || createdAt < purgeable):
			return "", nil // gone with its rental
		case !exists:
			return l.String() + ": names no rental extension", nil
		case owner != l.userID:
			return fmt.Sprintf("%s: the extension is of account %d's rental", l, owner), nil
		case l.kind == string(LedgerRentExtend) && l.amount != -price, l.kind == string(LedgerRentRefund) && l.amount != price:
			return fmt.Sprintf("%s: the extension's price is %d cents", l, price), nil
		case l.kind == string(LedgerRentRefund) && !refunded:
			return l.String() + ": the extension is not marked refunded", nil
		}
		return "", nil
	}, `SELECT l.id, l.user_id, l.amount_cents, l.kind, l.reference, u.deleted_at IS NOT NULL, l.created_at,
			e.id IS NOT NULL, COALESCE(r.user_id, 0), COALESCE(e.price_cents, 0), COALESCE(e.refunded, 0)
		FROM ledger l JOIN users u ON u.id = l.user_id
		LEFT JOIN rental_extensions e ON l.reference GLOB 'rentext:[0-9]*'
			AND e.id = CAST(substr(l.reference, 9) AS INTEGER)
		LEFT JOIN rentals r ON r.id = e.rental_id
		WHERE l.kind = ? OR (l.kind = ? AND l.reference GLOB 'rentext:*') ORDER BY l.id`,
		LedgerRentExtend, LedgerRentRefund)
	if err != nil {
		return nil, fmt.Errorf("check rental extension references: %w", err)
	}
	return found, nil
}

// checkRentalRows: every rental has its debit, and its refund exactly
// when it records one; every extension has its debit, and its refund
// exactly when it is marked refunded.
func (s *Store) checkRentalRows(ctx context.Context) ([]string, error) {
	found, err := collect(ctx, s.r, func(sc scanner) (string, error) {
		var what string
		var id int64
		var owes, debit, back bool
		if err := sc.Scan(&what, &id, &owes, &debit, &back); err != nil {
			return "", err
		}
		switch {
		case !debit:
			return fmt.Sprintf("%s %d has no debit in the ledger", what, id), nil
		case owes && !back:
			return fmt.Sprintf("%s %d records a refund that is not in the ledger", what, id), nil
		case !owes && back:
			return fmt.Sprintf("%s %d was refunded in the ledger without recording it", what, id), nil
		}
		return "", nil
	}, `SELECT 'rental', r.id, r.refund_cents > 0,
			EXISTS (SELECT 1 FROM ledger WHERE kind = ?1 AND reference = 'rent:' || r.id),
			EXISTS (SELECT 1 FROM ledger WHERE kind = ?3 AND reference = 'rent:' || r.id)
		FROM rentals r
		UNION ALL
		SELECT 'rental extension', e.id, e.refunded = 1,
			EXISTS (SELECT 1 FROM ledger WHERE kind = ?2 AND reference = 'rentext:' || e.id),
			EXISTS (SELECT 1 FROM ledger WHERE kind = ?3 AND reference = 'rentext:' || e.id)
		FROM rental_extensions e`, LedgerRent, LedgerRentExtend, LedgerRentRefund)
	if err != nil {
		return nil, fmt.Errorf("check rentals' ledger rows: %w", err)
	}
	out := found[:0]
	for _, p := range found {
		if p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}
