package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// API keys. A person's own programs reach the HTTP API (the
// SMS-Activate-compatible endpoint, the JSON API) with a key made in the
// dashboard or with `api-key create`. A key is 32 letters and digits
// drawn from crypto/rand (about 190 bits), shown once when it is made:
// only its SHA-256 is stored, which is enough for a secret this long (no
// guessing can reach it, so no slow hash is needed). A revoked key fails
// at once, in every request that follows; its row stays, without use, so
// the person's list still says when it was used, until
// APIKeyRevokedRetention after the revocation. Live keys go with the
// account.
//
// Making and revoking a key are account-security events: each is a row
// of Sign-in activity and a security mail, as linking an SSH key is.

// Limits on API keys.
const (
	// MaxAPIKeysPerUser bounds the live keys of an account: one per
	// program or machine, a screen's worth.
	MaxAPIKeysPerUser = 20
	// APIKeyLen is the length of a key: 32 characters of [A-Za-z0-9],
	// the length SMS-Activate's own keys have, so clients that check a
	// key's form accept ours.
	APIKeyLen = 32
	// APIKeyRevokedRetention is how long a revoked key's row (name and
	// dates; the hash can match nothing any more) is kept after the
	// revocation: as long as the sign-in records that tell of it.
	APIKeyRevokedRetention = SecurityEventRetention
	// apiKeyTouchEvery is how precisely "last used" is kept: a key in
	// steady use writes it at most this often, not on every request.
	apiKeyTouchEvery = time.Minute
)

// Errors about API keys.
var (
	ErrNoAPIKey        error = userErr("no such API key")
	ErrAPIKeyNameTaken error = userErr("an API key of this name exists: choose another name, or revoke it first")
	ErrTooManyAPIKeys  error = userErr(fmt.Sprintf("an account can hold at most %d API keys: revoke one first",
		MaxAPIKeysPerUser))
	// ErrAPIKeyInvalid answers a request whose key is unknown, revoked or
	// of a deleted account: which of them is never told.
	ErrAPIKeyInvalid = errors.New("invalid API key")
)

// APIKey is one API key of an account, as its owner sees it: never the
// key itself.
type APIKey struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while live
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// apiKeyAlphabet is what keys are written with: letters and digits only,
// safe in a URL, a header, a shell and a config file.
const apiKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newAPIKey draws a key from crypto/rand, without bias (a byte beyond
// the last whole multiple of the alphabet is drawn again).
func newAPIKey() (string, error) {
	const limit = 256 - 256%len(apiKeyAlphabet)
	var out [APIKeyLen]byte
	buf := make([]byte, 64)
	n := 0
	for n < APIKeyLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("draw API key: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && n < APIKeyLen {
				out[n] = apiKeyAlphabet[int(b)%len(apiKeyAlphabet)]
				n++
			}
		}
	}
	return string(out[:]), nil
}

// apiKeyHash is what is stored of a key.
func apiKeyHash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

// CreateAPIKey makes a new key for the account and returns it with the
// key itself, which is never shown again. For a session identified by a
// linked SSH key (`api-key create`); the dashboard asks the password
// first (CreateAPIKeyConfirmed).
func (s *Store) CreateAPIKey(ctx context.Context, userID int64, name string, o Origin) (APIKey, string, error) {
	nm, err := CleanKeyName(name)
	if err != nil {
		return APIKey{}, "", err
	}
	key, err := newAPIKey()
	if err != nil {
		return APIKey{}, "", err
	}
	var out APIKey
	err = s.write(ctx, func(tx *Tx) error {
		var live, taken bool
		var n int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND deleted_at IS NULL),
			(SELECT COUNT(*) FROM api_keys WHERE user_id = ?1 AND revoked_at IS NULL),
			EXISTS (SELECT 1 FROM api_keys WHERE user_id = ?1 AND name = ?2 AND revoked_at IS NULL)`,
			userID, nm).Scan(&live, &n, &taken)
		switch {
		case err != nil:
			return fmt.Errorf("API keys of account %d: %w", userID, err)
		case !live:
			return ErrNoUser
		case taken:
			return ErrAPIKeyNameTaken
		case n >= MaxAPIKeysPerUser:
			return ErrTooManyAPIKeys
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO api_keys (user_id, name, key_hash, created_at) VALUES (?, ?, ?, ?)
			RETURNING id`, userID, nm, apiKeyHash(key), tx.now).Scan(&out.ID)
		if err != nil {
			return fmt.Errorf("create API key: %w", err)
		}
		out.UserID, out.Name, out.CreatedAt = userID, nm, time.Unix(tx.now, 0)
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		if err := tx.recordEvent(ctx, userID, SecurityAPIKeyCreated, o, nm); err != nil {
			return err
		}
		return tx.queueAccountMail(ctx, userID, MailAPIKeyCreated, map[string]string{ParamKeyName: nm,
			ParamFrom: o.RemoteAddr})
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return out, key, nil
}

