package store

import (
	"context"
	"fmt"
)

// deleteHooks erase an account's rows in tables added by later features
// (reservations, support threads); each registers from its own file.
var deleteHooks []func(ctx context.Context, tx *Tx, userID int64) error

// DeleteAccount erases a person from WantSMS at once, after checking the
// password (through the sign-in throttle): open numbers are given back
// upstream, then keys, security events and everything registered in
// deleteHooks go; the account row stays as an anonymous anchor (no email,
// no password) for the ledger and payment records, which accounting must
// keep. Open sessions of the account are told to end. The email is free to
// sign up again as a new account. See erase for what happens around the
// transaction.
func (s *Store) DeleteAccount(ctx context.Context, userID int64, password string, o Origin) error {
	if err := s.confirmPassword(ctx, userID, password, o, "to delete the account"); err != nil {
		return err
	}
	return s.erase(ctx, userID, func(tx *Tx) error { return tx.deleteAccount(ctx, userID) })
}

// deleteAccount is the erasure itself, shared with the admin's erasure of
// a verified request.
func (tx *Tx) deleteAccount(ctx context.Context, userID int64) error {
	for _, q := range []string{
		`DELETE FROM ssh_keys WHERE user_id = ?`,
		`DELETE FROM security_events WHERE user_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return fmt.Errorf("delete account %d: %w", userID, err)
		}
	}
	for _, hook := range deleteHooks {
		if err := hook(ctx, tx, userID); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET email = NULL, password_hash = NULL, ban_reason = '',
		deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, tx.now, userID)
	if err != nil {
		return fmt.Errorf("anonymise account %d: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoUser
	}
	return nil // erase tells the account's sessions, once the files are clean
}
