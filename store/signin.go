package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Sign-in throttling. A person who mistypes gets throttleFree attempts;
// after that each failure doubles the wait, capped so that the owner of an
// account under attack gets in within a minute of the attack stopping.
// Attempts refused by the throttle do not extend it, so an attacker cannot
// keep an account locked forever. Failures are forgotten after
// throttleWindow of quiet.
const (
	throttleFree     = 5
	throttleMaxDelay = 60 * time.Second
	throttleWindow   = 15 * time.Minute
)

// ThrottledError refuses a sign-in (or sign-up) attempt until Wait has
// passed.
type ThrottledError struct{ Wait time.Duration }

// UserFacing makes the wait visible to the person signing in.
func (e *ThrottledError) UserFacing() string { return e.Error() }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many attempts: try again in %d s", int(e.Wait.Round(time.Second)/time.Second))
}

func throttleDelay(failures int) time.Duration {
	if failures < throttleFree {
		return 0
	}
	shift := failures - throttleFree
	if shift > 6 {
		return throttleMaxDelay
	}
	return min(time.Second<<shift, throttleMaxDelay)
}

// SignIn checks an email and password. Wrong email and wrong password give
// the same error after the same work; throttled attempts are refused before
// any hashing. Every outcome is recorded as a security event.
func (s *Store) SignIn(ctx context.Context, email, password string, o Origin) (User, error) {
	u, _, err := s.SignInWithPassword(ctx, email, password, o)
	return u, err
}

// SignInWithPassword is SignIn for a session that stays open: it also
// returns the session's standing, which ends it once the password changes
// (CheckStanding).
func (s *Store) SignInWithPassword(ctx context.Context, email, password string, o Origin) (User, Standing, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, Standing{}, err
	}
	var id int64
	var hash sql.NullString
	err = s.r.QueryRowContext(ctx, `SELECT id, password_hash FROM users WHERE email = ? AND deleted_at IS NULL`, e).
		Scan(&id, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, Standing{}, fmt.Errorf("sign in: %w", err)
	}
	ok, err := s.throttledCheck(ctx, attempt{email: e, userID: id, hash: hash, origin: o}, password)
	if err != nil {
		return User{}, Standing{}, err
	}
	if !ok {
		return User{}, Standing{}, ErrWrongPassword
	}
	if err := s.signedIn(ctx, e, id, o, "password"); err != nil {
		return User{}, Standing{}, err
	}
	u, err := s.UserByID(ctx, id)
	return u, Standing{UserID: id, Password: passwordTag(hash.String), Epoch: u.SessionEpoch}, err
}

// signedIn records a password sign-in that succeeded and takes back what
// its attempt counted against the throttle.
func (s *Store) signedIn(ctx context.Context, email string, id int64, o Origin, detail string) error {
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.clearThrottle(ctx, attempt{email: email, origin: o}); err != nil {
			return err
		}
		return tx.recordEvent(ctx, id, SecuritySignin, o, detail)
	})
	if err == nil {
		s.counters.signinPassword.Add(1)
	}
	return err
}

// attempt is one password check that goes through the sign-in throttle:
// a sign-in, a sign-up with an email that has an account, or a signed-in
// person confirming a change with their password.
type attempt struct {
	email  string         // normalised; the throttle's per-account key
	userID int64          // the account the email names, 0 for none
	hash   sql.NullString // its password hash (NULL: none, the dummy is checked)
	origin Origin
	// detail says, in the account's security events, what the password
	// was for: "" for a sign-in.
	detail string
}

func (a attempt) keys() []string { return []string{"email:" + a.email, a.origin.throttleKey()} }

// throttledCheck verifies a password through the throttle of the email and
// of the address: refused (*ThrottledError) before any hashing while
// either waits, counted as a failure before the hash is even looked at,
// and recorded on the account when wrong. The caller takes the count back
// on success (clearThrottle). An unknown email costs the same work as a
// wrong password.
func (s *Store) throttledCheck(ctx context.Context, a attempt, password string) (bool, error) {
	if err := s.claimAttempt(ctx, a); err != nil {
		return false, err
	}
	hash := a.hash.String
	if !a.hash.Valid {
		hash = s.dummyHash(ctx)
	}
	ok, err := s.verifyPassword(ctx, hash, password)
	if err != nil {
		return false, fmt.Errorf("check password: %w", err)
	}
	if ok && a.userID != 0 {
		return true, nil
	}
	if err := s.RecordSecurityEvent(ctx, a.userID, SecuritySigninFailed, a.origin, a.detail); err != nil {
		return false, err
	}
	s.counters.signinFailed.Add(1)
	return false, nil
}

