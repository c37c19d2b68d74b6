package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// seedBatch is how many load-test accounts one transaction writes: large
// enough that 10,000 accounts take a few dozen commits, small enough that
// the serving process's writes wait only milliseconds behind each one.
const seedBatch = 500

// seedDetail marks the sign-up event of a seeded account, so nobody takes
// it for a person who accepted the privacy policy.
const seedDetail = "load-test account created by wantsms-load seed"

// LoadTestAccount is one account for a load test: its email and the key
// its sessions sign in with.
type LoadTestAccount struct {
	Email string
	Key   KeySpec
}

// SeedLoadTestAccounts creates accounts for load tests in bulk, each with
// its key linked, and returns how many were new. It is for test data only:
// every account it creates shares one password hash, computed once,
// because argon2id costs tens of milliseconds on purpose and 10,000
// sign-ups would otherwise take many minutes. It is idempotent: an
// existing account with the same email is kept and gets the key linked;
// a key already linked to that account is fine, one linked to another
// account is ErrKeyTaken.
func (s *Store) SeedLoadTestAccounts(ctx context.Context, password string, accounts []LoadTestAccount) (int, error) {
	if err := CheckPasswordRules(password); err != nil {
		return 0, err
	}
	for i := range accounts {
		email, err := NormalizeEmail(accounts[i].Email)
		if err != nil {
			return 0, fmt.Errorf("seed account %q: %w", accounts[i].Email, err)
		}
		accounts[i].Email = email
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return 0, err
	}
	created := 0
	for start := 0; start < len(accounts); start += seedBatch {
		batch := accounts[start:min(start+seedBatch, len(accounts))]
		err := s.write(ctx, func(tx *Tx) error {
			for _, a := range batch {
				n, err := tx.seedAccount(ctx, a, hash)
				if err != nil {
					return fmt.Errorf("seed account %s: %w", a.Email, err)
				}
				created += n
			}
			return nil
		})
		if err != nil {
			return created, err
		}
	}
	return created, nil
}

// seedAccount makes sure one account exists with its key; it returns 1
// when it created the account.
func (tx *Tx) seedAccount(ctx context.Context, a LoadTestAccount, hash string) (int, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, password_hash, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, a.Email, hash, tx.now)
	if err != nil {
		return 0, fmt.Errorf("insert user: %w", err)
	}
	created, _ := res.RowsAffected()
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE email = ? AND deleted_at IS NULL`, a.Email).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("find user: %w", err)
	}
	if created == 1 {
		if err := tx.recordEvent(ctx, id, SecuritySignup, Origin{RemoteAddr: "server host"}, seedDetail); err != nil {
			return 0, err
		}
	}
	var owner int64
	err = tx.QueryRowContext(ctx, `SELECT user_id FROM ssh_keys WHERE fingerprint = ?`, a.Key.Fingerprint).Scan(&owner)
	switch {
	case err == nil && owner == id:
		return int(created), nil
	case err == nil:
		return 0, ErrKeyTaken
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("find key: %w", err)
	}
	var keys int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?`, id).Scan(&keys); err != nil {
		return 0, fmt.Errorf("count keys: %w", err)
	}
	if keys >= MaxKeysPerUser {
		return 0, ErrTooManyKeys
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ssh_keys (user_id, fingerprint, public_key, name, added_at)
		VALUES (?, ?, ?, ?, ?)`, id, a.Key.Fingerprint, a.Key.PublicKey, "load test", tx.now)
	if err != nil {
		return 0, fmt.Errorf("link key: %w", err)
	}
	return int(created), nil
}

// seedGrantNote marks the credit given to load-test accounts in the ledger.
const seedGrantNote = "load-test credit from wantsms-load seed"

// TopUpLoadTestAccounts raises the balance of each account (by email) to
// at least cents with a grant, so load runs can reserve numbers; accounts
// already holding that much are left alone. It returns how many were
// credited. Like SeedLoadTestAccounts it is for test data only.
func (s *Store) TopUpLoadTestAccounts(ctx context.Context, emails []string, cents int64) (int, error) {
	if cents < 1 {
		return 0, ErrBadAmount
	}
	credited := 0
	for start := 0; start < len(emails); start += seedBatch {
		batch := emails[start:min(start+seedBatch, len(emails))]
		n := 0
		err := s.write(ctx, func(tx *Tx) error {
			n = 0
			for _, email := range batch {
				added, err := tx.topUpLoadTestAccount(ctx, email, cents)
				if err != nil {
					return fmt.Errorf("top up %s: %w", email, err)
				}
				n += added
			}
			return nil
		})
		if err != nil {
			return credited, err
		}
		credited += n
	}
	return credited, nil
}

// topUpLoadTestAccount grants what one account lacks; it returns 1 when
// it credited the account.
func (tx *Tx) topUpLoadTestAccount(ctx context.Context, email string, cents int64) (int, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return 0, err
	}
	var id, balance, rows int64
	err = tx.QueryRowContext(ctx, `SELECT id, balance_cents, (SELECT COUNT(*) FROM ledger WHERE user_id = users.id)
		FROM users WHERE email = ? AND deleted_at IS NULL`, email).Scan(&id, &balance, &rows)
	if err != nil {
		return 0, fmt.Errorf("find user: %w", err)
	}
	if balance >= cents {
		return 0, nil
	}
	// The count of the account's ledger rows makes the reference unique
	// for each top-up: rows are only ever added.
	res, err := tx.move(ctx, Movement{UserID: id, AmountCents: cents - balance, Kind: LedgerGrant,
		Reference: fmt.Sprintf("load-test:%d:%d", id, rows), Note: seedGrantNote})
	if err != nil || !res.Applied {
		return 0, err
	}
	return 1, nil
}
