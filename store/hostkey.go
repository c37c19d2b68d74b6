package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// HostKey is the SSH host key kept in the database, which every instance
// serving this database presents (see migrations/0021_host_key.sql). The
// first caller's candidate is stored and every later caller gets that one
// back, whatever it brings: the write takes the writer lock, so instances
// starting together agree. candidate is a private key in PEM; it is never
// logged here, and the answer is the stored PEM.
func (s *Store) HostKey(ctx context.Context, candidate []byte) ([]byte, error) {
	if len(strings.TrimSpace(string(candidate))) == 0 {
		return nil, errors.New("host key: empty candidate")
	}
	var stored string
	err := s.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ssh_host_key (id, key_pem, created_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO NOTHING`, string(candidate), tx.now); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT key_pem FROM ssh_host_key WHERE id = 1`).Scan(&stored)
	})
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	return []byte(stored), nil
}