// CreateAPIKeyConfirmed is CreateAPIKey after checking the account's
// password (through the sign-in throttle, as every password check of a
// signed-in session): a key is a new way into the account, so a session
// left open does not make one without the password.
func (s *Store) CreateAPIKeyConfirmed(ctx context.Context, userID int64, password, name string, o Origin) (APIKey, string, error) {
	if _, err := CleanKeyName(name); err != nil {
		return APIKey{}, "", err
	}
	if err := s.confirmPassword(ctx, userID, password, o, "to create an API key"); err != nil {
		return APIKey{}, "", err
	}
	return s.CreateAPIKey(ctx, userID, name, o)
}

// APIKeys lists the account's API keys, live and revoked (until their
// retention ends), oldest first.
func (s *Store) APIKeys(ctx context.Context, userID int64) ([]APIKey, error) {
	keys, err := apiKeys(ctx, s.r, userID)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return keys, nil
}

func apiKeys(ctx context.Context, q querier, userID int64) ([]APIKey, error) {
	return collect(ctx, q, scanAPIKey, `SELECT id, user_id, name, created_at, last_used_at, revoked_at
		FROM api_keys WHERE user_id = ? ORDER BY id`, userID)
}

func scanAPIKey(r scanner) (APIKey, error) {
	var k APIKey
	var created int64
	var used, revoked sql.NullInt64
	err := r.Scan(&k.ID, &k.UserID, &k.Name, &created, &used, &revoked)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = time.Unix(created, 0), timeOrZero(used), timeOrZero(revoked)
	return k, err
}

// RevokeAPIKey revokes the account's live key of this name: every
// request that brings it afterwards fails, including those of a client
// in the middle of polling. ErrNoAPIKey when no live key has the name.
func (s *Store) RevokeAPIKey(ctx context.Context, userID int64, name string, o Origin) (APIKey, error) {
	var out APIKey
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = scanAPIKey(tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = ?
			WHERE user_id = ? AND name = ? AND revoked_at IS NULL
			RETURNING id, user_id, name, created_at, last_used_at, revoked_at`, tx.now, userID, strings.TrimSpace(name)))
		if err != nil {
			return noRows(err, ErrNoAPIKey)
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		if err := tx.recordEvent(ctx, userID, SecurityAPIKeyRevoked, o, out.Name); err != nil {
			return err
		}
		return tx.queueAccountMail(ctx, userID, MailAPIKeyRevoked, map[string]string{ParamKeyName: out.Name,
			ParamFrom: o.RemoteAddr})
	})
	return out, err // its EventAccount made this process forget the key (publish)
}

// ResolveAPIKey finds the live key a request brought and the account it
// belongs to. A key that is unknown, revoked, or of a deleted account
// gives ErrAPIKeyInvalid. A suspended account's key resolves: what it may
// do is decided by the same rules as in the dashboard (a suspended
// account reads its balance and numbers, and may not reserve).
//
// The answer for a key is remembered for a moment (apiKeyCacheTTL), so a
// client polling many times a second costs no query each time; revoking
// a key or deleting the account in this process forgets it at once, and
// a change made by another process (a command-line tool) is seen within
// that moment. "Last used" is written at most once a minute per key.
func (s *Store) ResolveAPIKey(ctx context.Context, key string) (APIKey, error) {
	if len(key) != APIKeyLen {
		return APIKey{}, ErrAPIKeyInvalid
	}
	hash := apiKeyHash(key)
	now := s.now()
	if k, ok := s.apiKeys.get(hash, now); ok {
		s.touchAPIKey(ctx, k, now)
		return k, nil
	}
	gen := s.apiKeys.generation()
	var k APIKey
	var stored []byte
	err := s.r.QueryRowContext(ctx, `SELECT k.id, k.user_id, k.name, k.created_at, k.last_used_at, k.key_hash
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.key_hash = ? AND k.revoked_at IS NULL AND u.deleted_at IS NULL`, hash).
		Scan(&k.ID, &k.UserID, &k.Name, new(int64), new(sql.NullInt64), &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrAPIKeyInvalid
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("resolve API key: %w", err)
	}
	// The index found the row by its hash; compare the whole of it in
	// constant time all the same, so no answer's timing depends on how
	// much of a guess matched.
	if subtle.ConstantTimeCompare(stored, hash) != 1 {
		return APIKey{}, ErrAPIKeyInvalid
	}
	s.apiKeys.put(hash, k, now, gen)
	s.touchAPIKey(ctx, k, now)
	return k, nil
}

// touchAPIKey records that the key was used, at most once per
// apiKeyTouchEvery; a failure costs only the precision of "last used".
func (s *Store) touchAPIKey(ctx context.Context, k APIKey, now time.Time) {
	if !s.apiKeys.dueTouch(k.ID, now) {
		return
	}
	err := s.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, tx.now, k.ID)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.log.WarnContext(ctx, "record API key use", "key", k.ID, "err", err)
	}
}

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete API keys of %d: %w", userID, err)
		}
		return nil
	})
	purgeSteps = append(purgeSteps, purgeStep{PurgeRevokedAPIKeys,
		func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM api_keys WHERE revoked_at < ?`,
				now.Add(-APIKeyRevokedRetention).Unix())
		}})
}

// PurgeRevokedAPIKeys names the purge step of revoked API keys.
const PurgeRevokedAPIKeys = "API keys revoked more than 6 months ago"
