package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Pasted keys. Anyone can copy someone else's public key (it is public),
// so a pasted key proves nothing: linked at once, it would send the key's
// real holder into the paster's account (and their codes with it). A
// pasted key therefore waits, pending, identifying nobody, until a
// connection signs with it while signed in to the same account; or it
// expires. Whether the key is linked or pending anywhere else is never
// told: the answer is the same whoever holds it.

// PendingKeyLife is how long a pasted key waits for a connection to prove
// it: a week covers adding a work laptop's key from home and connecting
// from the office after a weekend, and a stranger's paste lingers no
// longer than that in the owner's list.
const PendingKeyLife = 7 * 24 * time.Hour

// AddPendingKey records a pasted key on the account, pending until a
// connection proves it (ProvePendingKey) or PendingKeyLife passes. Pasting
// the same key again starts its week again. The answer never depends on
// other accounts: only a key already linked to this very account is
// refused (ErrKeyLinkedHere).
func (s *Store) AddPendingKey(ctx context.Context, userID int64, k KeySpec, name string, o Origin) (Key, error) {
	if name == "" {
		name = k.Comment
	}
	var out Key
	err := s.write(ctx, func(tx *Tx) error {
		var here bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ssh_keys WHERE user_id = ? AND fingerprint = ?)`,
			userID, k.Fingerprint).Scan(&here); err != nil {
			return fmt.Errorf("find key: %w", err)
		}
		if here {
			return ErrKeyLinkedHere
		}
		n, err := tx.countKeys(ctx, userID)
		if err != nil {
			return err
		}
		var again bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pending_keys WHERE user_id = ?
			AND fingerprint = ? AND expires_at > ?)`, userID, k.Fingerprint, tx.now).Scan(&again); err != nil {
			return fmt.Errorf("find pending key: %w", err)
		}
		if n >= MaxKeysPerUser && !again {
			return ErrTooManyKeys
		}
		nm, err := CleanKeyName(name)
		if err != nil {
			nm = fmt.Sprintf("key %d", n+1)
		}
		expires := tx.now + int64(PendingKeyLife/time.Second)
		err = tx.QueryRowContext(ctx, `INSERT INTO pending_keys (user_id, fingerprint, public_key, name, added_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, fingerprint) DO UPDATE SET name = excluded.name, added_at = excluded.added_at,
				expires_at = excluded.expires_at
			RETURNING id`, userID, k.Fingerprint, k.PublicKey, nm, tx.now, expires).Scan(&out.ID)
		if err != nil {
			return fmt.Errorf("add pending key: %w", err)
		}
		out.UserID, out.Fingerprint, out.PublicKey, out.Name = userID, k.Fingerprint, k.PublicKey, nm
		out.AddedAt, out.PendingUntil = time.Unix(tx.now, 0), time.Unix(expires, 0)
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, SecurityKeyPending, o, k.Fingerprint)
	})
	return out, err
}

// PendingKeys lists an account's pasted keys still waiting, oldest first.
func (s *Store) PendingKeys(ctx context.Context, userID int64) ([]Key, error) {
	keys, err := pendingKeys(ctx, s.r, userID, s.unixNow())
	if err != nil {
		return nil, fmt.Errorf("list pending keys: %w", err)
	}
	return keys, nil
}

func pendingKeys(ctx context.Context, q querier, userID, now int64) ([]Key, error) {
	return collect(ctx, q, scanPendingKey, `SELECT id, user_id, fingerprint, public_key, name, added_at, expires_at
		FROM pending_keys WHERE user_id = ? AND expires_at > ? ORDER BY id`, userID, now)
}

func scanPendingKey(r scanner) (Key, error) {
	var k Key
	var added, expires int64
	err := r.Scan(&k.ID, &k.UserID, &k.Fingerprint, &k.PublicKey, &k.Name, &added, &expires)
	k.AddedAt, k.PendingUntil = time.Unix(added, 0), time.Unix(expires, 0)
	return k, err
}

// RemovePendingKey drops one of the account's pending keys.
func (s *Store) RemovePendingKey(ctx context.Context, userID, id int64, o Origin) error {
	return s.write(ctx, func(tx *Tx) error {
		var fp string
		err := tx.QueryRowContext(ctx, `DELETE FROM pending_keys WHERE id = ? AND user_id = ? RETURNING fingerprint`,
			id, userID).Scan(&fp)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoKey
		}
		if err != nil {
			return fmt.Errorf("remove pending key: %w", err)
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, SecurityKeyRemoved, o, fp+" (pending)")
	})
}

// ProvePendingKey links a key waiting on the account, now that a
// connection signed with it while signed in to the account with its
// password. ErrNoKey when the key does not wait there (or expired).
func (s *Store) ProvePendingKey(ctx context.Context, userID int64, k KeySpec, o Origin) (Key, error) {
	var out Key
	err := s.write(ctx, func(tx *Tx) error {
		var name string
		var added int64
		err := tx.QueryRowContext(ctx, `SELECT name, added_at FROM pending_keys
			WHERE user_id = ? AND fingerprint = ? AND expires_at > ?`, userID, k.Fingerprint, tx.now).Scan(&name, &added)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoKey
		}
		if err != nil {
			return fmt.Errorf("find pending key: %w", err)
		}
		detail := fmt.Sprintf("%s (added pending on %s, proved by this connection)", k.Fingerprint,
			time.Unix(added, 0).UTC().Format("2006-01-02"))
		// linkKey drops the pending row; the limit counted it already.
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_keys WHERE user_id = ? AND fingerprint = ?`,
			userID, k.Fingerprint); err != nil {
			return fmt.Errorf("drop pending key: %w", err)
		}
		out, err = tx.linkKey(ctx, userID, k, name, o, detail)
		return err
	})
	return out, err
}

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_keys WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete pending keys of %d: %w", userID, err)
		}
		return nil
	})
	purgeSteps = append(purgeSteps, purgeStep{"expired pending keys",
		func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM pending_keys WHERE expires_at <= ?`, now.Unix())
		}})
}
