package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wantsms/wantsms/store/netaddr"
)

// Password reset: for a person who forgot the password and has no linked
// key at hand. RequestPasswordReset mails a code to the account's address;
// ResetPassword takes the code and a new password, signs the person in
// and ends every other session of the account. Linked keys stay linked:
// the mail and the Sign-in activity name them, so a key the person does
// not know is seen and removed.
//
// Nobody learns from it whether an address has an account: a request gets
// the same answer (nil) either way, and a wrong code for an unknown
// address fails like a wrong one for a known address. The work differs (a
// code stored and mailed, or not), so both answer no sooner than
// resetAnswerTime after they were asked.

// resetAnswerTime is the least time a reset request or a refused reset
// takes: the mailing path costs a millisecond or so more than the other,
// which enough tries could measure; a fixed answer time hides it. A
// person waits a quarter of a second once.
const resetAnswerTime = 250 * time.Millisecond

// answerAt waits until start plus resetAnswerTime (or ctx's end).
func answerAt(ctx context.Context, start time.Time) {
	t := time.NewTimer(time.Until(start.Add(resetAnswerTime)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Errors of a reset.
var ErrBadResetCode error = userErr("wrong or expired code: check the email address and the code, " +
	"or ask for a new code")

// Security events of a reset (every step is in Sign-in activity; a wrong
// code is a failed sign-in, a refused request a throttled one).
const (
	SecurityResetRequested SecurityKind = "password_reset_requested"
	SecurityPasswordReset  SecurityKind = "password_reset" // a code and a new password: signed in
)

// How often reset mails may go to one account: five requests in a row
// from an address, or for an email, go at once (the sign-in throttle's
// free tries, then a wait that doubles), but one account gets at most
// resetMailsPerHour codes an hour; more requests are answered the same and
// mail nothing.
const resetMailsPerHour = 3

// resetThrottleKeys are a reset request's budgets in the throttle table,
// by typed email (whether or not an account has it) and by address.
func resetThrottleKeys(email string, o Origin) []string {
	return []string{"reset:email:" + email, "reset:addr:" + netaddr.Group(o.RemoteAddr)}
}

// RequestPasswordReset mails a reset code to email's account, if there is
// one. The answer is the same whether there is: nil, or ErrBadEmail for
// what is not an address, or *ThrottledError while the typed email or the
// asking address waits (budgets that exist for any email typed).
func (s *Store) RequestPasswordReset(ctx context.Context, email string, o Origin) error {
	e, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	code, err := newCode() // drawn for every request: the same work
	if err != nil {
		return err
	}
	defer answerAt(ctx, time.Now())
	keys := resetThrottleKeys(e, o)
	var wait time.Duration
	err = s.write(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ? AND deleted_at IS NULL`, e).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find account: %w", err)
		}
		if wait, err = throttleWait(ctx, tx, time.Unix(tx.now, 0), keys); err != nil {
			return err
		}
		if wait > 0 {
			return tx.recordEvent(ctx, id, SecuritySigninThrottled, o, "password reset request")
		}
		if err := tx.countFailure(ctx, keys); err != nil {
			return err
		}
		if id == 0 {
			return tx.recordEvent(ctx, 0, SecurityResetRequested, o, "")
		}
		return tx.mailResetCode(ctx, id, e, code, o)
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		s.counters.signinThrottled.Add(1)
		return &ThrottledError{Wait: wait}
	}
	return nil
}

// mailResetCode stores a reset code for the account and mails it, unless
// the account had its hourly share of codes; either way it is recorded.
func (tx *Tx) mailResetCode(ctx context.Context, userID int64, email, code string, o Origin) error {
	var recent int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE user_id = ? AND kind = ? AND created_at > ?`,
		userID, MailPasswordReset, tx.now-3600).Scan(&recent); err != nil {
		return fmt.Errorf("count reset mails: %w", err)
	}
	keys, err := tx.keyList(ctx, userID)
	if err != nil {
		return err
	}
	if recent >= resetMailsPerHour {
		return tx.recordEvent(ctx, userID, SecurityResetRequested, o,
			fmt.Sprintf("no code mailed: %d went in the last hour", recent))
	}
	expires, err := tx.issueCode(ctx, userID, purposeReset, email, code, "", ResetCodeTTL)
	if err != nil {
		return err
	}
	if err := tx.dropQueued(ctx, userID, MailPasswordReset, "a newer code replaced it"); err != nil {
		return err
	}
	if err := tx.queueMail(ctx, outMail{userID: userID, kind: MailPasswordReset, to: email, expires: expires,
		params: map[string]string{ParamCode: code, ParamKeys: keys, ParamFrom: o.RemoteAddr}}); err != nil {
		return err
	}
	return tx.recordEvent(ctx, userID, SecurityResetRequested, o, "code mailed to "+email+"; "+keysSentence(keys))
}

// ResetPassword takes a mailed reset code and a new password: the password
// is replaced, every other session of the account ends (CheckStanding), the
// address counts as verified (the code came through it), and the person is
// signed in with the returned standing. The code works once. Tries go
// through the sign-in throttle of the email and the address, and a code
// dies after maxCodeFailures wrong ones; a wrong code and an unknown email
// both give ErrBadResetCode.
func (s *Store) ResetPassword(ctx context.Context, email, code, newPassword string, o Origin) (User, Standing, error) {
	e, err := NormalizeEmail(email)
	if err != nil {
		return User{}, Standing{}, err
	}
	if err := CheckPasswordRules(newPassword); err != nil {
		return User{}, Standing{}, err
	}
	start := time.Now()
	var id int64
	err = s.r.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ? AND deleted_at IS NULL`, e).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, Standing{}, fmt.Errorf("find account: %w", err)
	}
	a := attempt{email: e, userID: id, origin: o, detail: "password reset code"}
	if err := s.claimAttempt(ctx, a); err != nil {
		return User{}, Standing{}, err
	}
	c, err := s.resetCode(ctx, id)
	if err != nil {
		return User{}, Standing{}, err
	}
	if !c.matches(purposeReset, id, code) || c.email != e {
		defer answerAt(ctx, start)
		return User{}, Standing{}, s.resetRefused(ctx, a, c)
	}
	hash, err := s.hashPassword(ctx, newPassword)
	if err != nil {
		return User{}, Standing{}, err
	}
	var st Standing
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.useCode(ctx, c); err != nil { // used by a try at the same moment
			return ErrBadResetCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, session_epoch = session_epoch + 1,
			email_verified_at = CASE WHEN email = ? THEN COALESCE(email_verified_at, ?) ELSE email_verified_at END
			WHERE id = ? AND deleted_at IS NULL`, hash, c.email, tx.now, id); err != nil {
			return fmt.Errorf("reset password: %w", err)
		}
		if err := tx.clearThrottle(ctx, a); err != nil {
			return err
		}
		keys, err := tx.keyList(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.recordEvent(ctx, id, SecurityPasswordReset, o, "every other session ended; "+keysSentence(keys)); err != nil {
			return err
		}
		if err := tx.recordEvent(ctx, id, SecuritySignin, o, "password, after a reset"); err != nil {
			return err
		}
		if err := tx.queueAccountMail(ctx, id, MailPasswordChanged,
			map[string]string{ParamHow: "reset", ParamKeys: keys, ParamFrom: o.RemoteAddr}); err != nil {
			return err
		}
		// Every session of the account checks its standing and ends.
		tx.notify(Event{UserID: id, Kind: EventAccount})
		return tx.QueryRowContext(ctx, `SELECT session_epoch FROM users WHERE id = ?`, id).Scan(&st.Epoch)
	})
	if err != nil {
		return User{}, Standing{}, err
	}
	s.counters.signinPassword.Add(1)
	u, err := s.UserByID(ctx, id)
	st.UserID, st.Password = id, passwordTag(hash)
	return u, st, err
}

// resetCode reads the account's live reset code; none (or no account)
// gives a code that matches nothing.
func (s *Store) resetCode(ctx context.Context, userID int64) (emailCode, error) {
	c, err := scanCode(s.r.QueryRowContext(ctx, `SELECT id, user_id, purpose, email, code_hash, failures
		FROM email_codes WHERE user_id = ? AND purpose = ? AND expires_at > ?`, userID, purposeReset, s.unixNow()))
	if errors.Is(err, errNoCode) {
		return emailCode{}, nil
	}
	return c, err
}

// resetRefused records a wrong reset code: a failed sign-in on the
// account (or on no account), and one try less for the code.
func (s *Store) resetRefused(ctx context.Context, a attempt, c emailCode) error {
	err := s.write(ctx, func(tx *Tx) error {
		if c.id != 0 {
			if err := tx.codeFailed(ctx, c); err != nil {
				return err
			}
		}
		return tx.recordEvent(ctx, a.userID, SecuritySigninFailed, a.origin, a.detail)
	})
	if err != nil {
		return err
	}
	s.counters.signinFailed.Add(1)
	return ErrBadResetCode
}

// keyList lists the account's linked keys for a mail, one
// "name fingerprint" a line, oldest first.
func (tx *Tx) keyList(ctx context.Context, userID int64) (string, error) {
	keys, err := collect(ctx, tx, scanKey, `SELECT `+keyColumns+` FROM ssh_keys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return "", fmt.Errorf("list keys: %w", err)
	}
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		lines = append(lines, k.Name+" "+k.Fingerprint)
	}
	return strings.Join(lines, "\n"), nil
}

// keysSentence says which keys are linked, for Sign-in activity.
func keysSentence(keys string) string {
	if keys == "" {
		return "SSH keys linked: none"
	}
	return "SSH keys linked: " + strings.ReplaceAll(keys, "\n", ", ")
}
