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

	"github.com/wantsms/wantsms/store/netaddr"
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
	// EmailVerifiedAt is when the person last proved the address theirs
	// (a code or link mailed to it); zero while it is not verified.
	EmailVerifiedAt time.Time
	// SessionEpoch changes when a password reset ends every session of
	// the account; a session's Standing.Epoch is the one it began under.
	SessionEpoch int64
}

// Verified reports whether the account's email address is verified.
func (u User) Verified() bool { return !u.EmailVerifiedAt.IsZero() }

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

const userColumns = `id, COALESCE(email, ''), role, balance_cents, debt_cents, created_at, banned_at, ban_reason,
	email_verified_at, session_epoch`

func scanUser(row scanner) (User, error) {
	var u User
	var created int64
	var banned, verified sql.NullInt64
	err := row.Scan(&u.ID, &u.Email, &u.Role, &u.BalanceCents, &u.DebtCents, &created, &banned, &u.BanReason,
		&verified, &u.SessionEpoch)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNoUser
	}
	if err != nil {
		return User{}, fmt.Errorf("scan user: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0)
	u.BannedAt, u.EmailVerifiedAt = timeOrZero(banned), timeOrZero(verified)
	return u, nil
}

// CreateUser makes an account, records the event and mails a code that
// verifies the address: the primitive under SignUp, for the host's tools
// and tests. People sign up through SignUp, which is throttled. The email
// must be free; the password must follow CheckPasswordRules.
func (s *Store) CreateUser(ctx context.Context, email, password string, o Origin) (User, error) {
	u, _, err := s.createUser(ctx, email, password, o)
	return u, err
}

// createUser also returns the new password's hash (for the standing).
func (s *Store) createUser(ctx context.Context, email, password string, o Origin) (User, string, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, "", err
	}
	if err := CheckPasswordRules(password); err != nil {
		return User{}, "", err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return User{}, "", err
	}
	v, err := s.newVerification()
	if err != nil {
		return User{}, "", err
	}
	var u User
	err = s.write(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO users (email, password_hash, created_at, policy_version)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`, email, hash, tx.now, PrivacyPolicyVersion).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrEmailTaken
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		// Sign-up is only possible after accepting the privacy policy and
		// confirming the age of 13 or more (tui/auth/signin.go): keep the proof.
		if err := tx.recordEvent(ctx, id, SecuritySignup, o, "accepted the privacy policy; confirmed 13 or older"); err != nil {
			return err
		}
		if err := tx.issueVerification(ctx, id, email, false, v); err != nil {
			return err
		}
		u, err = scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
		return err
	})
	return u, hash, err
}

// ErrSignUpExisting answers a sign-up with the email of an account and a
// password that is not that account's.
var ErrSignUpExisting error = userErr("cannot create an account with this email: if it is yours, sign in with its password")

// SignUp is the sign-up screen's way in. Every attempt counts against its
// address's sign-up budget (signupThrottleKey), checked before any
// hashing, together with the address's sign-in throttle.
//
// Until emails are verified, a new email simply becomes an account, so
// whether an email has one cannot be hidden from someone signing up with
// it: the answers can only be made to cost what a sign-in guess costs. A
// sign-up with the email of an existing account is therefore a sign-in
// attempt on that account: the right password signs the person in (someone
// who forgot they had an account finds their way in; existing is true),
// a wrong one is throttled and recorded in the owner's Sign-in activity as
// a failed attempt, exactly like a wrong password at the sign-in screen,
// and answered with ErrSignUpExisting. Both paths hash once, so they take
// the same time as creating an account.
func (s *Store) SignUp(ctx context.Context, email, password string, o Origin) (u User, st Standing, existing bool, err error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, Standing{}, false, err
	}
	if err := CheckPasswordRules(password); err != nil {
		return User{}, Standing{}, false, err
	}
	budget := signupThrottleKey(o)
	if err := s.claim(ctx, []string{budget, o.throttleKey()}, []string{budget}, 0, o, "sign-up"); err != nil {
		return User{}, Standing{}, false, err
	}
	var id int64
	var hash sql.NullString
	err = s.r.QueryRowContext(ctx, `SELECT id, password_hash FROM users WHERE email = ? AND deleted_at IS NULL`, e).
		Scan(&id, &hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		var h string
		u, h, err = s.createUser(ctx, e, password, o)
		if errors.Is(err, ErrEmailTaken) { // taken in the meantime
			err = ErrSignUpExisting
		}
		return u, Standing{UserID: u.ID, Password: passwordTag(h), Epoch: u.SessionEpoch}, false, err
	case err != nil:
		return User{}, Standing{}, false, fmt.Errorf("sign up: %w", err)
	}
	ok, err := s.throttledCheck(ctx, attempt{email: e, userID: id, hash: hash, origin: o, detail: "sign-up with this email"},
		password)
	if err != nil {
		return User{}, Standing{}, false, err
	}
	if !ok {
		return User{}, Standing{}, false, ErrSignUpExisting
	}
	if err := s.signedIn(ctx, e, id, o, "password, at the sign-up screen"); err != nil {
		return User{}, Standing{}, false, err
	}
	u, err = s.UserByID(ctx, id)
	return u, Standing{UserID: id, Password: passwordTag(hash.String), Epoch: u.SessionEpoch}, true, err
}

// signupThrottleKey is an address's sign-up budget in the throttle table:
// every attempt counts, a success too (an account made is what a flood
// would make), so an address gets throttleFree sign-ups in a row, then
// waits that double up to a minute, forgotten after throttleWindow of
// quiet.
func signupThrottleKey(o Origin) string { return "signup:" + netaddr.Group(o.RemoteAddr) }

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

// ChangePassword replaces the password after checking the current one
// (through the sign-in throttle). It returns the new password's tag: the
// session that changed it keeps its standing with it (Standing.Password),
// while every other session that signed in with the old password ends
// (CheckStanding).
func (s *Store) ChangePassword(ctx context.Context, userID int64, current, next string, o Origin) (string, error) {
	if err := CheckPasswordRules(next); err != nil {
		return "", err
	}
	if err := s.confirmPassword(ctx, userID, current, o, "to change the password"); err != nil {
		return "", err
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return "", err
	}
	err = s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID); err != nil {
			return fmt.Errorf("change password: %w", err)
		}
		// Sessions signed in with the old password check their standing.
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		if err := tx.recordEvent(ctx, userID, SecurityPasswordChanged, o, ""); err != nil {
			return err
		}
		keys, err := tx.keyList(ctx, userID)
		if err != nil {
			return err
		}
		return tx.queueAccountMail(ctx, userID, MailPasswordChanged,
			map[string]string{ParamHow: "dashboard", ParamKeys: keys, ParamFrom: o.RemoteAddr})
	})
	if err != nil {
		return "", err
	}
	return passwordTag(hash), nil
}

// confirmPassword verifies the password of a signed-in account before a
// sensitive change (what says why, in the account's security events). It
// goes through the sign-in throttle like a sign-in: whoever holds a
// session cannot guess the password faster than a stranger, and every
// wrong guess shows in the owner's Sign-in activity.
func (s *Store) confirmPassword(ctx context.Context, userID int64, pw string, o Origin, what string) error {
	var email, hash sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT email, password_hash FROM users WHERE id = ? AND deleted_at IS NULL`,
		userID).Scan(&email, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoUser
	}
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	a := attempt{email: email.String, userID: userID, hash: hash, origin: o, detail: what}
	ok, err := s.throttledCheck(ctx, a, pw)
	if err != nil {
		return err
	}
	if !ok {
		return ErrCurrentPassword
	}
	return s.write(ctx, func(tx *Tx) error { return tx.clearThrottle(ctx, a) })
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
