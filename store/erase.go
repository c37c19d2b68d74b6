package store

import (
	"context"
	"database/sql"
	"errors"
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
// lose its role on the server host first. Everything is checked before
// any number is given back upstream, and again in the transaction.
func (s *Store) DeleteAccountAsAdmin(ctx context.Context, a Actor, email, reason string) (AdminDeletion, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return AdminDeletion{}, err
	}
	if reason, err = CleanReason(reason); err != nil {
		return AdminDeletion{}, err
	}
	// Before the lookup: a non-admin learns nothing about who exists.
	if err := s.CheckActor(ctx, a); err != nil {
		return AdminDeletion{}, err
	}
	target, err := erasable(ctx, s.r, a, email)
	if err != nil {
		return AdminDeletion{}, err
	}
	var out AdminDeletion
	err = s.erase(ctx, target.ID, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		switch u, err := erasable(ctx, tx, a, email); {
		case err != nil:
			return err
		case u.ID != target.ID:
			return ErrNoUser // the email moved to another account meanwhile
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
	return out, nil
}

// erasable finds the live account of email and refuses what an admin may
// not erase: their own account and other admins'.
func erasable(ctx context.Context, q rowQueryer, a Actor, email string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ? AND deleted_at IS NULL`, email))
	switch {
	case err != nil:
		return User{}, err
	case u.ID == a.UserID:
		return User{}, ErrDeleteSelf
	case u.IsAdmin():
		return User{}, ErrDeleteAdmin
	}
	return u, nil
}

// Releaser gives an account's open numbers back upstream before an
// erasure deletes them, as a cancel does, and returns once each is given
// back or its provider failed to. The reservation engine, which knows the
// providers, registers one with SetReleaser; a store without one (the
// command-line tools, which erase nobody) deletes open numbers as they are.
type Releaser func(ctx context.Context, open []Reservation)

// RentalReleaser is the Releaser of active rentals: it gives them back
// upstream (finished: a rental is paid for) before an erasure deletes them.
type RentalReleaser func(ctx context.Context, open []Rental)

// SetReleaser registers what gives numbers back upstream before an erasure.
func (s *Store) SetReleaser(r Releaser) { s.releaser.Store(&r) }

// SetRentalReleaser registers what gives rentals back upstream before an
// erasure.
func (s *Store) SetRentalReleaser(r RentalReleaser) { s.rentalReleaser.Store(&r) }

// ErrErasureRace refuses an erasure after numbers kept being reserved on
// the account while it was being erased.
var ErrErasureRace error = userErr("numbers are being reserved on this account at this very moment: try again")

// errReservedMeanwhile makes erase give back a number reserved on the
// account after the others were given back, and try again.
var errReservedMeanwhile = errors.New("a number was reserved during the erasure")

// eraseRounds bounds how many times erase gives back numbers reserved
// meanwhile by another session of the account before it gives up.
const eraseRounds = 5

// released is what an erasure gave back upstream: reservations and
// rentals, by id.
type released struct{ numbers, rentals map[int64]bool }

// erase carries out an erasure that is allowed: it gives the account's
// open numbers and active rentals back upstream (the Releasers), then runs
// del in one transaction, which must find nothing open left that was not
// given back, and truncates the write-ahead log so that the erased rows
// do not linger in it. Only then are the account's sessions told to end
// (EventAccountDeleted): a person who sees the erasure done finds nothing
// of theirs left in the database files.
//
// It completes even if the caller hangs up half-way: the person asked for
// it, and numbers may already be given back. A number that an upstream
// failed to take back is erased all the same: a person's erasure does not
// wait for a provider, and no job acts on a number once its row is gone.
func (s *Store) erase(ctx context.Context, userID int64, del func(tx *Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	done := released{numbers: map[int64]bool{}, rentals: map[int64]bool{}}
	for range eraseRounds {
		if err := s.release(ctx, userID, done); err != nil {
			return err
		}
		err := s.write(ctx, func(tx *Tx) error {
			if err := tx.checkReleased(ctx, userID, done); err != nil {
				return err
			}
			return del(tx)
		})
		if errors.Is(err, errReservedMeanwhile) {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.truncateWAL(ctx); err != nil {
			s.log.ErrorContext(ctx, "erasure: the erased rows stay in the write-ahead log until the next purge",
				"user", userID, "err", err)
		}
		s.publish(Event{UserID: userID, Kind: EventAccountDeleted})
		return nil
	}
	return ErrErasureRace
}

// release gives back upstream the account's open numbers and active
// rentals not given back yet, and adds them to done.
func (s *Store) release(ctx context.Context, userID int64, done released) error {
	open, err := s.queryReservations(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE user_id = ? AND ended_at IS NULL ORDER BY id`, userID)
	if err != nil {
		return err
	}
	var fresh []Reservation
	for _, r := range open {
		if !done.numbers[r.ID] {
			fresh, done.numbers[r.ID] = append(fresh, r), true
		}
	}
	if r := s.releaser.Load(); r != nil && len(fresh) > 0 {
		(*r)(ctx, fresh)
	}
	rentals, err := collect(ctx, s.r, scanRental, `SELECT `+rentalColumns+` FROM rentals
		WHERE user_id = ? AND ended_at IS NULL ORDER BY id`, userID)
	if err != nil {
		return fmt.Errorf("active rentals of the account: %w", err)
	}
	var freshRentals []Rental
	for _, r := range rentals {
		if !done.rentals[r.ID] {
			freshRentals, done.rentals[r.ID] = append(freshRentals, r), true
		}
	}
	if r := s.rentalReleaser.Load(); r != nil && len(freshRentals) > 0 {
		(*r)(ctx, freshRentals)
	}
	return nil
}

// checkReleased refuses to erase an account holding an open number or an
// active rental that was not given back upstream.
func (tx *Tx) checkReleased(ctx context.Context, userID int64, done released) error {
	ids := func(q string) ([]int64, error) {
		return collect(ctx, tx, func(r scanner) (int64, error) {
			var id int64
			err := r.Scan(&id)
			return id, err
		}, q, userID)
	}
	open, err := ids(`SELECT id FROM reservations WHERE user_id = ? AND ended_at IS NULL`)
	if err != nil {
		return fmt.Errorf("open numbers of the account: %w", err)
	}
	for _, id := range open {
		if !done.numbers[id] {
			return errReservedMeanwhile
		}
	}
	rentals, err := ids(`SELECT id FROM rentals WHERE user_id = ? AND ended_at IS NULL`)
	if err != nil {
		return fmt.Errorf("active rentals of the account: %w", err)
	}
	for _, id := range rentals {
		if !done.rentals[id] {
			return errReservedMeanwhile
		}
	}
	return nil
}

// erasureSummary counts what an erasure removes and what it keeps.
func (tx *Tx) erasureSummary(ctx context.Context, userID int64) (string, error) {
	var keys, numbers, rentals, threads, ledger, orders int
	err := tx.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?1),
		(SELECT COUNT(*) FROM reservations WHERE user_id = ?1),
		(SELECT COUNT(*) FROM rentals WHERE user_id = ?1),
		(SELECT COUNT(*) FROM support_threads WHERE user_id = ?1),
		(SELECT COUNT(*) FROM ledger WHERE user_id = ?1),
		(SELECT COUNT(*) FROM orders WHERE user_id = ?1)`, userID).
		Scan(&keys, &numbers, &rentals, &threads, &ledger, &orders)
	if err != nil {
		return "", fmt.Errorf("count what an erasure removes: %w", err)
	}
	return fmt.Sprintf("erased %d keys, %d numbers, %d rentals, %d support threads; kept %d ledger rows, %d orders, "+
		"anonymous", keys, numbers, rentals, threads, ledger, orders), nil
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
