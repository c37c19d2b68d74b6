package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Bitcoin transaction statuses, as Blockonomics reports them.
const (
	BTCStatusError       = -1 // not documented for callbacks; never credited
	BTCStatusUnconfirmed = 0  // in the mempool
	BTCStatusConfirming  = 1  // one confirmation
	BTCStatusConfirmed   = 2  // final: credited here, once per transaction
)

// BTCUpdate is one verified callback: the state of one transaction paying
// one of our addresses.
type BTCUpdate struct {
	Addr, Txid string
	Status     int
	ValueSats  int64
	RBF        bool
}

// BTCPayment is a transaction seen paying an order's address.
type BTCPayment struct {
	Txid          string
	Status        int
	ValueSats     int64
	RBF           bool
	Credited      bool
	CreditedCents int64
	FirstSeenAt   time.Time
	UpdatedAt     time.Time
}

// BTCRule decides the credits of a confirmed transaction: beforeSats were
// confirmed on the order before it, totalSats with it. The store owns the
// transaction; the rule (billing's) owns the prices.
type BTCRule func(o Order, beforeSats, totalSats int64) (cents int64, note string)

// BTCResult says what ApplyBTC did.
type BTCResult struct {
	Order    Order
	Changed  bool  // the payment or the order changed
	Credited bool  // this update credited the order
	Cents    int64 // credited by this update
}

// ApplyBTC records a callback in one transaction. Below confirmation it
// keeps the transaction's latest state and marks the order pending; at
// confirmation it credits the transaction once, with the credits rule
// decides (ledger reference "ORDER:TXID", so each transaction of a
// multi-payment order has its own row) and marks the order paid. A
// transaction's state never goes back (a late "unconfirmed" after
// "confirmed" changes nothing). An address no order has gives
// ErrUnknownAddress.
func (s *Store) ApplyBTC(ctx context.Context, u BTCUpdate, rule BTCRule) (BTCResult, error) {
	if u.Txid == "" || u.Addr == "" || u.Status < BTCStatusError || u.Status > BTCStatusConfirmed || u.ValueSats < 0 {
		return BTCResult{}, fmt.Errorf("apply bitcoin callback %+v: incomplete update", u)
	}
	var r BTCResult
	err := s.write(ctx, func(tx *Tx) error {
		o, err := tx.order(ctx, `btc_address = ? AND processor = 'blockonomics'`, u.Addr)
		if errors.Is(err, ErrNoOrder) {
			return fmt.Errorf("bitcoin address %s: %w", u.Addr, ErrUnknownAddress)
		}
		if err != nil {
			return err
		}
		p, seen, err := tx.btcPayment(ctx, u)
		if err != nil {
			return err
		}
		if p.Credited {
			r.Order = o
			return nil
		}
		if u.Status == BTCStatusConfirmed {
			r, err = tx.creditBTC(ctx, o, u, seen, rule)
		} else {
			r, err = tx.recordBTC(ctx, o, u, p, seen)
		}
		if err == nil && r.Changed {
			tx.notify(Event{UserID: o.UserID, Kind: EventOrder, Ref: o.ID})
		}
		return err
	})
	return r, err
}

// btcPayment reads the row of (txid, addr); seen is false when there is none.
func (tx *Tx) btcPayment(ctx context.Context, u BTCUpdate) (BTCPayment, bool, error) {
	var p BTCPayment
	var credited sql.NullInt64
	var first, updated int64
	err := tx.QueryRowContext(ctx, `SELECT txid, status, value_sats, rbf, credited_cents, first_seen_at, updated_at
		FROM btc_payments WHERE txid = ? AND addr = ?`, u.Txid, u.Addr).
		Scan(&p.Txid, &p.Status, &p.ValueSats, &p.RBF, &credited, &first, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return BTCPayment{}, false, nil
	}
	if err != nil {
		return BTCPayment{}, false, fmt.Errorf("read bitcoin payment %s: %w", u.Txid, err)
	}
	p.Credited, p.CreditedCents = credited.Valid, credited.Int64
	p.FirstSeenAt, p.UpdatedAt = time.Unix(first, 0), time.Unix(updated, 0)
	return p, true, nil
}

// nextBTCStatus merges a reported status into the known one: forward only,
// except that an error (-1) replaces an unconfirmed state.
func nextBTCStatus(known, reported int) int {
	if reported == BTCStatusError {
		return BTCStatusError
	}
	return max(known, reported)
}

