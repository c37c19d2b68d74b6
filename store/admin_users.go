package store

import (
	"context"
	"fmt"
	"time"
)

// UserPageRows is how many rows of each kind an account's admin page
// shows: more than fit on one screen, enough to answer a support request
// about the last weeks.
const UserPageRows = 50

// pageViewEvery is how often one admin's looks at one account are
// recorded: reopening the page after each action on it is one look.
const pageViewEvery = 10 * time.Minute

// Errors of account actions.
var (
	ErrAlreadyBanned error = userErr("this account is already suspended")
	ErrNotBanned     error = userErr("this account is not suspended")
	ErrSelfBan       error = userErr("you cannot suspend your own account")
)

// UserPage is everything support needs to know about one account.
type UserPage struct {
	User         User
	Keys         []Key
	Ledger       []LedgerEntry   // newest first
	Reservations []Reservation   // newest first, any state, without messages
	Orders       []Order         // newest first
	Security     []SecurityEvent // newest first
	Audit        []AuditEntry    // admin actions on this account, newest first
}

// AdminUserPage opens an account's page. Opening it is audited (it shows
// personal data), at most once per pageViewEvery per admin and account,
// then the page is read.
func (s *Store) AdminUserPage(ctx context.Context, a Actor, userID int64) (UserPage, error) {
	var p UserPage
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		var err error
		if p.User, err = tx.liveUser(ctx, userID); err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM admin_audit WHERE actor_id = ? AND action = ?
			AND target_user_id = ? AND created_at > ?`, a.UserID, AuditUserView, userID,
			tx.now-int64(pageViewEvery/time.Second)).Scan(&recent); err != nil {
			return fmt.Errorf("recent page views: %w", err)
		}
		if recent > 0 {
			return nil
		}
		_, err = tx.audit(ctx, a, AuditEntry{Action: AuditUserView, TargetUserID: userID})
		return err
	})
	if err != nil {
		return UserPage{}, err
	}
	if p.Keys, err = s.Keys(ctx, userID); err != nil {
		return UserPage{}, err
	}
	if p.Ledger, err = s.Ledger(ctx, userID, UserPageRows); err != nil {
		return UserPage{}, err
	}
	if p.Reservations, err = s.queryReservations(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, UserPageRows); err != nil {
		return UserPage{}, err
	}
	if p.Orders, err = s.Orders(ctx, userID, UserPageRows); err != nil {
		return UserPage{}, err
	}
	if p.Security, err = s.SecurityEvents(ctx, userID, UserPageRows); err != nil {
		return UserPage{}, err
	}
	p.Audit, err = s.auditRows(ctx, `SELECT `+auditColumns+auditFrom+` WHERE a.target_user_id = ?
		ORDER BY a.id DESC LIMIT ?`, userID, UserPageRows)
	return p, err
}

// BanUser suspends an account with a stated reason, which the person is
// shown when a reservation or top-up is refused. Signing in and reading
// history still work. Open sessions learn at once (EventAccount).
func (s *Store) BanUser(ctx context.Context, a Actor, userID int64, reason string) (User, error) {
	return s.setBan(ctx, a, userID, reason, true)
}

// UnbanUser lifts a suspension; the reason is kept in the audit trail.
func (s *Store) UnbanUser(ctx context.Context, a Actor, userID int64, reason string) (User, error) {
	return s.setBan(ctx, a, userID, reason, false)
}

func (s *Store) setBan(ctx context.Context, a Actor, userID int64, reason string, ban bool) (User, error) {
	reason, err := CleanReason(reason)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		if u, err = tx.liveUser(ctx, userID); err != nil {
			return err
		}
		switch {
		case ban && u.ID == a.UserID:
			return ErrSelfBan
		case ban && u.Banned():
			return ErrAlreadyBanned
		case !ban && !u.Banned():
			return ErrNotBanned
		}
		q, args, action := `UPDATE users SET banned_at = ?, ban_reason = ? WHERE id = ?`,
			[]any{tx.now, reason, userID}, AuditBan
		if !ban {
			q, args, action = `UPDATE users SET banned_at = NULL, ban_reason = '' WHERE id = ?`, []any{userID}, AuditUnban
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s user %d: %w", action, userID, err)
		}
		if _, err := tx.audit(ctx, a, AuditEntry{Action: action, TargetUserID: userID, Reason: reason}); err != nil {
			return err
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		u, err = tx.liveUser(ctx, userID)
		return err
	})
	return u, err
}
