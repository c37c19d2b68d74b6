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
	ErrNotAdmin error = userErr("this needs an admin account")
	// ErrNotAdminKey refuses an admin account whose session did not prove
	// a key enrolled for admin use; errors.Is takes it for ErrNotAdmin.
	ErrNotAdminKey  error = notAdminKey{}
	ErrBadReason    error = userErr(fmt.Sprintf("a reason is 1 to %d printable characters", MaxReasonLen))
	ErrBadAmount    error = userErr(fmt.Sprintf("an amount is a whole number of cents from 1 to %d", MaxAdminCreditCents))
	ErrBadSearch    error = userErr(fmt.Sprintf("a search is at most %d printable characters", MaxUserSearchLen))
	errBadPageLimit       = errors.New("user list limit out of range")
)

type notAdminKey struct{}

func (notAdminKey) Error() string {
	return "admin powers need a key enrolled for admin use on the server host " +
		"(wantsms admin grant EMAIL --key FINGERPRINT); this session's key is not"
}
func (e notAdminKey) UserFacing() string { return e.Error() }
func (notAdminKey) Is(target error) bool { return target == ErrNotAdmin }

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

// fingerprintPrefix starts a key fingerprint as ssh-keygen prints it.
const fingerprintPrefix = "SHA256:"

// CleanUserSearch trims a search text and lower-cases it (emails are
// stored lower-case) unless it is a key fingerprint ("SHA256:…", whose
// case matters); empty means everyone.
func CleanUserSearch(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, fingerprintPrefix) {
		s = strings.ToLower(s)
	}
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
	// Key is the fingerprint of the linked key the session proved. Admin
	// powers live only in sessions that proved a key the server host
	// enrolled for admin use (GrantAdmin): requireAdmin refuses an actor
	// without one, whatever keys the account links. The session layer
	// passes a key only when the account was resolved from it at the start
	// of the session, never after a password sign-in.
	Key    string
	Origin Origin
}

// AuditAction names an admin action in the audit trail.
type AuditAction string

// The audited admin actions.
const (
	AuditUserSearch   AuditAction = "users.search"       // looked at the list of accounts
	AuditUserView     AuditAction = "users.view"         // opened an account's page
	AuditCredit       AuditAction = "credit"             // credited an account (ledger kind adjust)
	AuditDebit        AuditAction = "debit"              // debited an account (ledger kind adjust)
	AuditBan          AuditAction = "ban"                // suspended an account
	AuditUnban        AuditAction = "unban"              // lifted a suspension
	AuditOrderSearch  AuditAction = "orders.search"      // looked an order up by a reference
	AuditForceCancel  AuditAction = "reservation.cancel" // ended a number with a refund
	AuditProviderOn   AuditAction = "provider.enable"    // switched a provider on
	AuditProviderOff  AuditAction = "provider.disable"   // switched a provider off
	AuditPriceSet     AuditAction = "price.set"          // set a markup override
	AuditPriceClear   AuditAction = "price.clear"        // removed a markup override
	AuditSupportReply AuditAction = "support.reply"      // answered a support thread
	AuditSupportClose AuditAction = "support.close"      // closed a support thread
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
	// ActorEmail and TargetEmail are filled by SearchAudit for display
	// ("" for a deleted account).
	ActorEmail, TargetEmail string
}

// requireAdmin checks, inside tx, that the actor may still act as an
// admin. Every admin action calls it first, before it reads anything, and
// then records itself with audit in the same transaction.
func (tx *Tx) requireAdmin(ctx context.Context, a Actor) error { return checkActor(ctx, tx, a) }

// CheckActor checks, outside a transaction, that the actor may act as an
// admin: what read-only admin views call, and what the engine calls
// before an action's upstream side (cancelling a number at the provider)
// so that a refused actor changes nothing anywhere. The action's own
// transaction checks again.
func (s *Store) CheckActor(ctx context.Context, a Actor) error { return checkActor(ctx, s.r, a) }

type rowQueryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkActor: the account is live, holds the admin role, is not banned,
// and the key its session proved is one of its keys enrolled for admin use
// from the server host (a key linked from the dashboard is not enough: a
// password is all that takes).
func checkActor(ctx context.Context, q rowQueryer, a Actor) error {
	if a.Key == "" {
		return ErrNotAdmin
	}
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`,
		a.UserID))
	if errors.Is(err, ErrNoUser) {
		return ErrNotAdmin
	}
	if err != nil {
		return err
	}
	if err := u.CheckAdmin(); err != nil {
		return err
	}
	var enrolled bool
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ssh_keys k JOIN admin_keys a ON a.key_id = k.id
		WHERE k.user_id = ? AND k.fingerprint = ?)`, a.UserID, a.Key).Scan(&enrolled)
	if err != nil {
		return fmt.Errorf("check admin key: %w", err)
	}
	if !enrolled {
		return ErrNotAdminKey
	}
	return nil
}

// audit records an admin action and returns the row's id.
func (tx *Tx) audit(ctx context.Context, a Actor, e AuditEntry) (int64, error) {
	var target sql.NullInt64
	if e.TargetUserID != 0 {
		target = sql.NullInt64{Int64: e.TargetUserID, Valid: true}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO admin_audit
		(actor_id, action, target_user_id, target, reason, detail, remote_addr, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.UserID, e.Action, target, e.Target, e.Reason, e.Detail, a.Origin.RemoteAddr, tx.now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return id, nil
}

// AdminUsers lists live accounts whose email contains search, or holding
// a key whose fingerprint contains it when it starts with "SHA256:" (all
// accounts when it is empty), oldest first, at most limit (1 to MaxUsersPage); more
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
	q := `SELECT ` + userColumns + ` FROM users
		WHERE deleted_at IS NULL AND (? = '' OR instr(email, ?) > 0) ORDER BY id LIMIT ?`
	if strings.HasPrefix(search, fingerprintPrefix) {
		q = `SELECT ` + userColumns + ` FROM users WHERE deleted_at IS NULL AND ? <> '' AND id IN
			(SELECT user_id FROM ssh_keys WHERE instr(fingerprint, ?) > 0) ORDER BY id LIMIT ?`
	}
	rows, err := tx.QueryContext(ctx, q, search, search, limit)
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