// recordBTC keeps the latest unconfirmed state and marks the order pending.
func (tx *Tx) recordBTC(ctx context.Context, o Order, u BTCUpdate, p BTCPayment, seen bool) (BTCResult, error) {
	r := BTCResult{Order: o}
	status := u.Status
	if seen {
		status = nextBTCStatus(p.Status, u.Status)
		if status == p.Status && u.ValueSats == p.ValueSats && u.RBF == p.RBF {
			return r, nil // a repeat
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO btc_payments (txid, addr, order_id, status, value_sats, rbf,
		first_seen_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (txid, addr) DO UPDATE SET status = excluded.status, value_sats = excluded.value_sats,
		rbf = excluded.rbf, updated_at = excluded.updated_at`,
		u.Txid, u.Addr, o.ID, status, u.ValueSats, u.RBF, tx.now, tx.now); err != nil {
		return r, fmt.Errorf("record bitcoin payment %s: %w", u.Txid, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'pending', updated_at = ?
		WHERE id = ? AND status IN ('created', 'expired')`, tx.now, o.ID); err != nil {
		return r, fmt.Errorf("order %s pending: %w", o.Number, err)
	}
	r.Changed = true
	var err error
	r.Order, err = tx.order(ctx, `id = ?`, o.ID)
	return r, err
}

// creditBTC credits a confirmed transaction once and marks the order paid.
func (tx *Tx) creditBTC(ctx context.Context, o Order, u BTCUpdate, seen bool, rule BTCRule) (BTCResult, error) {
	r := BTCResult{Order: o, Changed: true}
	before := o.BTCReceivedSats
	total := before + u.ValueSats
	cents, note := rule(o, before, total)
	if cents < 0 {
		return r, fmt.Errorf("credit bitcoin payment %s: rule gave %d cents", u.Txid, cents)
	}
	first := tx.now
	if seen {
		first = 0 // keep the stored first sighting
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO btc_payments (txid, addr, order_id, status, value_sats, rbf,
		credited_cents, first_seen_at, updated_at) VALUES (?, ?, ?, 2, ?, 0, ?, ?, ?)
		ON CONFLICT (txid, addr) DO UPDATE SET status = 2, value_sats = excluded.value_sats, rbf = 0,
		credited_cents = excluded.credited_cents, updated_at = excluded.updated_at`,
		u.Txid, u.Addr, o.ID, u.ValueSats, cents, first, tx.now); err != nil {
		return r, fmt.Errorf("record bitcoin payment %s: %w", u.Txid, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', credited = credited + ?,
		btc_received_sats = ?, note = ?, paid_at = COALESCE(paid_at, ?), updated_at = ? WHERE id = ?`,
		cents, total, note, tx.now, tx.now, o.ID); err != nil {
		return r, fmt.Errorf("pay order %s: %w", o.Number, err)
	}
	if cents > 0 {
		mv, err := tx.move(ctx, Movement{UserID: o.UserID, AmountCents: cents, Kind: LedgerTopup,
			Reference: o.Number + ":" + u.Txid, Note: "bitcoin top-up: " + note})
		if err != nil {
			return r, fmt.Errorf("credit order %s: %w", o.Number, err)
		}
		r.Credited, r.Cents = mv.Applied, cents
		if mv.Applied {
			if err := tx.announceTopup(ctx, o, cents); err != nil {
				return r, err
			}
		}
	}
	var err error
	r.Order, err = tx.order(ctx, `id = ?`, o.ID)
	return r, err
}

// BTCPayments lists the transactions seen for an order, oldest first.
func (s *Store) BTCPayments(ctx context.Context, orderID int64) ([]BTCPayment, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT txid, status, value_sats, rbf, credited_cents, first_seen_at, updated_at
		FROM btc_payments WHERE order_id = ? ORDER BY first_seen_at, txid`, orderID)
	if err != nil {
		return nil, fmt.Errorf("list bitcoin payments: %w", err)
	}
	defer rows.Close()
	var out []BTCPayment
	for rows.Next() {
		var p BTCPayment
		var credited sql.NullInt64
		var first, updated int64
		if err := rows.Scan(&p.Txid, &p.Status, &p.ValueSats, &p.RBF, &credited, &first, &updated); err != nil {
			return nil, fmt.Errorf("scan bitcoin payment: %w", err)
		}
		p.Credited, p.CreditedCents = credited.Valid, credited.Int64
		p.FirstSeenAt, p.UpdatedAt = time.Unix(first, 0), time.Unix(updated, 0)
		out = append(out, p)
	}
	return out, rows.Err()
}

// BTCFirstSeen is when a transaction paying addr was first reported (or
// claimed, when it could not be checked at once), or the zero time if it
// never was.
func (s *Store) BTCFirstSeen(ctx context.Context, addr, txid string) (time.Time, error) {
	var first sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(at) FROM (
			SELECT first_seen_at AS at FROM btc_payments WHERE txid = ?1 AND addr = ?2
			UNION ALL SELECT claimed_at FROM btc_claims WHERE txid = ?1 AND addr = ?2) AS seen`,
		txid, addr).Scan(&first)
	if err != nil {
		return time.Time{}, fmt.Errorf("bitcoin payment %s: %w", txid, err)
	}
	if !first.Valid {
		return time.Time{}, nil
	}
	return time.Unix(first.Int64, 0), nil
}

// OrderByAddress returns the Bitcoin order paid to addr.
func (s *Store) OrderByAddress(ctx context.Context, addr string) (Order, error) {
	return scanOrder(s.r.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders
		WHERE btc_address = ? AND processor = 'blockonomics'`, addr))
}

// Figures of the Bitcoin reconcile poll.
const (
	// BTCCheckWindow is how long after it was first seen a transaction (or
	// an unchecked claim) is looked up again: a transaction unconfirmed
	// after a week has left the mempools.
	BTCCheckWindow = 7 * 24 * time.Hour
	// maxClaimsPerOrder bounds the unchecked claims kept for one address:
	// a real order gets one or two transactions.
	maxClaimsPerOrder = 20
)

// Unchecked Bitcoin claims go with the retention purge after a week.
func init() {
	purgeSteps = append(purgeSteps, purgeStep{"unchecked Bitcoin claims older than 7 days",
		func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM btc_claims WHERE claimed_at < ?`, now.Add(-BTCCheckWindow).Unix())
		}})
}

