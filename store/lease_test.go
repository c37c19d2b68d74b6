package store

import (
	"context"
	"sync"
	"testing"
	"time"
)

// leaseRun is a job run under a lease, as a test sees it: each start and
// each stop, and whether two instances ever ran it at once.
type leaseRun struct {
	mu       sync.Mutex
	running  int
	overlaps int
	events   chan string // "start a", "stop b", …
}

func newLeaseRun() *leaseRun { return &leaseRun{events: make(chan string, 16)} }

func (l *leaseRun) job(who string) func(context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		l.running++
		if l.running > 1 {
			l.overlaps++
		}
		l.mu.Unlock()
		l.events <- "start " + who
		<-ctx.Done()
		l.mu.Lock()
		l.running--
		l.mu.Unlock()
		l.events <- "stop " + who
	}
}

// expect waits for the next event and fails unless it is want.
func (l *leaseRun) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-l.events:
		if got != want {
			t.Fatalf("job: %q, want %q", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("job: no %q", want)
	}
}

// A job under a lease runs on one instance at a time: the second instance
// waits while the first holds it, takes over when the first stops, and an
// instance whose lease connection dies stops its job and takes the lease
// again once it can. On SQLite the lease is simply held.
func TestInstancesLeaseRunsAJobOnce(t *testing.T) {
	opts := Options{LeaseRetry: 20 * time.Millisecond}
	a := openTestWith(t, opts)
	run := newLeaseRun()
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		stopA()
		stopB()
		wg.Wait()
	}()
	wg.Add(1)
	go func() { defer wg.Done(); a.RunLeased(ctxA, LeasePurge, run.job("a")) }()
	run.expect(t, "start a")
	instances := func(want int) func() bool {
		return func() bool {
			n, err := a.Instances(context.Background())
			must(t, err)
			return n == want
		}
	}
	if !onPostgres() {
		if !instances(1)() {
			t.Fatal("SQLite: not one instance")
		}
		stopA()
		run.expect(t, "stop a")
		return
	}

	b, err := Open(a.Path(), opts)
	must(t, err)
	t.Cleanup(func() { b.Close() })
	wg.Add(1)
	go func() { defer wg.Done(); b.RunLeased(ctxB, LeasePurge, run.job("b")) }()
	raw := openRaw(t, a)
	// b asked for the lease and was refused: its job did not start.
	waitFor(t, "b to ask for the lease", func() bool {
		if len(run.events) > 0 {
			return true // b's job started: said below
		}
		var n int
		must(t, raw.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE application_name LIKE 'wantsms lease %'
			AND state = 'idle' AND query LIKE 'SELECT pg_try_advisory_lock%' AND pid NOT IN (`+leaseHolders+`)`,
			leaseLockKeys(LeasePurge)...).Scan(&n))
		return n > 0
	})
	select {
	case e := <-run.events:
		t.Fatalf("%s while a held the lease", e)
	default:
	}
	waitFor(t, "two instances counted", instances(2))

	stopA()
	run.expect(t, "stop a")
	run.expect(t, "start b")
	waitFor(t, "one instance counted once a stopped", instances(1))

	// b's lease connection is cut: its job stops, and it takes the lease
	// again over a new connection.
	if _, err := raw.Exec(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE pid IN (`+leaseHolders+`)`,
		leaseLockKeys(LeasePurge)...); err != nil {
		t.Fatal(err)
	}
	run.expect(t, "stop b")
	run.expect(t, "start b")
	stopB()
	run.expect(t, "stop b")
	if run.overlaps > 0 {
		t.Fatalf("the job ran on two instances at once %d times", run.overlaps)
	}
}

// leaseHolders selects the process holding a lease, from its
// leaseLockKeys: a 64-bit advisory lock shows in pg_locks as its two
// halves.
const leaseHolders = `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
	AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1`

func leaseLockKeys(name string) []any {
	k := uint64(leaseKey(name))
	return []any{int64(k >> 32), int64(k & 0xffffffff)}
}

// waitFor waits until cond holds, or fails the test after a long while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
