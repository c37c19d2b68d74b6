package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// reserveAndCheckDebit reserves a number for u and fails unless its id is
// above every id in taken, its debit is in u's ledger and u's balance
// moved by its price.
func reserveAndCheckDebit(t *testing.T, s *Store, u User, taken ...int64) Reservation {
	t.Helper()
	ctx := context.Background()
	before := resBalance(t, s, u)
	r, err := s.CreateReservation(ctx, newRes(u, 25))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range taken {
		if r.ID <= id {
			t.Errorf("the new reservation got id %d, not above %d which is named already", r.ID, id)
		}
	}
	var owner, amount int64
	if err := s.r.QueryRow(`SELECT user_id, amount_cents FROM ledger WHERE kind = ? AND reference = ?`,
		LedgerReserve, ResRef(r.ID)).Scan(&owner, &amount); err != nil || owner != u.ID || amount != -25 {
		t.Errorf("debit of %s: user %d, %d cents, %v; want user %d, -25", ResRef(r.ID), owner, amount, err, u.ID)
	}
	if after := resBalance(t, s, u); after != before-25 {
		t.Errorf("balance %d → %d: the reservation was not paid", before, after)
	}
	checkLedger(t, s)
	return r
}

// An erased account's reservations, support threads and keys go, but
// their ids stay taken: the ledger and the audit trail still name them.
func TestDeletedAccountsIDsAreNeverReused(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	credit(t, s, alice, 100)
	credit(t, s, bob, 100)
	reserveAndCheckDebit(t, s, alice)
	bobs := reserveAndCheckDebit(t, s, bob)
	bobMsg, err := s.WriteSupport(ctx, bob.ID, "hello")
	must(t, err)
	must(t, s.DeleteAccount(ctx, bob.ID, "correct horse", origin))

	reserveAndCheckDebit(t, s, alice, bobs.ID)
	m, err := s.WriteSupport(ctx, alice.ID, "hello too")
	must(t, err)
	if m.ThreadID <= bobMsg.ThreadID || m.ID <= bobMsg.ID {
		t.Fatalf("alice's support message %+v re-uses the ids of bob's erased one %+v", m, bobMsg)
	}
}

// The retention purge deletes the newest reservations too when they are
// the oldest to end; their ids stay taken.
func TestPurgedReservationIDsAreNeverReused(t *testing.T) {
	s, clock := openTest(t)
	u := newUser(t, s, "old@example.com")
	credit(t, s, u, 1000)
	old := endedRes(t, s, u, "old")
	clock.Add(HistoryRetention + day)
	wantRemoved(t, purge(t, s), 1, 1, 1, 1)
	reserveAndCheckDebit(t, s, u, old.ID)
}

// The serving process relays from the last id it saw: once the purge has
// pruned every relayed row, the next one must still come after it.
func TestRelayedAfterPruning(t *testing.T) {
	sqliteOnly(t, "PostgreSQL carries events by NOTIFY, without the relay table")
	server, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, server, "r@example.com")
	tool, err := Open(server.Path(), Options{Relay: true, Clock: clock.Now})
	must(t, err)
	defer tool.Close()
	sub := server.Hub().Subscribe(u.ID)
	defer sub.Close()

	must(t, err2(tool.Move(ctx, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: "cli-1"})))
	last := server.relayOnce(ctx, 0)
	<-sub.C
	clock.Add(relayKeep + time.Minute)
	if rep := purge(t, server); rep["relayed events"] != 1 {
		t.Fatalf("purge %v: want the relayed event pruned", rep)
	}
	must(t, err2(tool.Move(ctx, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant, Reference: "cli-2"})))
	if server.relayOnce(ctx, last) == last || len(sub.C) != 1 {
		t.Fatal("the tool's event after the pruning was never relayed")
	}
}

// atVersion builds a database at the schema of the migrations up to
// version and returns the writer of a store over it, for tests that start
// from an older release's database.
func atVersion(t *testing.T, path string, version int) *Store {
	t.Helper()
	all, err := loadMigrations()
	must(t, err)
	var upto []migration
	for _, m := range all {
		if m.version <= version {
			upto = append(upto, m)
		}
	}
	w, err := sql.Open("sqlite", path+"?_foreign_keys=on&_txlock=immediate&_journal_mode=wal")
	must(t, err)
	w.SetMaxOpenConns(1)
	old := &Store{path: path, dialect: sqliteDialect, w: w, hub: NewHub(), now: time.Now}
	must(t, old.applyMigrations(context.Background(), upto))
	return old
}

