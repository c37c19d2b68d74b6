package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Erasure of a person (privacy policy §10): by themselves with their
// password (DeleteAccount), or by an admin for a request verified by other
// means (DeleteAccountAsAdmin, audited). Both run tx.deleteAccount.

// AuditDeleteAccount is the audit action of an admin's erasure.
const AuditDeleteAccount AuditAction = "account.delete"

// Refusals of an admin erasure.
var (
	ErrDeleteSelf  error = userErr("to delete your own account, use the Account pane: it asks for your password")
	ErrDeleteAdmin error = userErr("this is an admin account: revoke its role from the server host first " +
		"(wantsms admin revoke EMAIL)")
)

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		// The reserve rows stay for accounting, but their note names the
		// service and country of a number that is being erased.
		if _, err := tx.ExecContext(ctx, `UPDATE ledger SET note = '' WHERE user_id = ? AND kind = ? AND note <> ''`,
			userID, LedgerReserve); err != nil {
			return fmt.Errorf("scrub ledger notes: %w", err)
		}
		var email sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ?`, userID).Scan(&email); err != nil {
			return fmt.Errorf("read email: %w", noRows(err, ErrNoUser))
		}
		if !email.Valid {
			return nil
		}
		// A sign-in throttle is keyed by the email: short-lived, but the
		// email must not outlive the account by a minute.
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_throttle WHERE key = ?`, "email:"+email.String); err != nil {
			return fmt.Errorf("delete sign-in throttle: %w", err)
		}
		return tx.forgetEmail(ctx, email.String)
	})
}

// AdminDeletion is what an admin erasure did.
type AdminDeletion struct {
	AuditID   int64
	UserID    int64  // the erased account's row, now anonymous
	Detail    string // what went and what stayed, as the audit row says
	DeletedAt time.Time
}

// DeleteAccountAsAdmin erases the account of email for a deletion request
// the admin verified by other means (reason says how): the same erasure
// as DeleteAccount, checked and recorded in the same transaction. The
// person's open sessions end. An admin's own account and other admin
// accounts are refused: the first has the Account pane, the second must
// lose its role on the server host first.
func (s *Store) DeleteAccountAsAdmin(ctx context.Context, a Actor, email, reason string) (AdminDeletion, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return AdminDeletion{}, err
	}
	if reason, err = CleanReason(reason); err != nil {
		return AdminDeletion{}, err
	}
	var out AdminDeletion
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err // before the lookup: a non-admin learns nothing about who exists
		}
		target, err := scanUser(tx.QueryRowContext(ctx,
			`SELECT `+userColumns+` FROM users WHERE email = ? AND deleted_at IS NULL`, email))
		switch {
		case err != nil:
			return err
		case target.ID == a.UserID:
			return ErrDeleteSelf
		case target.IsAdmin():
			return ErrDeleteAdmin
		}
		if out.Detail, err = tx.erasureSummary(ctx, target.ID); err != nil {
			return err
		}
		// The email is not written to the audit row: it would outlive the
		// erasure. The row points at the anonymous account row instead.
		if out.AuditID, err = tx.audit(ctx, a, AuditEntry{Action: AuditDeleteAccount, TargetUserID: target.ID,
			Reason: reason, Detail: out.Detail}); err != nil {
			return err
		}
		out.UserID, out.DeletedAt = target.ID, time.Unix(tx.now, 0)
		return tx.deleteAccount(ctx, target.ID)
	})
	if err != nil {
		return AdminDeletion{}, err
	}
	_ = s.truncateWAL(ctx) // best effort: the hourly purge does it again
	return out, nil
}

// erasureSummary counts what an erasure removes and what it keeps.
func (tx *Tx) erasureSummary(ctx context.Context, userID int64) (string, error) {
	var keys, numbers, threads, ledger, orders int
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?1),
		(SELECT COUNT(*) FROM reservations WHERE user_id = ?1),
		(SELECT COUNT(*) FROM support_threads WHERE user_id = ?1),
		(SELECT COUNT(*) FROM ledger WHERE user_id = ?1),
		(SELECT COUNT(*) FROM orders WHERE user_id = ?1)`, userID).
		Scan(&keys, &numbers, &threads, &ledger, &orders)
	if err != nil {
		return "", fmt.Errorf("count what an erasure removes: %w", err)
	}
	return fmt.Sprintf("erased %d keys, %d numbers, %d support threads; kept %d ledger rows, %d orders, anonymous",
		keys, numbers, threads, ledger, orders), nil
}

// erasedEmail replaces an erased account's email in text that stays.
const erasedEmail = "[erased account]"

// forgetEmail replaces email, in any case, in the free text that outlives
// an erasure: what admins typed (a search for the person before erasing
// them, a reason naming them) and ledger notes. Emails in the schema are
// lower-case, and lower() folds ASCII as NormalizeEmail does.
func (tx *Tx) forgetEmail(ctx context.Context, email string) error {
	re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(email))
	for _, t := range []struct {
		table string
		cols  []string // TEXT NOT NULL columns of free text
	}{
		{"admin_audit", []string{"target", "reason", "detail"}},
		{"ledger", []string{"note"}},
	} {
		type row struct {
			id   int64
			text []string
		}
		rows, err := collect(ctx, tx, func(r scanner) (row, error) {
			x := row{text: make([]string, len(t.cols))}
			ptrs := []any{&x.id}
			for i := range x.text {
				ptrs = append(ptrs, &x.text[i])
			}
			return x, r.Scan(ptrs...)
		}, `SELECT id, `+strings.Join(t.cols, ", ")+` FROM `+t.table+`
			WHERE instr(lower(`+strings.Join(t.cols, ` || ' ' || `)+`), ?) > 0`, email)
		if err != nil {
			return fmt.Errorf("find %s rows naming the account: %w", t.table, err)
		}
		set := strings.Join(t.cols, ` = ?, `) + ` = ?`
		for _, x := range rows {
			args := make([]any, 0, len(x.text)+1)
			for _, v := range x.text {
				args = append(args, re.ReplaceAllLiteralString(v, erasedEmail))
			}
			if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET `+set+` WHERE id = ?`, append(args, x.id)...); err != nil {
				return fmt.Errorf("forget email in %s: %w", t.table, err)
			}
		}
	}
	return nil
}
