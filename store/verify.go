package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Verified addresses. Sign-up mails a code and a link to the address;
// typing the code in the dashboard (VerifyEmail) or opening the link
// (VerifyEmailLink) proves it is the person's. Until then the account can
// spend the credits it has but top up only a little (NewOrder) and cannot
// be made an admin (GrantAdmin). An email change mails a code, and no
// link, to the new address and takes effect only when that code is typed
// in a signed-in session; the old address is then told. A link would let
// whoever reads a mistyped address take the account: one click moves the
// account to their mailbox, a password reset does the rest.

// Errors of verification.
var (
	ErrBadCode error = userErr("wrong or expired code: check it, or ask for a new one")
	// ErrBadLink answers a verification link that is unknown, used or
	// expired: the same words for all three.
	ErrBadLink         error = userErr("this link is not valid any more: it was used, or it expired")
	ErrAlreadyVerified error = userErr("your email address is already verified")
	ErrSameEmail       error = userErr("this is already your email address")
	ErrUnverifiedAdmin error = errors.New("the account's email address is not verified, and admin powers go only " +
		"to a verified address: the person verifies it with the code or link mailed at sign-up (a new one from " +
		"the dashboard), or you vouch for it with `wantsms admin verify EMAIL`")
)

// How often verification mails may go to one account (mailBudget): a new
// code a minute after the last, five an hour.
const (
	verifyMailGap     = time.Minute
	verifyMailPerHour = 5
)

// Security events of verification.
const (
	SecurityEmailVerified    SecurityKind = "email_verified"         // a code or link proved the address
	SecurityEmailChangeAsked SecurityKind = "email_change_requested" // a change waits for the new address's code
)

// verification is a fresh code and link token, drawn before the
// transaction that mails them.
type verification struct{ code, token string }

func (s *Store) newVerification() (verification, error) {
	code, err := newCode()
	if err != nil {
		return verification{}, err
	}
	tok, err := newToken()
	return verification{code: code, token: tok}, err
}

// issueVerification stores v for email (the account's, or the new one of
// a change) and mails it; an earlier code and its mail, if still queued,
// give way. The new address of a change gets the code only (see the top
// of this file).
func (tx *Tx) issueVerification(ctx context.Context, userID int64, email string, change bool, v verification) error {
	if change {
		v.token = ""
	}
	expires, err := tx.issueCode(ctx, userID, purposeVerify, email, v.code, v.token, VerifyCodeTTL)
	if err != nil {
		return err
	}
	if err := tx.dropQueued(ctx, userID, MailVerify, "a newer code replaced it"); err != nil {
		return err
	}
	p := map[string]string{ParamCode: v.code}
	if change {
		p[ParamChange] = "1"
	} else {
		p[ParamLink] = v.token
	}
	return tx.queueMail(ctx, outMail{userID: userID, kind: MailVerify, to: email, params: p, expires: expires})
}

// EmailState is what the dashboard shows about the account's address.
type EmailState struct {
	Email      string
	VerifiedAt time.Time // zero while not verified
	// Pending is a new address waiting for its code (an email change);
	// "" when none.
	Pending string
	// CodeUntil is when the live verification code (for Pending, or for
	// Email while not verified) expires; zero when there is none: a new
	// one is asked for with ResendVerification.
	CodeUntil time.Time
}

// Verified reports whether the account's address is verified.
func (e EmailState) Verified() bool { return !e.VerifiedAt.IsZero() }

// EmailState reads the account's address and what waits for verification.
func (s *Store) EmailState(ctx context.Context, userID int64) (EmailState, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return EmailState{}, err
	}
	st := EmailState{Email: u.Email, VerifiedAt: u.EmailVerifiedAt}
	var email string
	var until int64
	err = s.r.QueryRowContext(ctx, `SELECT email, expires_at FROM email_codes WHERE user_id = ? AND purpose = ?
		AND expires_at > ?`, userID, purposeVerify, s.unixNow()).Scan(&email, &until)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return st, nil
	case err != nil:
		return EmailState{}, fmt.Errorf("verification of account %d: %w", userID, err)
	}
	st.CodeUntil = time.Unix(until, 0)
	if email != u.Email {
		st.Pending = email
	}
	return st, nil
}

