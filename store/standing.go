package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// Standing is what an open session's identity rests on, fixed when it
// signed in: the key that identified it, or the password it proved, and
// whether it holds admin powers. Sessions check it again whenever their
// account changes (CheckStanding), so that changing the password, removing
// a key or revoking an admin ends the sessions that relied on it at once,
// whichever process they run in.
type Standing struct {
	UserID int64
	// Key is the fingerprint of the linked key that identified the
	// session; "" after a password sign-in.
	Key string
	// Password is the tag of the password a password sign-in proved (see
	// passwordTag); "" when a key identified the session.
	Password string
	// Admin is set when the session's key is enrolled for admin use on an
	// admin account (CheckActor passed when it started).
	Admin bool
	// Epoch is the account's session epoch when the session began
	// (User.SessionEpoch): a password reset moves it on, which ends every
	// session begun before. 0 leaves it unchecked.
	Epoch int64
}

// Lapse says which part of a session's standing no longer holds.
type Lapse int

// The ways a standing lapses, in the order CheckStanding looks.
const (
	StandingHolds        Lapse = iota
	LapseAccountGone           // the account was deleted
	LapseKeyRemoved            // the key that identified the session was unlinked
	LapsePasswordChanged       // the password a session signed in with was changed
	LapseAdminEnded            // the admin role or the admin key's enrolment went
	LapseSessionsEnded         // a password reset ended every session of the account
)

// CheckStanding reports whether what the session relied on when it signed
// in still holds.
func (s *Store) CheckStanding(ctx context.Context, st Standing) (Lapse, error) {
	var hash sql.NullString
	var epoch int64
	err := s.r.QueryRowContext(ctx, `SELECT password_hash, session_epoch FROM users WHERE id = ? AND deleted_at IS NULL`,
		st.UserID).Scan(&hash, &epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return LapseAccountGone, nil
	}
	if err != nil {
		return StandingHolds, fmt.Errorf("check standing: %w", err)
	}
	if st.Key != "" {
		var linked bool
		if err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ssh_keys WHERE user_id = ? AND fingerprint = ?)`,
			st.UserID, st.Key).Scan(&linked); err != nil {
			return StandingHolds, fmt.Errorf("check standing key: %w", err)
		}
		if !linked {
			return LapseKeyRemoved, nil
		}
	}
	if st.Password != "" && passwordTag(hash.String) != st.Password {
		return LapsePasswordChanged, nil
	}
	if st.Epoch != 0 && st.Epoch != epoch {
		return LapseSessionsEnded, nil
	}
	if st.Admin {
		err := checkActor(ctx, s.r, Actor{UserID: st.UserID, Key: st.Key})
		switch {
		case errors.Is(err, ErrNotAdmin), errors.Is(err, ErrNotAdminKey):
			return LapseAdminEnded, nil
		case err != nil:
			return StandingHolds, err
		}
	}
	return StandingHolds, nil
}

// passwordTag names a password hash without revealing it: any change of
// the password (to the same password too: the salt is new) changes it.
func passwordTag(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8])
}
