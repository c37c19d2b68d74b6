package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Admin actions taken inside the service by admin accounts (the server
// host's own tools, `wantsms admin|credit`, are not audited here: they act
// with the host's authority). Each action is one store method that, inside
// its transaction, checks that the acting account may still act as an
// admin (requireAdmin) and writes its admin_audit row, so a revoked admin loses
// the power at once and no action goes unrecorded.

// Bounds on admin actions.
const (
	// MaxAdminCreditCents caps one admin credit at $10,000, the same bound
	// as the host's `wantsms credit`: a typo of a few zeros must not slip
	// through.
	MaxAdminCreditCents = 10_000_00
	// MaxReasonLen bounds a stated reason, as the host's tools do.
	MaxReasonLen = 200
	// MaxUserSearchLen is the longest search text: an email's length.
	MaxUserSearchLen = maxEmailLen
	// MaxUsersPage caps one page of the user list.
	MaxUsersPage = 500
)

// Errors of admin actions.
var (
	ErrNotAdmin     error = userErr("this needs an admin account")
	ErrBadReason    error = userErr(fmt.Sprintf("a reason is 1 to %d printable characters", MaxReasonLen))
	ErrBadAmount    error = userErr(fmt.Sprintf("an amount is a whole number of cents from 1 to %d", MaxAdminCreditCents))
	ErrBadSearch    error = userErr(fmt.Sprintf("a search is at most %d printable characters", MaxUserSearchLen))
	errBadPageLimit       = errors.New("user list limit out of range")
)

// CheckAdmin returns ErrNotAdmin unless the account may act as an admin:
// it holds the admin role and is not banned.
func (u User) CheckAdmin() error {
	if !u.IsAdmin() || u.Banned() {
		return ErrNotAdmin
	}
	return nil
}

// CleanReason trims a stated reason and checks it is 1 to MaxReasonLen
// printable characters.
func CleanReason(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || !printable(s, MaxReasonLen) {
		return "", ErrBadReason
	}
	return s, nil
}

// CleanUserSearch trims and lower-cases a search text (emails are stored
// lower-case); empty means everyone.
func CleanUserSearch(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s != "" && !printable(s, MaxUserSearchLen) {
		return "", ErrBadSearch
	}
	return s, nil
}

// printable reports whether s is valid UTF-8 of at most max runes, each a
// printable character or a plain space.
func printable(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r != ' ' && !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Actor is the admin account taking an action, and where its session
// comes from.
type Actor struct {
	UserID int64
	Origin Origin
}

// AuditAction names an admin action in the audit trail.
type AuditAction string

// The audited admin actions.
const (
	AuditUserSearch AuditAction = "users.search" // looked at the list of accounts
	AuditCredit     AuditAction = "credit"       // credited an account (ledger kind adjust)
)

// AuditEntry is one row of the admin audit trail.
type AuditEntry struct {
	ID           int64
	ActorID      int64
	Action       AuditAction
	TargetUserID int64 // 0 when the action has no account as its target
	Target       string
	Reason       string
	Detail       string
	RemoteAddr   string
	At           time.Time
}

// requireAdmin checks, inside tx, that the actor may still act as an
// admin. Every admin action calls it first, before it reads anything, and
// then records itself with audit in the same transaction.
func (tx *Tx) requireAdmin(ctx context.Context, a Actor) error {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`,
		a.UserID))
	if errors.Is(err, ErrNoUser) {
		return ErrNotAdmin
	}
	if err != nil {
		return err
	}
	return u.CheckAdmin()
}

// audit records an admin action and returns the row's id.
func (tx *Tx) audit(ctx context.Context, a Actor, e AuditEntry) (int64, error) {
	var target sql.NullInt64
	if e.TargetUserID != 0 {
		target = sql.NullInt64{Int64: e.TargetUserID, Valid: true}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO admin_audit
		(actor_id, action, target_user_id, target, reason, detail, remote_addr, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.UserID, e.Action, target, e.Target, e.Reason, e.Detail, a.Origin.RemoteAddr, tx.now)
	if err != nil {
		return 0, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return res.LastInsertId()
}

// AdminUsers lists live accounts whose email contains search (all of them
// when it is empty), oldest first, at most limit (1 to MaxUsersPage); more
// reports that further accounts match. Looking is audited too: emails are
// personal data.
func (s *Store) AdminUsers(ctx context.Context, a Actor, search string, limit int) (users []User, more bool, err error) {
	search, err = CleanUserSearch(search)
	if err != nil {
		return nil, false, err
	}
	if limit < 1 || limit > MaxUsersPage {
		return nil, false, fmt.Errorf("list users: %w: %d", errBadPageLimit, limit)
	}
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		if _, err := tx.audit(ctx, a, AuditEntry{Action: AuditUserSearch, Target: search}); err != nil {
			return err
		}
		users, err = tx.searchUsers(ctx, search, limit+1)
		return err
	})
	if len(users) > limit {
		users, more = users[:limit], true
	}
	return users, more, err
}

func (tx *Tx) searchUsers(ctx context.Context, search string, limit int) ([]User, error) {
	// instr rather than LIKE: a search text holding % or _ means itself.
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE deleted_at IS NULL AND (? = '' OR instr(email, ?) > 0) ORDER BY id LIMIT ?`, search, search, limit)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// AdminCredit is what an admin credit did.
type AdminCredit struct {
	AuditID      int64
	User         User // the credited account, with its new balance
	AmountCents  int64
	Reference    string // the ledger row's reference: "audit:<AuditID>"
	BalanceCents int64
}

// CreditAsAdmin credits an account by email: one ledger row of kind
// adjust carrying the reason, and its audit row, in one transaction.
func (s *Store) CreditAsAdmin(ctx context.Context, a Actor, email string, cents int64, reason string) (AdminCredit, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return AdminCredit{}, err
	}
	if reason, err = CleanReason(reason); err != nil {
		return AdminCredit{}, err
	}
	if cents < 1 || cents > MaxAdminCreditCents {
		return AdminCredit{}, ErrBadAmount
	}
	out := AdminCredit{AmountCents: cents}
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err // before the lookup: a non-admin learns nothing about who exists
		}
		target, err := scanUser(tx.QueryRowContext(ctx,
			`SELECT `+userColumns+` FROM users WHERE email = ? AND deleted_at IS NULL`, email))
		if err != nil {
			return err
		}
		out.AuditID, err = tx.audit(ctx, a, AuditEntry{Action: AuditCredit, TargetUserID: target.ID,
			Reason: reason, Detail: fmt.Sprintf("+%d cents", cents)})
		if err != nil {
			return err
		}
		// The audit row's id makes the ledger reference unique and ties the
		// two rows together.
		out.Reference = fmt.Sprintf("audit:%d", out.AuditID)
		res, err := tx.move(ctx, Movement{UserID: target.ID, AmountCents: cents, Kind: LedgerAdjust,
			Reference: out.Reference, Note: reason})
		if err != nil {
			return err
		}
		target.BalanceCents = res.BalanceCents
		out.User, out.BalanceCents = target, res.BalanceCents
		return nil
	})
	return out, err
}

// AuditLog lists the most recent admin actions, newest first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, actor_id, action, COALESCE(target_user_id, 0), target, reason,
		detail, remote_addr, created_at FROM admin_audit ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Action, &e.TargetUserID, &e.Target, &e.Reason, &e.Detail,
			&e.RemoteAddr, &at); err != nil {
			return nil, fmt.Errorf("scan audit row: %w", err)
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}
