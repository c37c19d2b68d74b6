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

// RunRelay publishes to this process's hub the events other processes
// relayed through the database, checking every interval until ctx ends.
func (s *Store) RunRelay(ctx context.Context, interval time.Duration) {
	var last int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM event_relay`).Scan(&last); err != nil {
		last = 0
	}
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
