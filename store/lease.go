package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Jobs that run once. Several instances may share one PostgreSQL
// database; some of their work must be done by one of them at a time:
// watching the open reservations and rentals (expiry, refunds, polling
// upstream), the purge, the payments' sweep. Each such job family has a
// lease, and RunLeased runs the family's job on the instance holding it.
//
// A lease is a PostgreSQL advisory lock (pg_try_advisory_lock) held by a
// connection kept for it alone. Rather than a table of leases with an
// expiry renewed by a heartbeat: PostgreSQL releases the lock the moment
// it sees the holder's connection close, which a process killed outright
// does at once (its socket closes with it), so no expiry has to be waited
// out and no clock has to agree between machines. An instance without the
// lease tries again every LeaseRetry, and the holder pings its connection
// as often: another instance takes over within LeaseRetry of the holder's
// death (or of its database connection being lost, when it stops the job
// on its next ping).
//
// Between that loss and the next ping the old holder's job may still run
// while another instance starts it: every job is safe to run twice (a
// refund is one ledger row per reference, an end a conditional update),
// the lease keeps it from being the rule.
//
// On SQLite there is one process: the lease is always held, and the job
// runs at once with no connection of its own.

// DefaultLeaseRetry is how often an instance tries to take a lease it
// does not hold, and checks one it holds (Options.LeaseRetry).
const DefaultLeaseRetry = 2 * time.Second

// Lease names: one per job family run once across instances.
const (
	LeaseNumbers  = "numbers"  // open reservations and rentals: expiry, refunds, upstream polling
	LeasePurge    = "purge"    // records past their retention removed
	LeasePayments = "payments" // expired orders closed, Bitcoin payments reconciled
)

// RunLeased runs job whenever this instance holds the lease named name,
// until ctx ends: job's context ends when the lease is lost, and job is
// run again if the lease is taken again. RunLeased returns once ctx has
// ended and job has returned. job should run until its context ends.
func (s *Store) RunLeased(ctx context.Context, name string, job func(context.Context)) {
	if s.leaseConfig == nil {
		job(ctx)
		return
	}
	key := leaseKey(name)
	s.leasesHeld.Store(name, false)
	for ctx.Err() == nil {
		s.keepLease(ctx, name, key, job)
		sleepCtx(ctx, s.leaseRetry)
	}
}

// keepLease opens the lease's connection and, on it, tries for the lease
// every leaseRetry; once taken, it runs job until the lease is lost or
// ctx ends. Closing the connection gives the lease up.
func (s *Store) keepLease(ctx context.Context, name string, key int64, job func(context.Context)) {
	conn, err := pgx.ConnectConfig(ctx, s.leaseConfig)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("lease: cannot reach the database", "lease", name, "err", err)
		}
		return
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	for ctx.Err() == nil {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("lease: cannot ask for it", "lease", name, "err", err)
			}
			return
		}
		if got {
			s.holdLease(ctx, conn, name, job)
			return
		}
		sleepCtx(ctx, s.leaseRetry)
	}
}

// LeasesHeld says, of each lease this instance asks for, whether it holds
// it now: per instance, for /metrics. On SQLite no lease is asked for
// (every job runs) and the map is empty.
func (s *Store) LeasesHeld() map[string]bool {
	out := map[string]bool{}
	s.leasesHeld.Range(func(k, v any) bool {
		out[k.(string)] = v.(bool)
		return true
	})
	return out
}

// holdLease runs job while the lease's connection answers and ctx lasts.
func (s *Store) holdLease(ctx context.Context, conn *pgx.Conn, name string, job func(context.Context)) {
	s.log.Info("lease taken: this instance runs the job", "lease", name)
	s.leasesHeld.Store(name, true)
	defer s.leasesHeld.Store(name, false)
	jctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(jctx)
	}()
	defer func() {
		stop()
		<-done
	}()
	t := time.NewTicker(s.leaseRetry)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, s.leaseRetry)
			err := conn.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Warn("lease lost: the job stops here", "lease", name, "err", err)
				return
			}
		}
	}
}

// leaseAppName is the application_name of an instance's lease
// connections: the instance's own, " lease " and a random name of the
// instance, so that the instances alive can be counted (Instances).
func leaseAppName(app string) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("name the instance: %w", err)
	}
	return app + leaseAppInfix + hex.EncodeToString(b[:]), nil
}

const leaseAppInfix = " lease "

// Instances counts the instances sharing the database now: those whose
// lease connections are open (every serving instance keeps one per job
// family, whether it holds the lease or waits for it). It is at least
// one; on SQLite it is one.
func (s *Store) Instances(ctx context.Context) (int, error) {
	if s.leaseConfig == nil {
		return 1, nil
	}
	app := s.leaseConfig.RuntimeParams["application_name"]
	prefix := app[:strings.LastIndex(app, leaseAppInfix)+len(leaseAppInfix)]
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(DISTINCT application_name) FROM pg_stat_activity
		WHERE datname = current_database() AND starts_with(application_name, ?)`, prefix).Scan(&n); err != nil {
		return 0, fmt.Errorf("count instances: %w", err)
	}
	return max(n, 1), nil
}

// leaseKey is the advisory lock of a lease: a hash of its name under the
// application's own prefix, so it meets neither pgWriterLock nor another
// application's keys in a shared database.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("wantsms lease: " + name))
	return int64(h.Sum64())
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