// BTCCheck is a transaction paying one of our addresses to look up again.
type BTCCheck struct{ Addr, Txid string }

// ClaimBTC keeps a callback's transaction that could not be looked up
// (Blockonomics did not answer), for the reconcile poll. It credits
// nothing. An address no order has gives ErrUnknownAddress; past
// maxClaimsPerOrder claims for an order, more are not kept.
func (s *Store) ClaimBTC(ctx context.Context, addr, txid string) error {
	return s.write(ctx, func(tx *Tx) error {
		o, err := tx.order(ctx, `btc_address = ? AND processor = 'blockonomics'`, addr)
		if errors.Is(err, ErrNoOrder) {
			return fmt.Errorf("bitcoin address %s: %w", addr, ErrUnknownAddress)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO btc_claims (txid, addr, order_id, claimed_at)
			SELECT ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM btc_claims WHERE order_id = ?) < ?
			ON CONFLICT (txid, addr) DO NOTHING`, txid, addr, o.ID, tx.now, o.ID, maxClaimsPerOrder)
		if err != nil {
			return fmt.Errorf("claim bitcoin payment %s: %w", txid, err)
		}
		return nil
	})
}

// DropBTCClaim forgets a claim once its transaction was looked up.
func (s *Store) DropBTCClaim(ctx context.Context, addr, txid string) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM btc_claims WHERE txid = ? AND addr = ?`, txid, addr)
		if err != nil {
			return fmt.Errorf("drop bitcoin claim %s: %w", txid, err)
		}
		return nil
	})
}

// BTCToCheck lists, oldest first, the transactions to look up again: the
// unchecked claims, and those seen paying an order but not credited yet
// (their confirmation's callback may never have come through), first seen
// within BTCCheckWindow.
func (s *Store) BTCToCheck(ctx context.Context, limit int) ([]BTCCheck, error) {
	since := s.unixNow() - int64(BTCCheckWindow/time.Second)
	return collect(ctx, s.r, func(r scanner) (BTCCheck, error) {
		var c BTCCheck
		return c, r.Scan(&c.Addr, &c.Txid)
	}, `SELECT addr, txid FROM (
			SELECT addr, txid, claimed_at AS at FROM btc_claims WHERE claimed_at >= ?1
			UNION SELECT addr, txid, first_seen_at AS at FROM btc_payments
				WHERE credited_cents IS NULL AND first_seen_at >= ?1) AS due
		GROUP BY addr, txid ORDER BY MIN(at), txid LIMIT ?2`, since, limit)
}
