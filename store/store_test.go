package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a controllable clock for tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func openTest(t testing.TB) (*Store, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	return openTestWith(t, Options{Clock: clock.Now}), clock
}

var origin = Origin{RemoteAddr: "192.0.2.7:50000", ClientVersion: "SSH-2.0-OpenSSH_9.6"}

func newUser(t testing.TB, s *Store, email string) User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), email, "correct horse", origin)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMigrationsFromEmpty(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil || v != all[len(all)-1].version {
		t.Fatalf("schema version %d, %v; want %d", v, err, all[len(all)-1].version)
	}
	for _, table := range []string{"users", "ssh_keys", "ledger", "security_events"} {
		if onPostgres() {
			break // PostgreSQL's tables are strict by nature
		}
		var strict int
		if err := s.r.QueryRowContext(ctx, `SELECT strict FROM pragma_table_list WHERE name = ?`, table).
			Scan(&strict); err != nil || strict != 1 {
			t.Errorf("table %s: strict=%d err=%v", table, strict, err)
		}
	}
	// Reopening applies nothing twice.
	path := s.Path()
	s.Close()
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var n int
	s2.r.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n)
	if n != len(all) {
		t.Fatalf("%d migration rows after reopen, want %d", n, len(all))
	}
}

func TestPragmas(t *testing.T) {
	sqliteOnly(t, "it checks SQLite's pragmas")
	s, _ := openTest(t)
	for q, want := range map[string]string{
		"PRAGMA journal_mode": "wal", "PRAGMA synchronous": "2", "PRAGMA foreign_keys": "1",
		"PRAGMA secure_delete": "1",
	} {
		var got string
		if err := s.w.QueryRow(q).Scan(&got); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", q, got, err, want)
		}
	}
	if _, err := s.r.Exec(`INSERT INTO users (email, created_at) VALUES ('x@y.z', 0)`); err == nil {
		t.Error("the reader pool accepted a write")
	}
}

