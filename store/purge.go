package store

import (
	"context"
	"fmt"
	"time"
)

// Retention periods promised by the privacy policy.
const (
	// SecurityEventRetention: sign-ins, failures, addresses and client
	// versions are kept 180 days: the "limited period" of security
	// records in tui/privacy/privacy-policy.txt §4.2, as the README promises.
	SecurityEventRetention = 180 * 24 * time.Hour
)

// PurgeReport says what one purge removed, by kind of record.
type PurgeReport struct {
	Removed map[string]int64
}

// Total is the number of records removed.
func (r PurgeReport) Total() int64 {
	var n int64
	for _, v := range r.Removed {
		n += v
	}
	return n
}

// purgeStep removes one kind of expired record; steps added by later
// features register in purgeSteps from their own files.
type purgeStep struct {
	name string
	run  func(ctx context.Context, tx *Tx, now time.Time) (int64, error)
}

var purgeSteps = []purgeStep{
	{"security events older than 180 days", func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
		return tx.execCount(ctx, `DELETE FROM security_events WHERE created_at < ?`,
			now.Add(-SecurityEventRetention).Unix())
	}},
	{"stale sign-in throttles", func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
		return tx.execCount(ctx, `DELETE FROM signin_throttle WHERE last_at < ?`, now.Add(-throttleWindow).Unix())
	}},
	{"relayed events", func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
		return tx.execCount(ctx, `DELETE FROM event_relay WHERE created_at < ?`, now.Add(-relayKeep).Unix())
	}},
}

// Purge removes every record whose retention period is over, in one
// transaction, and reports what went. secure_delete is on and the
// write-ahead log is truncated after, so the removed data does not linger
// in free pages or old log frames.
func (s *Store) Purge(ctx context.Context) (PurgeReport, error) {
	rep := PurgeReport{Removed: map[string]int64{}}
	err := s.write(ctx, func(tx *Tx) error {
		now := time.Unix(tx.now, 0)
		for _, step := range purgeSteps {
			n, err := step.run(ctx, tx, now)
			if err != nil {
				return fmt.Errorf("purge %s: %w", step.name, err)
			}
			rep.Removed[step.name] = n
		}
		return nil
	})
	if err == nil {
		err = s.truncateWAL(ctx) // old row versions in the log go too
	}
	return rep, err
}

// RunPurge purges every interval until ctx ends, reporting each run.
func (s *Store) RunPurge(ctx context.Context, interval time.Duration, report func(PurgeReport, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rep, err := s.Purge(ctx)
		if ctx.Err() != nil {
			return
		}
		report(rep, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (tx *Tx) execCount(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
