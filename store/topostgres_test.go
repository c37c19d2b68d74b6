package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/store/storetest"
)

// fillForCopy writes through the store's own API something in every
// table of the schema: two people with keys, webhooks, top-ups, numbers
// with SMS, support; an admin's credit, price and provider settings; an
// API key, a favourite, a notice turned off, a pending key, a reset code,
// a rental extended with an SMS; then erases the second person, whose
// rows (the newest ids of several tables) go. It returns the two people.
func fillForCopy(t *testing.T, s *Store) (alice, bob person) {
	t.Helper()
	ctx := context.Background()
	alice = newPerson(t, s, "alice", "203.0.113.10")
	bob = newPerson(t, s, "bob", "203.0.113.20")
	boss := newAdmin(t, s, "boss@example.com")
	must(t, err2(s.CreditAsAdmin(ctx, boss, alice.Email(), 500, "goodwill")))
	must(t, err2(s.SetPriceOverride(ctx, boss, "telegram", "gb", 12000)))
	must(t, s.SetProviderEnabled(ctx, boss, "sim", false))
	if _, _, err := s.CreateAPIKey(ctx, alice.User.ID, "script", alice.Origin); err != nil {
		t.Fatal(err)
	}
	must(t, err2(s.AddFavourite(ctx, alice.User.ID, "telegram", "gb")))
	must(t, s.SetNotice(ctx, alice.User.ID, MailTopupReceipt, false))
	must(t, err2(s.AddPendingKey(ctx, alice.User.ID, SpecOf(newPub(t)), "tablet", alice.Origin)))
	must(t, s.RequestPasswordReset(ctx, alice.Email(), alice.Origin))
	r := mustRent(t, s, newRental(alice.User, 200, 1))
	must(t, err2(s.AddRentalMessage(ctx, r.ID, NewMessage{ProviderID: "rsms-1", Sender: "Bank", Body: "code 5150",
		Code: "5150"})))
	if _, _, err := s.ExtendRental(ctx, NewExtension{UserID: alice.User.ID, RentalID: r.ID, Days: 1, Period: day,
		PriceCents: 200, CostMicros: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	must(t, s.DeleteAccount(ctx, bob.User.ID, "correct horse", bob.Origin))
	return alice, bob
}

// acrossDump is the store's storetest.DumpAcross, as lines.
func acrossDump(t *testing.T, s *Store, skip ...string) []string {
	t.Helper()
	dump, err := storetest.DumpAcross(s.r.DB, skip...)
	must(t, err)
	return strings.Split(strings.TrimSpace(dump), "\n")
}

// A SQLite database filled through the store's API moves to PostgreSQL
// whole: every row of every table with its id, the books still sound
// there, and ids never issued twice: the next number gets an id above
// every one SQLite ever gave, those of the erased person included. A
// second copy into the now filled database is refused.
func TestMigrationToPostgresKeepsEveryRowAndID(t *testing.T) {
	if !onPostgres() {
		t.Skip("runs in the PostgreSQL pass: it copies a SQLite database into PostgreSQL")
	}
	ctx := context.Background()
	src, err := Open(sqliteTemplate.Path(t), Options{Relay: true}) // Relay: rows in event_relay too
	must(t, err)
	t.Cleanup(func() { src.Close() })
	alice, bob := fillForCopy(t, src)
	counts, err := src.RowCounts(ctx)
	must(t, err)
	for table, n := range counts {
		if n == 0 && table != "ssh_host_key" && table != "btc_claims" && table != "signin_throttle" {
			t.Errorf("the filled database has no row in %s: fill it too", table)
		}
	}

	dst := openTestWith(t, Options{})
	hostKey := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nthe data directory's\n-----END OPENSSH PRIVATE KEY-----\n")
	copied, err := CopyToPostgres(ctx, src, dst, hostKey)
	must(t, err)
	if len(copied) != len(counts) {
		t.Fatalf("copied %d tables, SQLite has %d", len(copied), len(counts))
	}
	for _, c := range copied {
		if c.Rows != counts[c.Table] {
			t.Errorf("%s: copied %d rows of %d", c.Table, c.Rows, counts[c.Table])
		}
	}
	if a, b := acrossDump(t, src, "schema_migrations", "ssh_host_key"),
		acrossDump(t, dst, "schema_migrations", "ssh_host_key"); !slices.Equal(a, b) {
		t.Fatalf("the databases differ:\nSQLite only:\n%s\nPostgreSQL only:\n%s", strings.Join(missing(a, b), "\n"),
			strings.Join(missing(b, a), "\n"))
	}
	stored, err := dst.HostKey(ctx, []byte("another"))
	must(t, err)
	if string(stored) != string(hostKey) {
		t.Errorf("host key on PostgreSQL %q, want the data directory's", stored)
	}
	was, err := src.Check(ctx)
	must(t, err)
	rep, err := dst.Check(ctx)
	must(t, err)
	if !rep.OK() || rep.Users != was.Users || rep.LedgerRows != was.LedgerRows {
		t.Fatalf("check on PostgreSQL: %+v; on SQLite: %+v", rep, was)
	}

	// Ids go on above every id SQLite handed out, the erased ones too.
	funded := alice.User
	res, err := dst.CreateReservation(ctx, newRes(funded, 30))
	must(t, err)
	if res.ID <= bob.Open.ID {
		t.Fatalf("new reservation id %d, SQLite's last was %d", res.ID, bob.Open.ID)
	}
	// SQLite remembers the ids of the erased person's support messages,
	// above every one left.
	var left, seq int64
	must(t, src.r.QueryRow(`SELECT MAX(id) FROM support_messages`).Scan(&left))
	must(t, src.r.QueryRow(`SELECT seq FROM sqlite_sequence WHERE name = 'support_messages'`).Scan(&seq))
	if seq <= left {
		t.Fatalf("support messages: SQLite's counter %d, highest id left %d: the erasure removed none", seq, left)
	}
	m, err := dst.WriteSupport(ctx, funded.ID, "a new question")
	must(t, err)
	if m.ID <= seq {
		t.Fatalf("new support message id %d, SQLite's last was %d", m.ID, seq)
	}

	if _, err := CopyToPostgres(ctx, src, dst, nil); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("a copy into a filled database: %v", err)
	}
}

// missing is the lines of a that b lacks.
func missing(a, b []string) []string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, l)
		}
	}
	return out
}