func TestLedgerIdempotentAndOverdraft(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "a@example.com")
	m := Movement{UserID: u.ID, AmountCents: 500, Kind: LedgerGrant, Reference: "ref-1"}
	r1, err := s.Move(ctx, m)
	if err != nil || !r1.Applied || r1.BalanceCents != 500 {
		t.Fatalf("first move: %+v %v", r1, err)
	}
	r2, err := s.Move(ctx, m)
	if err != nil || r2.Applied || r2.BalanceCents != 500 {
		t.Fatalf("repeated move: %+v %v; want not applied, balance 500", r2, err)
	}
	_, err = s.Move(ctx, Movement{UserID: u.ID, AmountCents: -501, Kind: LedgerGrant, Reference: "debit-1"})
	if !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("overdraft: %v, want ErrInsufficientFunds", err)
	}
	rows, _ := s.Ledger(ctx, u.ID, 10)
	if len(rows) != 1 {
		t.Fatalf("%d ledger rows, want 1 (the refused debit must leave none)", len(rows))
	}
	if _, err := s.Move(ctx, Movement{UserID: u.ID, AmountCents: -500, Kind: LedgerGrant, Reference: "debit-2"}); err != nil {
		t.Fatalf("debit to zero: %v", err)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func TestConcurrentCreditsSumExactly(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "many@example.com")
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Every reference twice: the second must be a no-op.
				for range 2 {
					_, err := s.Move(ctx, Movement{UserID: u.ID, AmountCents: 3, Kind: LedgerGrant,
						Reference: fmt.Sprintf("w%d-%d", w, i)})
					if err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := s.UserByID(ctx, u.ID)
	if got.BalanceCents != workers*each*3 {
		t.Fatalf("balance %d, want %d", got.BalanceCents, workers*each*3)
	}
}

func TestCheckFindsTamperedBalance(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "t@example.com")
	s.Move(ctx, Movement{UserID: u.ID, AmountCents: 100, Kind: LedgerGrant, Reference: "g"})
	raw := openRaw(t, s)
	if _, err := raw.Exec(`UPDATE users SET balance_cents = 1000 WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || len(rep.Mismatches) != 1 || rep.Mismatches[0].BalanceCents != 1000 || rep.Mismatches[0].LedgerCents != 100 {
		t.Fatalf("check missed the tampering: %+v", rep)
	}
}

func TestBalanceNeverNegativeInSchema(t *testing.T) {
	s, _ := openTest(t)
	u := newUser(t, s, "n@example.com")
	_, err := s.w.Exec(`UPDATE users SET balance_cents = -1 WHERE id = ?`, u.ID)
	if err == nil {
		t.Fatal("schema accepted a negative balance")
	}
}

// Writes that share a commit stay independent: a failing one leaves no
// trace and the others all land.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "batch@example.com")
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()
	const n = 60
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			amount := int64(1)
			if i%2 == 1 {
				amount = -1000 // overdraft: refused
			}
			_, err := s.Move(ctx, Movement{UserID: u.ID, AmountCents: amount, Kind: LedgerGrant, Reference: fmt.Sprint("b", i)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if errors.Is(err, ErrInsufficientFunds) {
			failed++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.UserByID(ctx, u.ID); failed != n/2 || got.BalanceCents != n/2 {
		t.Fatalf("%d failed, balance %d; want %d and %d", failed, got.BalanceCents, n/2, n/2)
	}
	rows, _ := s.Ledger(ctx, u.ID, 1000)
	if len(rows) != n/2 || len(sub.C) != n/2 {
		t.Fatalf("%d ledger rows, %d events; want %d each", len(rows), len(sub.C), n/2)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check %+v %v", rep, err)
	}
}

// A writer that found the writer free is answered after its own batch,
// even while other writes keep arriving without a pause.
func TestWriterNotHeldByOthersBacklog(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "busy@example.com")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.Move(ctx, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: fmt.Sprintf("bg%d-%d", w, i)})
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := range 20 {
		done := make(chan error, 1)
		go func() {
			_, err := s.Move(ctx, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: fmt.Sprint("fg", i)})
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a write never returned while others kept writing")
		}
	}
}

func TestRebuildMigrationRunsWithForeignKeysOffAndChecksThem(t *testing.T) {
	sqliteOnly(t, "it checks SQLite's table rebuilds")
	s, _ := openTest(t)
	ctx := context.Background()
	parent := migration{version: 9100, name: "9100_parent.sql", sql: `
		CREATE TABLE parent (id INTEGER PRIMARY KEY) STRICT;
		CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id)) STRICT;
		INSERT INTO parent (id) VALUES (1), (2);
		INSERT INTO child (parent_id) VALUES (1), (2);`}
	// The table a reference points at is replaced: only possible with
	// foreign keys off.
	rebuild := migration{version: 9101, name: "9101_rebuild.sql", sql: rebuildMarker + `
		CREATE TABLE parent_new (id INTEGER PRIMARY KEY AUTOINCREMENT) STRICT;
		INSERT INTO parent_new (id) SELECT id FROM parent;
		DROP TABLE parent;
		ALTER TABLE parent_new RENAME TO parent;`}
	if err := s.applyMigrations(ctx, []migration{parent, rebuild}); err != nil {
		t.Fatal(err)
	}
	var seq int
	if err := s.r.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'parent'`).Scan(&seq); err != nil || seq != 2 {
		t.Fatalf("sequence %d, %v: want 2 (the copied ids)", seq, err)
	}
	// A rebuild that leaves a dangling reference is refused whole.
	broken := migration{version: 9102, name: "9102_broken.sql", sql: rebuildMarker + `
		DELETE FROM parent WHERE id = 2;
		CREATE TABLE dropped_too (x INTEGER) STRICT;`}
	err := s.applyMigrations(ctx, []migration{broken})
	if err == nil || !strings.Contains(err.Error(), "child") {
		t.Fatalf("a dangling reference was committed: %v", err)
	}
	var n int
	s.r.QueryRow(`SELECT COUNT(*) FROM parent`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d parents: the refused rebuild was half applied", n)
	}
	// Foreign keys are on again for everything that follows.
	if _, err := s.w.Exec(`INSERT INTO child (parent_id) VALUES (99)`); err == nil {
		t.Fatal("foreign keys stayed off after the rebuild")
	}
}

// A read still running when the store is closed (a dashboard's last
// command can outlive its session by a moment) keeps its connection:
// Close returns only once it is done and the last connection has closed
// the files cleanly (the write-ahead log checkpointed and removed), so
// nothing touches the data directory after Close: not a test's cleanup
// removing it, not an operator's copy.
func TestCloseWaitsForConnectionsInUse(t *testing.T) {
	sqliteOnly(t, "it checks the SQLite files at rest")
	dir := t.TempDir()
	s, err := Open(filepath.Join(dir, "wantsms.db"), Options{})
	must(t, err)
	newUser(t, s, "late@example.com")
	rows, err := s.r.Query(`SELECT id FROM users`)
	must(t, err)
	closed := make(chan []string)
	go func() {
		must(t, s.Close())
		var names []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			names = append(names, e.Name())
		}
		closed <- names
	}()
	time.Sleep(100 * time.Millisecond) // room for a Close that does not wait to return
	must(t, rows.Close())
	if names := <-closed; len(names) != 1 || names[0] != "wantsms.db" {
		t.Fatalf("when Close returned the data directory held %q: a connection was still open on the files", names)
	}
}