// VerifyEmail takes the code the signed-in person typed: it verifies the
// account's address, or, for a pending change, makes the new address the
// account's. A wrong code counts against it (ErrBadCode).
func (s *Store) VerifyEmail(ctx context.Context, userID int64, code string, o Origin) (User, error) {
	var refused error
	err := s.write(ctx, func(tx *Tx) error {
		refused = nil
		c, err := tx.liveCode(ctx, userID, purposeVerify)
		if errors.Is(err, errNoCode) {
			refused = ErrBadCode
			return nil
		}
		if err != nil {
			return err
		}
		if !c.matches(purposeVerify, userID, code) {
			refused = ErrBadCode
			return tx.codeFailed(ctx, c) // kept: the next try must see it
		}
		return tx.applyVerification(ctx, c, o)
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, userID)
}

// VerifyEmailLink takes a verification link's token, opened by whoever
// holds the mail (no sign-in), and returns the address it verified. It
// only ever verifies the account's own address: a link never moves an
// account to another address, even one stored with a link by an older
// release. Unknown, used and expired tokens get the same ErrBadLink.
func (s *Store) VerifyEmailLink(ctx context.Context, token string, o Origin) (string, error) {
	var email string
	err := s.write(ctx, func(tx *Tx) error {
		c, err := scanCode(tx.QueryRowContext(ctx, `SELECT c.id, c.user_id, c.purpose, c.email, c.code_hash,
			c.failures FROM email_codes c JOIN users u ON u.id = c.user_id AND u.email = c.email
			WHERE c.link_hash = ? AND c.purpose = ? AND c.expires_at > ?`,
			tokenHash(token), purposeVerify, tx.now))
		if errors.Is(err, errNoCode) {
			return ErrBadLink
		}
		if err != nil {
			return err
		}
		email = c.email
		return tx.applyVerification(ctx, c, o)
	})
	return email, err
}

// applyVerification uses a verification code that matched.
func (tx *Tx) applyVerification(ctx context.Context, c emailCode, o Origin) error {
	var old string
	if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ? AND deleted_at IS NULL`, c.userID).
		Scan(&old); err != nil {
		return fmt.Errorf("read email: %w", noRows(err, ErrNoUser))
	}
	if err := tx.useCode(ctx, c); err != nil {
		return err
	}
	tx.notify(Event{UserID: c.userID, Kind: EventAccount})
	if c.email == old {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = ? WHERE id = ?`, tx.now, c.userID); err != nil {
			return fmt.Errorf("verify email: %w", err)
		}
		return tx.recordEvent(ctx, c.userID, SecurityEmailVerified, o, c.email)
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, email_verified_at = ? WHERE id = ?
		AND NOT EXISTS (SELECT 1 FROM users WHERE email = ? AND id <> ?)`, c.email, tx.now, c.userID, c.email, c.userID)
	if err != nil {
		return fmt.Errorf("change email: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrEmailTaken // taken by a sign-up since the change was asked for
	}
	// The old address is kept in the event: it is how a person proves
	// an unwanted change to support. Kept, like every event, 180 days.
	if err := tx.recordEvent(ctx, c.userID, SecurityEmailChanged, o, old+" → "+c.email); err != nil {
		return err
	}
	return tx.queueMail(ctx, outMail{userID: c.userID, kind: MailEmailChanged, to: old,
		params: map[string]string{ParamOld: old, ParamNew: c.email, ParamFrom: o.RemoteAddr}})
}

// ResendVerification mails a new code for what waits for verification:
// the new address of a pending change, else the account's own address
// while it is not verified (ErrAlreadyVerified otherwise). It returns the
// address the code went to. Throttled per account (*ThrottledError).
func (s *Store) ResendVerification(ctx context.Context, userID int64, o Origin) (string, error) {
	v, err := s.newVerification()
	if err != nil {
		return "", err
	}
	var to string
	err = s.write(ctx, func(tx *Tx) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`,
			userID))
		if err != nil {
			return err
		}
		to = u.Email
		if c, err := tx.liveCode(ctx, userID, purposeVerify); err == nil && c.email != u.Email {
			to = c.email
		} else if err != nil && !errors.Is(err, errNoCode) {
			return err
		}
		if to == u.Email && u.Verified() {
			return ErrAlreadyVerified
		}
		if err := tx.mailBudget(ctx, userID, MailVerify, to, verifyMailGap, verifyMailPerHour); err != nil {
			return err
		}
		return tx.issueVerification(ctx, userID, to, to != u.Email, v)
	})
	return to, err
}

