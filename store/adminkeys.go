package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The admin role and the keys that carry it, managed only from the server
// host (`wantsms admin grant|keys|remove-key|revoke`). Admin powers need
// the role and a session that proved a key enrolled here (checkActor): a
// key linked from the dashboard never qualifies, since a password is all
// it takes to link one. Every change is recorded in the account's
// security events, from "server host", with the operating-system account
// that ran the tool.

// Errors of the host's admin tools, worded for the operator.
var (
	ErrAdminKeyNotLinked = errors.New("no such key is linked to this account: give its public key file " +
		"instead, or see the account's keys with `wantsms admin keys EMAIL`")
	ErrAdminKeyElsewhere = errors.New("this key is linked to another account")
	ErrNotEnrolled       = errors.New("this key is not enrolled for admin use on this account")
)

// HostOrigin is where the server host's tools act from, in security
// events; by names the operating-system account that ran the tool.
func HostOrigin(by string) Origin {
	return Origin{RemoteAddr: "server host", ClientVersion: "wantsms admin (" + by + ")"}
}

// GrantAdmin gives the account the admin role and enrols k for admin use;
// the account's address must be verified (ErrUnverifiedAdmin).
// k is a key linked to the account (a fingerprint is enough), or a public
// key (PublicKey set) that no other account links, which is then linked
// to this one on the host's word. Granting again with another key enrols
// that one too; with the same key, it changes nothing.
func (s *Store) GrantAdmin(ctx context.Context, email string, k KeySpec, by string) (User, Key, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, Key{}, err
	}
	if !u.Verified() {
		return User{}, Key{}, ErrUnverifiedAdmin
	}
	o := HostOrigin(by)
	var key Key
	err = s.write(ctx, func(tx *Tx) error {
		if key, err = tx.hostKey(ctx, u.ID, k, o); err != nil {
			return err
		}
		if !u.IsAdmin() {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, RoleAdmin, u.ID); err != nil {
				return fmt.Errorf("grant admin: %w", err)
			}
			if err := tx.recordEvent(ctx, u.ID, SecurityRoleChanged, o, string(RoleAdmin)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO admin_keys (key_id, enrolled_at, enrolled_by) VALUES (?, ?, ?)
			ON CONFLICT (key_id) DO NOTHING`, key.ID, tx.now, by)
		if err != nil {
			return fmt.Errorf("enrol admin key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			if err := tx.recordEvent(ctx, u.ID, SecurityAdminKeyEnroll, o, key.Fingerprint); err != nil {
				return err
			}
		}
		tx.notify(Event{UserID: u.ID, Kind: EventAccount})
		return nil
	})
	if err != nil {
		return User{}, Key{}, err
	}
	u.Role = RoleAdmin
	return u, key, nil
}

// hostKey finds k among the account's keys, or links it there when the
// host gave the whole public key and no account has it.
func (tx *Tx) hostKey(ctx context.Context, userID int64, k KeySpec, o Origin) (Key, error) {
	key, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM ssh_keys WHERE fingerprint = ?`,
		k.Fingerprint))
	switch {
	case err == nil && key.UserID == userID:
		return key, nil
	case err == nil:
		return Key{}, ErrAdminKeyElsewhere
	case !errors.Is(err, sql.ErrNoRows):
		return Key{}, fmt.Errorf("find key: %w", err)
	case k.PublicKey == "":
		return Key{}, ErrAdminKeyNotLinked
	}
	name := k.Comment
	if name == "" {
		name = "admin key"
	}
	return tx.linkKey(ctx, userID, k, name, o, k.Fingerprint+" (from the server host)")
}

// RevokeAdmin takes the admin role away, with every key's enrolment.
// Sessions that were using admin powers end (CheckStanding).
func (s *Store) RevokeAdmin(ctx context.Context, email string, by string) (User, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	o := HostOrigin(by)
	err = s.write(ctx, func(tx *Tx) error {
		removed, err := collect(ctx, tx, func(r scanner) (fp string, err error) { return fp, r.Scan(&fp) },
			`SELECT k.fingerprint FROM ssh_keys k JOIN admin_keys a ON a.key_id = k.id WHERE k.user_id = ? ORDER BY k.id`,
			u.ID)
		if err != nil {
			return fmt.Errorf("find admin keys: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM admin_keys WHERE key_id IN (SELECT id FROM ssh_keys WHERE user_id = ?)`,
			u.ID); err != nil {
			return fmt.Errorf("revoke admin keys: %w", err)
		}
		for _, fp := range removed {
			if err := tx.recordEvent(ctx, u.ID, SecurityAdminKeyRemove, o, fp); err != nil {
				return err
			}
		}
		if u.IsAdmin() {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, RoleUser, u.ID); err != nil {
				return fmt.Errorf("revoke admin: %w", err)
			}
			if err := tx.recordEvent(ctx, u.ID, SecurityRoleChanged, o, string(RoleUser)); err != nil {
				return err
			}
		}
		tx.notify(Event{UserID: u.ID, Kind: EventAccount})
		return nil
	})
	u.Role = RoleUser
	return u, err
}

// RemoveAdminKey takes one key's admin use away; the key stays linked as
// an ordinary key, and the role stays (with its other keys). Sessions that
// used admin powers through it end (CheckStanding).
func (s *Store) RemoveAdminKey(ctx context.Context, email, fingerprint string, by string) error {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM admin_keys WHERE key_id =
			(SELECT id FROM ssh_keys WHERE user_id = ? AND fingerprint = ?)`, u.ID, fingerprint)
		if err != nil {
			return fmt.Errorf("remove admin key: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotEnrolled
		}
		tx.notify(Event{UserID: u.ID, Kind: EventAccount})
		return tx.recordEvent(ctx, u.ID, SecurityAdminKeyRemove, HostOrigin(by), fingerprint)
	})
}

// AdminKey is a key enrolled for admin use, with who enrolled it.
type AdminKey struct {
	Key
	EnrolledBy string
}

// AdminKeys lists the account's keys enrolled for admin use, oldest first.
func (s *Store) AdminKeys(ctx context.Context, userID int64) ([]AdminKey, error) {
	keys, err := collect(ctx, s.r, func(r scanner) (AdminKey, error) {
		var k AdminKey
		var added, enrolled int64
		var used sql.NullInt64
		err := r.Scan(&k.ID, &k.UserID, &k.Fingerprint, &k.PublicKey, &k.Name, &added, &used, &enrolled, &k.EnrolledBy)
		k.AddedAt, k.LastUsedAt, k.AdminSince = time.Unix(added, 0), timeOrZero(used), time.Unix(enrolled, 0)
		return k, err
	}, `SELECT k.id, k.user_id, k.fingerprint, k.public_key, k.name, k.added_at, k.last_used_at,
		a.enrolled_at, a.enrolled_by
		FROM ssh_keys k JOIN admin_keys a ON a.key_id = k.id WHERE k.user_id = ? ORDER BY k.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list admin keys: %w", err)
	}
	return keys, nil
}
