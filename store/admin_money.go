package store

import (
	"context"
	"errors"
	"fmt"
)

// ErrDebitOverdraft refuses an admin debit larger than the balance: a
// correction never makes a balance negative.
var ErrDebitOverdraft error = userErr("a debit cannot take the balance below zero")

// AdminCredit is what an admin credit or debit did.
type AdminCredit struct {
	AuditID      int64
	User         User  // the account, with its new balance
	AmountCents  int64 // positive for a credit, negative for a debit
	Reference    string
	BalanceCents int64
}

// CreditAsAdmin credits an account by email: one ledger row of kind
// adjust carrying the reason, and its audit row, in one transaction.
func (s *Store) CreditAsAdmin(ctx context.Context, a Actor, email string, cents int64, reason string) (AdminCredit, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return AdminCredit{}, err
	}
	if cents < 1 {
		return AdminCredit{}, ErrBadAmount
	}
	return s.adjust(ctx, a, cents, reason, func(tx *Tx) (User, error) {
		return scanUser(tx.QueryRowContext(ctx,
			`SELECT `+userColumns+` FROM users WHERE email = ? AND deleted_at IS NULL`, email))
	})
}

// AdjustAsAdmin credits (cents > 0) or debits (cents < 0) an account by
// id: a ledger row of kind adjust carrying the mandatory reason, never a
// balance edit, and its audit row, in one transaction. A debit beyond the
// balance is refused (ErrDebitOverdraft).
func (s *Store) AdjustAsAdmin(ctx context.Context, a Actor, userID, cents int64, reason string) (AdminCredit, error) {
	return s.adjust(ctx, a, cents, reason, func(tx *Tx) (User, error) {
		return tx.liveUser(ctx, userID)
	})
}

// adjust checks the amount and reason, then in one transaction checks
// the actor, finds the target and moves the money with its audit row.
func (s *Store) adjust(ctx context.Context, a Actor, cents int64, reason string,
	target func(tx *Tx) (User, error)) (AdminCredit, error) {
	reason, err := CleanReason(reason)
	if err != nil {
		return AdminCredit{}, err
	}
	if cents == 0 || cents > MaxAdminCreditCents || cents < -MaxAdminCreditCents {
		return AdminCredit{}, ErrBadAmount
	}
	out := AdminCredit{AmountCents: cents}
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err // before the lookup: a non-admin learns nothing about who exists
		}
		u, err := target(tx)
		if err != nil {
			return err
		}
		action, detail := AuditCredit, fmt.Sprintf("+%d cents", cents)
		if cents < 0 {
			action, detail = AuditDebit, fmt.Sprintf("%d cents", cents)
		}
		out.AuditID, err = tx.audit(ctx, a, AuditEntry{Action: action, TargetUserID: u.ID, Reason: reason,
			Detail: detail})
		if err != nil {
			return err
		}
		// The audit row's id makes the ledger reference unique and ties the
		// two rows together: a reference already in the ledger names
		// another correction, and then nothing is written at all.
		out.Reference = fmt.Sprintf("audit:%d", out.AuditID)
		res, err := tx.moveNew(ctx, Movement{UserID: u.ID, AmountCents: cents, Kind: LedgerAdjust,
			Reference: out.Reference, Note: reason})
		if errors.Is(err, ErrInsufficientFunds) {
			return ErrDebitOverdraft
		}
		if err != nil {
			return err
		}
		u.BalanceCents = res.BalanceCents
		out.User, out.BalanceCents = u, res.BalanceCents
		return nil
	})
	return out, err
}

// liveUser reads a live account inside tx.
func (tx *Tx) liveUser(ctx context.Context, id int64) (User, error) {
	return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`, id))
}