// schemaOf lists the database's tables and indexes: name → SQL.
func schemaOf(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'sqlite_sequence'`)
	must(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, q string
		must(t, rows.Scan(&name, &q))
		out[name] = q
	}
	return out
}

// A database of the previous release that already lost its newest
// reservation and support thread (an erased account): after the
// migration the next ids are above every id the ledger and the audit
// trail name, and the schema is the same but for AUTOINCREMENT.
func TestMigrationNeverReissuesNamedIDs(t *testing.T) {
	sqliteOnly(t, "it upgrades a SQLite database made by older migrations")
	path := filepath.Join(t.TempDir(), "wantsms.db")
	old := atVersion(t, path, 7)
	before := schemaOf(t, old.w)
	for _, q := range []string{
		`INSERT INTO users (id, email, balance_cents, created_at) VALUES (1, 'alice@example.com', 75, 0),
			(2, NULL, 0, 0), (3, 'boss@example.com', 0, 0)`,
		`INSERT INTO reservations (id, user_id, service, country, phone, provider, provider_ref, cost_micros,
			price_cents, state, created_at, expires_at, cancel_after) VALUES
			(1, 1, 'telegram', 'gb', '+447700900123', 'sim', 'a1', 1, 25, 'active', 0, 9e9, 0),
			(2, 2, 'telegram', 'gb', '+447700900124', 'sim', 'b1', 1, 25, 'active', 0, 9e9, 0),
			(3, 2, 'telegram', 'gb', '+447700900125', 'sim', 'b2', 1, 25, 'active', 0, 9e9, 0)`,
		`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at) VALUES
			(1, 100, 'grant', 'g1', 0), (1, -25, 'reserve', 'res:1', 0),
			(2, 50, 'grant', 'g2', 0), (2, -25, 'reserve', 'res:2', 0), (2, -25, 'reserve', 'res:3', 0)`,
		`INSERT INTO support_threads (id, user_id, status, created_at, updated_at, user_seen_id) VALUES
			(1, 1, 'closed', 0, 0, 1), (2, 2, 'open', 0, 0, 3)`,
		`INSERT INTO support_messages (id, thread_id, from_staff, body, created_at) VALUES
			(1, 1, 0, 'hi', 0), (2, 2, 0, 'help', 0), (3, 2, 1, 'sure', 0)`,
		`INSERT INTO admin_audit (actor_id, action, target_user_id, target, created_at) VALUES
			(3, 'support.reply', 2, 'thread:2', 0)`,
		// What the previous release's erasure and pruning did.
		`DELETE FROM messages WHERE reservation_id IN (SELECT id FROM reservations WHERE user_id = 2)`,
		`DELETE FROM reservations WHERE user_id = 2`,
		`DELETE FROM support_messages WHERE thread_id = 2`,
		`DELETE FROM support_threads WHERE user_id = 2`,
	} {
		if _, err := old.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, old.w.Close())
	// The schema as 0008 leaves it: later migrations may change tables
	// for their own reasons.
	at8 := atVersion(t, path, 8)
	after := schemaOf(t, at8.w)
	must(t, at8.w.Close())

	s, err := Open(path, Options{})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	alice, err := s.UserByID(ctx, 1)
	must(t, err)
	reserveAndCheckDebit(t, s, alice, 3)
	m, err := s.WriteSupport(ctx, alice.ID, "again")
	must(t, err)
	if m.ThreadID <= 2 {
		t.Errorf("new support thread %d: want it above 2, which the audit trail names", m.ThreadID)
	}

	rebuilt := regexp.MustCompile(`^CREATE TABLE "?(\w+?)"? \(`)
	for name, q := range before {
		got, ok := after[name]
		if !ok {
			t.Errorf("%s is gone", name)
			continue
		}
		if strings.HasPrefix(got, `CREATE TABLE "`) { // rebuilt: renamed into place
			got = rebuilt.ReplaceAllString(got, "CREATE TABLE $1 (")
			got = strings.Replace(got, "INTEGER PRIMARY KEY AUTOINCREMENT,", "INTEGER PRIMARY KEY,", 1)
		}
		if got != q {
			t.Errorf("%s changed:\n%s\nwas\n%s", name, got, q)
		}
	}
	for _, table := range []string{"reservations", "messages", "support_threads", "support_messages", "ssh_keys",
		"security_events", "event_relay"} {
		if !strings.Contains(after[table], "AUTOINCREMENT") {
			t.Errorf("%s is not AUTOINCREMENT", table)
		}
	}
}

