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
	ErrKeyTaken    error = userErr("this key is already linked to an account")
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

// Key is a public key linked to an account.
type Key struct {
	ID          int64
	UserID      int64
	Fingerprint string
	PublicKey   string
	Name        string
	AddedAt     time.Time
	LastUsedAt  time.Time // zero if never used to sign in
}

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

// LinkKey attaches a key to an account. An empty name becomes the key's
// comment or "key N".
func (s *Store) LinkKey(ctx context.Context, userID int64, k KeySpec, name string, o Origin) (Key, error) {
	if name == "" {
		name = k.Comment
	}
	var out Key
	err := s.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return fmt.Errorf("count keys: %w", err)
		}
		if n >= MaxKeysPerUser {
			return ErrTooManyKeys
		}
		nm, err := CleanKeyName(name)
		if err != nil {
			nm = fmt.Sprintf("key %d", n+1)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO ssh_keys (user_id, fingerprint, public_key, name, added_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (fingerprint) DO NOTHING`, userID, k.Fingerprint, k.PublicKey, nm, tx.now)
		if err != nil {
			return fmt.Errorf("link key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrKeyTaken
		}
		id, _ := res.LastInsertId()
		out = Key{ID: id, UserID: userID, Fingerprint: k.Fingerprint, PublicKey: k.PublicKey, Name: nm,
			AddedAt: time.Unix(tx.now, 0)}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, SecurityKeyLinked, o, k.Fingerprint)
	})
	return out, err
}

// Keys lists an account's keys, oldest first.
func (s *Store) Keys(ctx context.Context, userID int64) ([]Key, error) {
	keys, err := collect(ctx, s.r, scanKey, `SELECT `+keyColumns+` FROM ssh_keys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// keyColumns are what scanKey reads, in its order.
const keyColumns = `id, user_id, fingerprint, public_key, name, added_at, last_used_at`

func scanKey(r scanner) (Key, error) {
	var k Key
	var added int64
	var used sql.NullInt64
	err := r.Scan(&k.ID, &k.UserID, &k.Fingerprint, &k.PublicKey, &k.Name, &added, &used)
	k.AddedAt, k.LastUsedAt = time.Unix(added, 0), timeOrZero(used)
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

// RemoveKey unlinks one of the account's own keys.
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
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, kind, o, fp)
	})
}
