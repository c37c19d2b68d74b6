package store

import (
	"context"
	"fmt"
)

// Ping reports whether the database answers a read now: for /healthz.
// It reads through the pool of readers, never the writer, so that a write
// waiting for the writer lock (another instance's write, on PostgreSQL)
// does not make a healthy instance look down.
func (s *Store) Ping(ctx context.Context) error {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}