// A reservation is never recorded without its own debit: should the
// ledger already hold its reference (a forged or restored row), the
// reservation is refused and nothing is written.
func TestReservationRefusedWhenItsReferenceIsTaken(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	alice, mallory := newUser(t, s, "alice@example.com"), newUser(t, s, "mallory@example.com")
	credit(t, s, alice, 100)
	credit(t, s, mallory, 100)
	first := reserveAndCheckDebit(t, s, alice)
	must(t, err2(s.Move(ctx, Movement{UserID: mallory.ID, AmountCents: -1, Kind: LedgerReserve,
		Reference: ResRef(first.ID + 1)})))
	if _, err := s.CreateReservation(ctx, newRes(alice, 25)); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("reservation over a used reference: %v", err)
	}
	var n int
	must(t, s.r.QueryRow(`SELECT COUNT(*) FROM reservations`).Scan(&n))
	if n != 1 || resBalance(t, s, alice) != 75 {
		t.Fatalf("%d reservations, balance %d: the refused reservation left a trace", n, resBalance(t, s, alice))
	}
}

// The audit purge deletes every row once the admins were quiet for
// AuditRetention; an admin's credit then gets a new audit id all the
// same, never one an old correction's ledger row ("audit:1") names, or
// its money would not move while the audit row said it did.
func TestPurgedAuditIDsAreNeverReused(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	first, err := s.CreditAsAdmin(ctx, admin, bob.Email, 100, "goodwill")
	must(t, err)
	clock.Add(AuditRetention + day)
	if rep := purge(t, s); rep[PurgeAudit] != 1 {
		t.Fatalf("purge %v: want the one audit row gone", rep)
	}
	again, err := s.CreditAsAdmin(ctx, admin, bob.Email, 200, "goodwill again")
	must(t, err)
	if again.AuditID <= first.AuditID {
		t.Errorf("the second credit's audit row got id %d, not above the purged %d the ledger names",
			again.AuditID, first.AuditID)
	}
	if u, err := s.UserByID(ctx, bob.ID); err != nil || u.BalanceCents != 300 {
		t.Fatalf("bob's balance %d (%v) after credits of 100 and 200: want 300", u.BalanceCents, err)
	}
	checkLedger(t, s)
}

// A database of the previous release whose audit trail the purge already
// emptied: after the migration the next audit id is above every one the
// ledger names.
func TestMigrationNeverReissuesPurgedAuditIDs(t *testing.T) {
	sqliteOnly(t, "it upgrades a SQLite database made by older migrations")
	path := filepath.Join(t.TempDir(), "wantsms.db")
	old := atVersion(t, path, 11)
	for _, q := range []string{
		`INSERT INTO users (id, email, balance_cents, created_at) VALUES (1, 'bob@example.com', 100, 0)`,
		`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at) VALUES (1, 100, 'adjust', 'audit:5', 0)`,
	} {
		if _, err := old.w.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must(t, old.w.Close())
	s, err := Open(path, Options{})
	must(t, err)
	defer s.Close()
	admin := newAdmin(t, s, "boss@example.com")
	c, err := s.CreditAsAdmin(context.Background(), admin, "bob@example.com", 200, "goodwill")
	must(t, err)
	if c.AuditID <= 5 || c.BalanceCents != 300 {
		t.Fatalf("credit after the migration: audit id %d (want above 5, which the ledger names), balance %d (want 300)",
			c.AuditID, c.BalanceCents)
	}
	checkLedger(t, s)
}
