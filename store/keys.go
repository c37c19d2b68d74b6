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

	"golang.org/x/crypto/ssh"
)

// Limits on keys: enough for every device a person owns, small enough to
// keep lists on one screen.
const (
	MaxKeysPerUser = 20
	MaxKeyNameLen  = 40
	// maxAuthorizedKeyLen bounds a pasted line; an RSA-16384 key is ~2.8 kB.
	maxAuthorizedKeyLen = 8192
)

// Errors about keys.
var (
	// ErrKeyTaken is said only to a session that proved the key (linking
	// the key it connected with): its holder may know where it is linked.
	ErrKeyTaken      error = userErr("this key is already linked to an account")
	ErrKeyLinkedHere error = userErr("this key is already linked to your account")
	ErrAdminKeyHeld  error = userErr("this key is enrolled for admin use: the server host removes it " +
		"(wantsms admin remove-key EMAIL FINGERPRINT), then it can be removed here")
	ErrNoKey       error = userErr("no such key")
	ErrTooManyKeys error = userErr(fmt.Sprintf("an account can hold at most %d keys", MaxKeysPerUser))
	ErrBadKeyName  error = userErr(fmt.Sprintf("a key name is 1 to %d printable characters", MaxKeyNameLen))
	ErrBadKey      error = userErr("not a public key line: paste one line of ~/.ssh/id_ed25519.pub (ssh-ed25519 AAAA… comment)")
)

// KeySpec is a public key ready to be linked.
type KeySpec struct {
	Fingerprint string // SHA256:…
	PublicKey   string // "type base64", no comment
	Comment     string
}

// SpecOf describes a key the SSH layer has verified.
func SpecOf(k ssh.PublicKey) KeySpec {
	return KeySpec{
		Fingerprint: ssh.FingerprintSHA256(k),
		PublicKey:   strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))),
	}
}

// ParseAuthorizedKey validates one pasted authorized_keys line (options are
// refused: they mean nothing here).
func ParseAuthorizedKey(line string) (KeySpec, error) {
	line = strings.TrimSpace(line)
	if line == "" || len(line) > maxAuthorizedKeyLen || strings.ContainsAny(line, "\r\n") {
		return KeySpec{}, ErrBadKey
	}
	k, comment, options, rest, err := ssh.ParseAuthorizedKey([]byte(line))
	if err != nil || len(options) > 0 || len(strings.TrimSpace(string(rest))) > 0 {
		return KeySpec{}, ErrBadKey
	}
	if _, isCert := k.(*ssh.Certificate); isCert {
		return KeySpec{}, ErrBadKey
	}
	spec := SpecOf(k)
	spec.Comment = comment
	return spec, nil
}

// Key is a public key linked to an account, or waiting to be (pending).
type Key struct {
	ID          int64 // numbered apart for pending keys
	UserID      int64
	Fingerprint string
	PublicKey   string
	Name        string
	AddedAt     time.Time
	LastUsedAt  time.Time // zero if never used to sign in
	// AdminSince is when the server host enrolled the key for admin use;
	// zero for an ordinary key.
	AdminSince time.Time
	// PendingUntil is when a pasted key that no connection has proved yet
	// expires; zero for a linked key.
	PendingUntil time.Time
}

// Pending reports whether the key waits for a connection to prove it.
func (k Key) Pending() bool { return !k.PendingUntil.IsZero() }

// Admin reports whether the key is enrolled for admin use.
func (k Key) Admin() bool { return !k.AdminSince.IsZero() }

// CleanKeyName trims and checks a key name.
func CleanKeyName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxKeyNameLen || !utf8.ValidString(name) {
		return "", ErrBadKeyName
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", ErrBadKeyName
		}
	}
	return name, nil
}

// LinkKey attaches a key to an account at once. Only for a key that was
// proved: the session's own key (it signed with it while signed in to the
// account), or the server host's word. A pasted key waits instead
// (AddPendingKey). An empty name becomes the key's comment or "key N".
func (s *Store) LinkKey(ctx context.Context, userID int64, k KeySpec, name string, o Origin) (Key, error) {
	var out Key
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.linkKey(ctx, userID, k, name, o, k.Fingerprint)
		return err
	})
	return out, err
}