// clearThrottle forgets the account's failures and takes back the count
// the attempt put on its address up front.
func (tx *Tx) clearThrottle(ctx context.Context, a attempt) error {
	keys := a.keys()
	if _, err := tx.ExecContext(ctx, `DELETE FROM signin_throttle WHERE key = ?`, keys[0]); err != nil {
		return fmt.Errorf("reset throttle: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE signin_throttle SET failures = failures - 1
		WHERE key = ? AND failures > 0`, keys[1]); err != nil {
		return fmt.Errorf("uncount attempt: %w", err)
	}
	return nil
}

// claimAttempt lets a password check through the throttle or refuses it
// (*ThrottledError, recorded). The check and counting the attempt as a
// failure, before its password is even looked at, are one transaction:
// guesses sent at the same moment over many connections see each other,
// so only one gets through each time the delay lifts (checked apart,
// every guess in flight got through together). A success takes the count
// back.
func (s *Store) claimAttempt(ctx context.Context, a attempt) error {
	return s.claim(ctx, a.keys(), a.keys(), a.userID, a.origin, a.detail)
}

// claim refuses, recorded as a throttled attempt on userID, while any of
// check waits; otherwise it counts the attempt against every key of count.
func (s *Store) claim(ctx context.Context, check, count []string, userID int64, o Origin, detail string) error {
	var wait time.Duration
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if wait, err = throttleWait(ctx, tx, s.now(), check); err != nil {
			return err
		}
		if wait > 0 {
			return tx.recordEvent(ctx, userID, SecuritySigninThrottled, o, detail)
		}
		return tx.countFailure(ctx, count)
	})
	switch {
	case err != nil:
		return err
	case wait > 0:
		s.counters.signinThrottled.Add(1)
		return &ThrottledError{Wait: wait}
	}
	return nil
}

// throttleWait is how long the caller must still wait before trying again.
func throttleWait(ctx context.Context, tx *Tx, now time.Time, keys []string) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		var failures int
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT failures, last_at FROM signin_throttle WHERE key = ?`, k).
			Scan(&failures, &last)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read throttle: %w", err)
		}
		lastAt := time.Unix(last, 0)
		if now.Sub(lastAt) > throttleWindow {
			continue
		}
		if w := lastAt.Add(throttleDelay(failures)).Sub(now); w > wait {
			wait = w
		}
	}
	return wait, nil
}

func (tx *Tx) countFailure(ctx context.Context, keys []string) error {
	stale := tx.now - int64(throttleWindow/time.Second)
	for _, k := range keys {
		_, err := tx.ExecContext(ctx, `INSERT INTO signin_throttle (key, failures, last_at) VALUES (?, 1, ?)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN signin_throttle.last_at < ? THEN 1 ELSE signin_throttle.failures + 1 END,
				last_at = excluded.last_at`, k, tx.now, stale)
		if err != nil {
			return fmt.Errorf("count failed sign-in: %w", err)
		}
	}
	return nil
}

// dummyHash is verified against when the email is unknown, so that a wrong
// email costs the same time as a wrong password.
func (s *Store) dummyHash(ctx context.Context) string {
	dummyOnce.Do(func() {
		pw := make([]byte, 16)
		_, _ = rand.Read(pw)
		dummy, _ = s.hashPassword(ctx, string(pw))
	})
	return dummy
}

var (
	dummyOnce sync.Once
	dummy     string
)

// SignInWithKey resolves the account that owns a proven public key,
// records the sign-in and the key's use. ErrNoUser when no account has it.
func (s *Store) SignInWithKey(ctx context.Context, fingerprint string, o Origin) (User, error) {
	return s.signInWithKey(ctx, fingerprint, o, false)
}

// commandSigninEvery is how often a command's key sign-in from one address
// is recorded: a script polling every second must not bury a person's
// sign-in activity (and the database) under identical rows.
const commandSigninEvery = time.Hour

// UseKey resolves a proven key's account for one command. Like
// SignInWithKey, but the sign-in event is recorded only once an hour per
// key and address; a new address is always recorded.
func (s *Store) UseKey(ctx context.Context, fingerprint string, o Origin) (User, error) {
	return s.signInWithKey(ctx, fingerprint, o, true)
}

func (s *Store) signInWithKey(ctx context.Context, fingerprint string, o Origin, quiet bool) (User, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT k.user_id FROM ssh_keys k JOIN users u ON u.id = k.user_id
		WHERE k.fingerprint = ? AND u.deleted_at IS NULL`, fingerprint).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNoUser
	}
	if err != nil {
		return User{}, fmt.Errorf("find key owner: %w", err)
	}
	err = s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ssh_keys SET last_used_at = ? WHERE fingerprint = ?`,
			tx.now, fingerprint); err != nil {
			return fmt.Errorf("touch key: %w", err)
		}
		if quiet {
			var recent int
			err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM security_events WHERE user_id = ? AND kind = ?
				AND detail = ? AND (remote_addr = ? OR remote_addr LIKE ? ESCAPE '\') AND created_at > ?`,
				id, SecuritySignin, "key "+fingerprint, o.host(), likePrefix(o.host())+":%",
				tx.now-int64(commandSigninEvery/time.Second)).Scan(&recent)
			if err != nil {
				return fmt.Errorf("recent sign-ins: %w", err)
			}
			if recent > 0 {
				return nil
			}
		}
		return tx.recordEvent(ctx, id, SecuritySignin, o, "key "+fingerprint)
	})
	if err != nil {
		return User{}, err
	}
	if quiet {
		s.counters.signinCommand.Add(1)
	} else {
		s.counters.signinKey.Add(1)
	}
	return s.UserByID(ctx, id)
}

// likePrefix escapes LIKE's wildcards in s.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