// ChangeEmail asks, after checking the password (through the sign-in
// throttle), to move the account to a new address: a code goes to it, and
// the change takes effect once it is typed in a signed-in session
// (VerifyEmail; the old address is told then). Until then the account keeps its address; a
// second change replaces the first. It returns the account as it is.
func (s *Store) ChangeEmail(ctx context.Context, userID int64, password, newEmail string, o Origin) (User, error) {
	e, err := NormalizeEmail(newEmail)
	if err != nil {
		return User{}, err
	}
	if err := s.confirmPassword(ctx, userID, password, o, "to change the email"); err != nil {
		return User{}, err
	}
	v, err := s.newVerification()
	if err != nil {
		return User{}, err
	}
	err = s.write(ctx, func(tx *Tx) error {
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ? AND deleted_at IS NULL`, userID).
			Scan(&old); err != nil {
			return fmt.Errorf("read email: %w", noRows(err, ErrNoUser))
		}
		if e == old {
			return ErrSameEmail
		}
		var taken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE email = ? AND id <> ?)`,
			e, userID).Scan(&taken); err != nil {
			return fmt.Errorf("find email: %w", err)
		}
		if taken {
			return ErrEmailTaken
		}
		if err := tx.mailBudget(ctx, userID, MailVerify, e, verifyMailGap, verifyMailPerHour); err != nil {
			return err
		}
		if err := tx.issueVerification(ctx, userID, e, true, v); err != nil {
			return err
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, SecurityEmailChangeAsked, o,
			old+" → "+e+" (once the new address is verified)")
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, userID)
}

// MarkEmailVerified verifies an account's address on the server host's
// word (`wantsms admin verify EMAIL`), for an operator who knows the
// person controls it; by names the operating-system account. A code that
// was waiting for the same address is dropped with its mail.
func (s *Store) MarkEmailVerified(ctx context.Context, email, by string) (User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	if u.Verified() {
		return u, ErrAlreadyVerified
	}
	err = s.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET email_verified_at = ? WHERE id = ? AND email = ?
			AND email_verified_at IS NULL`, tx.now, u.ID, u.Email)
		if err != nil {
			return fmt.Errorf("verify email: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrAlreadyVerified // or the address changed meanwhile: look again
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_codes WHERE user_id = ? AND purpose = ? AND email = ?`,
			u.ID, purposeVerify, u.Email); err != nil {
			return fmt.Errorf("drop verification code: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'dropped', params = '', last_error = ?,
			done_at = ? WHERE user_id = ? AND kind = ? AND to_addr = ? AND status = 'queued'`,
			"verified on the server host", tx.now, u.ID, MailVerify, u.Email); err != nil {
			return fmt.Errorf("drop verification mail: %w", err)
		}
		tx.notify(Event{UserID: u.ID, Kind: EventAccount})
		return tx.recordEvent(ctx, u.ID, SecurityEmailVerified, HostOrigin(by), u.Email+" (vouched for on the server host)")
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, u.ID)
}