// linkKey inserts a proved key; detail is its security event's.
func (tx *Tx) linkKey(ctx context.Context, userID int64, k KeySpec, name string, o Origin, detail string) (Key, error) {
	if name == "" {
		name = k.Comment
	}
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM ssh_keys WHERE fingerprint = ?`, k.Fingerprint).Scan(&owner)
	switch {
	case err == nil && owner == userID:
		return Key{}, ErrKeyLinkedHere
	case err == nil:
		return Key{}, ErrKeyTaken
	case !errors.Is(err, sql.ErrNoRows):
		return Key{}, fmt.Errorf("find key: %w", err)
	}
	n, err := tx.countKeys(ctx, userID)
	if err != nil {
		return Key{}, err
	}
	if n >= MaxKeysPerUser {
		return Key{}, ErrTooManyKeys
	}
	nm, err := CleanKeyName(name)
	if err != nil {
		nm = fmt.Sprintf("key %d", n+1)
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO ssh_keys (user_id, fingerprint, public_key, name, added_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, userID, k.Fingerprint, k.PublicKey, nm, tx.now).Scan(&id); err != nil {
		return Key{}, fmt.Errorf("link key: %w", err)
	}
	// A copy of it waiting on this account is now moot.
	if _, err := tx.ExecContext(ctx, `DELETE FROM pending_keys WHERE user_id = ? AND fingerprint = ?`,
		userID, k.Fingerprint); err != nil {
		return Key{}, fmt.Errorf("drop pending key: %w", err)
	}
	tx.notify(Event{UserID: userID, Kind: EventAccount})
	if err := tx.recordEvent(ctx, userID, SecurityKeyLinked, o, detail); err != nil {
		return Key{}, err
	}
	if err := tx.queueAccountMail(ctx, userID, MailKeyLinked, map[string]string{ParamKeyName: nm,
		ParamFingerprint: k.Fingerprint, ParamFrom: o.RemoteAddr}); err != nil {
		return Key{}, err
	}
	return Key{ID: id, UserID: userID, Fingerprint: k.Fingerprint, PublicKey: k.PublicKey, Name: nm,
		AddedAt: time.Unix(tx.now, 0)}, nil
}

// countKeys counts an account's keys, linked and pending (unexpired):
// MaxKeysPerUser bounds both together.
func (tx *Tx) countKeys(ctx context.Context, userID int64) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?) +
		(SELECT COUNT(*) FROM pending_keys WHERE user_id = ? AND expires_at > ?)`, userID, userID, tx.now).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count keys: %w", err)
	}
	return n, nil
}

// Keys lists an account's keys, oldest first.
func (s *Store) Keys(ctx context.Context, userID int64) ([]Key, error) {
	keys, err := collect(ctx, s.r, scanKey, `SELECT `+keyColumns+` FROM ssh_keys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// keyColumns are what scanKey reads from ssh_keys, in its order.
const keyColumns = `id, user_id, fingerprint, public_key, name, added_at, last_used_at,
	(SELECT enrolled_at FROM admin_keys WHERE key_id = ssh_keys.id)`

func scanKey(r scanner) (Key, error) {
	var k Key
	var added int64
	var used, admin sql.NullInt64
	err := r.Scan(&k.ID, &k.UserID, &k.Fingerprint, &k.PublicKey, &k.Name, &added, &used, &admin)
	k.AddedAt, k.LastUsedAt, k.AdminSince = time.Unix(added, 0), timeOrZero(used), timeOrZero(admin)
	return k, err
}

// RenameKey renames one of the account's own keys.
func (s *Store) RenameKey(ctx context.Context, userID, keyID int64, name string, o Origin) error {
	nm, err := CleanKeyName(name)
	if err != nil {
		return err
	}
	return s.keyChange(ctx, userID, keyID, SecurityKeyRenamed, o,
		`UPDATE ssh_keys SET name = ? WHERE id = ? AND user_id = ?`, nm, keyID, userID)
}

// RemoveKey unlinks one of the account's own keys; the sessions it
// identified end (CheckStanding). A key enrolled for admin use is the
// server host's to remove first (ErrAdminKeyHeld): a password alone must
// not take an admin's key away either.
func (s *Store) RemoveKey(ctx context.Context, userID, keyID int64, o Origin) error {
	return s.keyChange(ctx, userID, keyID, SecurityKeyRemoved, o,
		`DELETE FROM ssh_keys WHERE id = ? AND user_id = ?`, keyID, userID)
}

func (s *Store) keyChange(ctx context.Context, userID, keyID int64, kind SecurityKind, o Origin, q string, args ...any) error {
	return s.write(ctx, func(tx *Tx) error {
		var fp string
		err := tx.QueryRowContext(ctx, `SELECT fingerprint FROM ssh_keys WHERE id = ? AND user_id = ?`, keyID, userID).Scan(&fp)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoKey
		}
		if err != nil {
			return fmt.Errorf("find key: %w", err)
		}
		if kind == SecurityKeyRemoved {
			var admin bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM admin_keys WHERE key_id = ?)`,
				keyID).Scan(&admin); err != nil {
				return fmt.Errorf("find admin key: %w", err)
			}
			if admin {
				return ErrAdminKeyHeld
			}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, kind, o, fp)
	})
}
