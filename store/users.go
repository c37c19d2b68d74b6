package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
)

// Role is what an account may do.
type Role string

// The roles. Admin is granted only from the server host.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// maxEmailLen is the longest address SMTP allows (RFC 5321 path limit).
const maxEmailLen = 254

// User is an account as the rest of the program sees it (never the hash).
type User struct {
	ID           int64
	Email        string
	Role         Role
	BalanceCents int64
	CreatedAt    time.Time
	BannedAt     time.Time // zero unless banned
	BanReason    string
	// DebtCents is what the account owes from card payments taken back
	// after their credits were spent; never above zero with the balance.
	DebtCents int64
}

// Banned reports whether the account is banned.
func (u User) Banned() bool { return !u.BannedAt.IsZero() }

// IsAdmin reports whether the account holds the admin role.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// Errors about accounts.
var (
	ErrBadEmail        error = userErr("enter a valid email address, like name@example.com")
	ErrEmailTaken      error = userErr("an account with this email already exists: sign in instead")
	ErrNoUser          error = userErr("no such account")
	ErrWrongPassword   error = userErr("wrong email or password")
	ErrCurrentPassword error = userErr("the current password is wrong")
)

// NormalizeEmail trims and lower-cases an address and checks it is a bare
// address (no display name) with a dotted domain.
func NormalizeEmail(s string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" || len(e) > maxEmailLen || strings.ContainsAny(e, " \t\r\n<>\"") {
		return "", ErrBadEmail
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || a.Name != "" {
		return "", ErrBadEmail
	}
	// net/mail takes any UTF-8 beyond ASCII, controls and invisible
	// characters included: a bidi override or a C1 escape would let one
	// address pass for another in lists, logs and terminals.
	if strings.IndexFunc(e, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", ErrBadEmail
	}
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || len(local) > 64 || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", ErrBadEmail
	}
	return e, nil
}

const userColumns = `id, COALESCE(email, ''), role, balance_cents, debt_cents, created_at, banned_at, ban_reason`

func scanUser(row scanner) (User, error) {
	var u User
	var created int64
	var banned sql.NullInt64
	err := row.Scan(&u.ID, &u.Email, &u.Role, &u.BalanceCents, &u.DebtCents, &created, &banned, &u.BanReason)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNoUser
	}
	if err != nil {
		return User{}, fmt.Errorf("scan user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0)
	u.BannedAt = timeOrZero(banned)
	return u, nil
}

// CreateUser signs a person up and records the event. The email must be
// free; the password must follow CheckPasswordRules.
func (s *Store) CreateUser(ctx context.Context, email, password string, o Origin) (User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if err := CheckPasswordRules(password); err != nil {
		return User{}, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, email, hash, tx.now)
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEmailTaken
		}
		id, _ := res.LastInsertId()
		// Sign-up is only possible after accepting the privacy policy and
		// confirming the age of 13 or more (tui/auth.go): keep the proof.
		if err := tx.recordEvent(ctx, id, SecuritySignup, o, "accepted the privacy policy; confirmed 13 or older"); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
		return err
	})
	return u, err
}

// UserByID returns a live (not deleted) account.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`, id))
}

// UserByEmail returns a live account by email (any case).
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	return scanUser(s.r.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ? AND deleted_at IS NULL`, e))
}

// SetRole grants or revokes admin. It is called only from the server host.
func (s *Store) SetRole(ctx context.Context, email string, role Role) (User, error) {
	if role != RoleUser && role != RoleAdmin {
		return User{}, fmt.Errorf("unknown role %q", role)
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, role, u.ID); err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		tx.notify(Event{UserID: u.ID, Kind: EventAccount})
		return tx.recordEvent(ctx, u.ID, SecurityRoleChanged, Origin{RemoteAddr: "server host"}, string(role))
	})
	u.Role = role
	return u, err
}

// ChangePassword replaces the password after checking the current one.
func (s *Store) ChangePassword(ctx context.Context, userID int64, current, next string, o Origin) error {
	if err := CheckPasswordRules(next); err != nil {
		return err
	}
	if err := s.checkUserPassword(ctx, userID, current); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		return tx.recordEvent(ctx, userID, SecurityPasswordChanged, o, "")
	})
}

// checkUserPassword verifies the password of a signed-in account, for
// confirming sensitive changes.
func (s *Store) checkUserPassword(ctx context.Context, userID int64, pw string) error {
	var hash sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ? AND deleted_at IS NULL`,
		userID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoUser
	}
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	ok, err := s.verifyPassword(ctx, hash.String, pw)
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	if !ok {
		return ErrCurrentPassword
	}
	return nil
}

// BannedError refuses what a banned account may not do (reserve, top up);
// it can still sign in and read its history.
type BannedError struct{ Reason string }

func (e *BannedError) Error() string {
	if e.Reason == "" {
		return "your account is suspended: contact support"
	}
	return "your account is suspended (" + e.Reason + "): contact support"
}

// UserFacing tells the person why.
func (e *BannedError) UserFacing() string { return e.Error() }

// CheckNotBanned returns a *BannedError for a banned account.
func (u User) CheckNotBanned() error {
	if u.Banned() {
		return &BannedError{Reason: u.BanReason}
	}
	return nil
}
