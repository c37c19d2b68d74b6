package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LedgerKind says why money moved. A reference is unique per kind, which
// is what makes every movement idempotent.
type LedgerKind string

// The kinds of ledger rows.
const (
	LedgerGrant   LedgerKind = "grant"   // credit given from the server host (`wantsms credit`)
	LedgerTopup   LedgerKind = "topup"   // a paid order
	LedgerReserve LedgerKind = "reserve" // a number handed out
	LedgerRefund  LedgerKind = "refund"  // a reservation that got no SMS
	LedgerAdjust  LedgerKind = "adjust"  // an admin's correction, with a reason
	// LedgerReversal takes back the credits of a card payment Stripe
	// refunded or the payer disputed (reference "ORDER:rev:TOTAL"). It is
	// the one debit that may exceed the balance: the rest becomes the
	// account's debt.
	LedgerReversal LedgerKind = "reversal"
)

// ErrInsufficientFunds refuses a debit larger than the balance.
var ErrInsufficientFunds error = userErr("not enough credits")

// Movement is one change of a balance.
type Movement struct {
	UserID      int64
	AmountCents int64 // positive credits, negative debits
	Kind        LedgerKind
	Reference   string // unique per kind: an order number, "res:42", …
	Note        string
}

// MoveResult reports what a movement did. Applied is false when the
// reference had been used before: nothing moved the second time.
type MoveResult struct {
	Applied      bool
	BalanceCents int64
}

// Move applies one movement in its own transaction.
func (s *Store) Move(ctx context.Context, m Movement) (MoveResult, error) {
	var r MoveResult
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		r, err = tx.move(ctx, m)
		return err
	})
	return r, err
}

// The balance updates of a movement. The ledger sums to the balance minus
// the debt, and the two are never both above zero:
//   - a credit pays the debt first, the rest raises the balance;
//   - a debit must fit in the balance (no row changes otherwise);
//   - a reversal takes what the balance holds and owes the rest.
//
// SQLite evaluates every SET expression on the row as it was.
const (
	creditBalance = `UPDATE users SET balance_cents = balance_cents + MAX(0, ?1 - debt_cents),
		debt_cents = MAX(0, debt_cents - ?1) WHERE id = ?2 RETURNING balance_cents`
	debitBalance = `UPDATE users SET balance_cents = balance_cents + ?1
		WHERE id = ?2 AND balance_cents + ?1 >= 0 RETURNING balance_cents`
	reverseBalance = `UPDATE users SET debt_cents = debt_cents + MAX(0, -?1 - balance_cents),
		balance_cents = MAX(0, balance_cents + ?1) WHERE id = ?2 RETURNING balance_cents`
)

// move writes the ledger row and updates the cached balance inside tx.
func (tx *Tx) move(ctx context.Context, m Movement) (MoveResult, error) {
	if m.Kind == LedgerReversal {
		return MoveResult{}, fmt.Errorf("movement %+v: a reversal goes through takeBack", m)
	}
	update := debitBalance
	if m.AmountCents > 0 {
		update = creditBalance
	}
	return tx.apply(ctx, m, update)
}

// takeBack writes a reversal (a negative movement of kind
// LedgerReversal): what the balance holds is taken, the rest becomes debt.
func (tx *Tx) takeBack(ctx context.Context, m Movement) (MoveResult, error) {
	if m.Kind != LedgerReversal || m.AmountCents >= 0 {
		return MoveResult{}, fmt.Errorf("movement %+v: not a reversal", m)
	}
	return tx.apply(ctx, m, reverseBalance)
}

// apply writes the ledger row of m, unless its reference was used, and
// then runs update (?1 the amount, ?2 the account).
func (tx *Tx) apply(ctx context.Context, m Movement, update string) (MoveResult, error) {
	if m.AmountCents == 0 || m.Kind == "" || m.Reference == "" {
		return MoveResult{}, fmt.Errorf("movement %+v: amount, kind and reference are required", m)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO ledger (user_id, amount_cents, kind, reference, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, reference) DO NOTHING`,
		m.UserID, m.AmountCents, m.Kind, m.Reference, m.Note, tx.now)
	if err != nil {
		return MoveResult{}, fmt.Errorf("ledger %s %s: %w", m.Kind, m.Reference, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		bal, err := tx.balance(ctx, m.UserID)
		return MoveResult{Applied: false, BalanceCents: bal}, err
	}
	var bal int64
	err = tx.QueryRowContext(ctx, update, m.AmountCents, m.UserID).Scan(&bal)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.balance(ctx, m.UserID); err != nil {
			return MoveResult{}, err
		}
		return MoveResult{}, ErrInsufficientFunds
	}
	if err != nil {
		return MoveResult{}, fmt.Errorf("update balance: %w", err)
	}
	tx.notify(Event{UserID: m.UserID, Kind: EventBalance})
	return MoveResult{Applied: true, BalanceCents: bal}, nil
}

// moveNew is move for a movement whose reference is new by construction,
// such as a reservation's debit or refund: a reference already in the
// ledger names something else, and then nothing is written at all.
func (tx *Tx) moveNew(ctx context.Context, m Movement) (MoveResult, error) {
	r, err := tx.move(ctx, m)
	if err == nil && !r.Applied {
		return r, fmt.Errorf("ledger %s %s: the reference is already used", m.Kind, m.Reference)
	}
	return r, err
}

func (tx *Tx) balance(ctx context.Context, userID int64) (int64, error) {
	var b int64
	err := tx.QueryRowContext(ctx, `SELECT balance_cents FROM users WHERE id = ?`, userID).Scan(&b)
	if err != nil {
		return 0, fmt.Errorf("balance of user %d: %w", userID, noRows(err, ErrNoUser))
	}
	return b, nil
}

// LedgerEntry is one ledger row.
type LedgerEntry struct {
	ID          int64
	UserID      int64
	AmountCents int64
	Kind        LedgerKind
	Reference   string
	Note        string
	At          time.Time
}

// Ledger lists an account's most recent ledger rows, newest first.
func (s *Store) Ledger(ctx context.Context, userID int64, limit int) ([]LedgerEntry, error) {
	rows, err := collect(ctx, s.r, scanLedgerEntry,
		`SELECT `+ledgerColumns+` FROM ledger WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list ledger: %w", err)
	}
	return rows, nil
}

// ledgerColumns are what scanLedgerEntry reads, in its order.
const ledgerColumns = `id, user_id, amount_cents, kind, reference, note, created_at`

func scanLedgerEntry(r scanner) (LedgerEntry, error) {
	var e LedgerEntry
	var at int64
	err := r.Scan(&e.ID, &e.UserID, &e.AmountCents, &e.Kind, &e.Reference, &e.Note, &at)
	e.At = time.Unix(at, 0)
	return e, err
}
