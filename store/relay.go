package store

import (
	"context"
	"fmt"
	"time"
)

// relayKeep is how long relayed events stay before the purge removes
// them: far longer than the serving process takes to pick them up.
const relayKeep = time.Hour

// relayEvents writes tx's events to the relay table, for a store opened by
// a command-line tool while the server runs.
func (tx *Tx) relayEvents(ctx context.Context) error {
	for _, e := range tx.events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_relay (user_id, kind, ref, created_at) VALUES (?, ?, ?, ?)`,
			e.UserID, e.Kind, e.Ref, tx.now); err != nil {
			return fmt.Errorf("relay event: %w", err)
		}
	}
	return nil
}

// StartRelay makes this process's hub receive the events that other
// processes on the same database commit from now on, and returns what
// passes them on, to run until ctx ends. On PostgreSQL that is a
// listening connection (notify.go), opened before StartRelay returns; on
// SQLite it checks the relay table every interval, from the last row
// there now.
func (s *Store) StartRelay(ctx context.Context, interval time.Duration) (run func(), err error) {
	if s.OnPostgres() {
		conn, err := s.openListener(ctx)
		if err != nil {
			return nil, fmt.Errorf("live events from other instances: %w", err)
		}
		return func() { s.listen(ctx, conn) }, nil
	}
	var last int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM event_relay`).Scan(&last); err != nil {
		return nil, fmt.Errorf("event relay: %w", err)
	}
	return func() { s.runRelay(ctx, interval, last) }, nil
}

// runRelay publishes the rows after last, checking every interval.
func (s *Store) runRelay(ctx context.Context, interval time.Duration, last int64) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			last = s.relayOnce(ctx, last)
		}
	}
}

func (s *Store) relayOnce(ctx context.Context, after int64) int64 {
	rows, err := s.r.QueryContext(ctx, `SELECT id, user_id, kind, ref FROM event_relay WHERE id > ? ORDER BY id`, after)
	if err != nil {
		return after
	}
	var events []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&after, &e.UserID, &e.Kind, &e.Ref); err != nil {
			break
		}
		events = append(events, e)
	}
	rows.Close()
	for _, e := range events {
		s.publish(e)
	}
	return after // old rows go with the hourly purge
}
