package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// endedRes reserves a number for u with an SMS whose body holds marker,
// and ends it now.
func endedRes(t *testing.T, s *Store, u User, marker string) Reservation {
	t.Helper()
	ctx := context.Background()
	n := newRes(u, 20)
	n.ProviderRef = "ref-" + marker
	r, err := s.CreateReservation(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	must(t, err2(s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "sms-" + marker, Body: "code 777 " + marker, Code: "777"})))
	if r, err = s.EndReservation(ctx, r.ID, ResFinished); err != nil {
		t.Fatal(err)
	}
	return r
}

func purge(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	rep, err := s.Purge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep.Removed
}

func wantRemoved(t *testing.T, got map[string]int64, details, notes, sms, numbers int64) {
	t.Helper()
	if got[PurgeReservationDetails] != details || got[PurgeLedgerNotes] != notes || got[PurgeMessages] != sms ||
		got[PurgeReservations] != numbers {
		t.Fatalf("purge removed %v; want details %d, notes %d, SMS %d, numbers %d", got, details, notes, sms, numbers)
	}
}

// Six months after a reservation ended its operational details go; a year
// after, the reservation and its SMS go and its ledger rows keep only
// amount, kind and reference. Open numbers, younger ones, other rows and
// the books are untouched.
func TestRetentionOfReservations(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "old@example.com")
	credit(t, s, u, 1000)
	a := endedRes(t, s, u, "first") // day 0
	clock.Add(100 * day)
	b := endedRes(t, s, u, "second") // day 100
	open, err := s.CreateReservation(ctx, newRes(u, 20))
	if err != nil {
		t.Fatal(err)
	}
	ledgerBefore, _ := s.Ledger(ctx, u.ID, 100)
	balanceBefore := resBalance(t, s, u)

	clock.Add(80*day - time.Hour) // day 180 less an hour: nothing yet
	wantRemoved(t, purge(t, s), 0, 0, 0, 0)
	clock.Add(2 * time.Hour)
	wantRemoved(t, purge(t, s), 1, 0, 0, 0)
	wantRemoved(t, purge(t, s), 0, 0, 0, 0) // done once

	got, err := s.UserReservation(ctx, u.ID, a.ID)
	if err != nil || got.Provider != "" || got.ProviderRef != "" || got.CostMicros != 0 ||
		len(got.Messages) != 1 || got.Messages[0].ProviderID == "sms-first" {
		t.Fatalf("after 6 months: %+v %v; want the details gone", got, err)
	}
	if got.Phone != a.Phone || got.Service != a.Service || got.Country != a.Country || got.PriceCents != a.PriceCents ||
		got.Messages[0].Body != "code 777 first" || got.Messages[0].Code != "777" || got.State != ResFinished {
		t.Fatalf("after 6 months: %+v; want the person's history intact", got)
	}
	if page, _, _ := s.History(ctx, u.ID, HistoryQuery{}); len(page) != 2 {
		t.Fatalf("history after 6 months: %d numbers, want 2", len(page))
	}
	for _, r := range []Reservation{b, open} {
		if got, _ := s.Reservation(ctx, r.ID); got.ProviderRef != r.ProviderRef || got.CostMicros != r.CostMicros {
			t.Fatalf("a younger or open reservation lost its details: %+v", got)
		}
	}

	clock.Add(185 * day) // day 365 + 4: a's year is over, b is 6 months old
	wantRemoved(t, purge(t, s), 1, 1, 1, 1)
	if _, err := s.Reservation(ctx, a.ID); err != ErrNoReservation {
		t.Fatalf("after a year: %v, want the reservation gone", err)
	}
	var msgs int
	s.r.QueryRow(`SELECT COUNT(*) FROM messages WHERE reservation_id = ?`, a.ID).Scan(&msgs)
	if msgs != 0 {
		t.Fatalf("%d SMS left of a deleted number", msgs)
	}
	ledgerAfter, _ := s.Ledger(ctx, u.ID, 100)
	if len(ledgerAfter) != len(ledgerBefore) || resBalance(t, s, u) != balanceBefore {
		t.Fatalf("ledger %d rows (was %d), balance %d (was %d): accounting must keep them",
			len(ledgerAfter), len(ledgerBefore), resBalance(t, s, u), balanceBefore)
	}
	for _, l := range ledgerAfter {
		if l.Reference == ResRef(a.ID) && l.Note != "" {
			t.Fatalf("the ledger row of a deleted number keeps %q", l.Note)
		}
		if l.Reference == ResRef(b.ID) && l.Note == "" {
			t.Fatal("the ledger note of a younger number went")
		}
	}
	if got, err := s.Reservation(ctx, open.ID); err != nil || got.ProviderRef != open.ProviderRef {
		t.Fatalf("the open reservation: %+v %v", got, err)
	}
	checkLedger(t, s)
}

// What the purge removes does not stay readable in the database files:
// secure_delete zeroes it and the write-ahead log is truncated.
func TestPurgedTextLeavesTheFiles(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "files@example.com")
	credit(t, s, u, 1000)
	const sms, ref = "zq7-sms-marker-4f1c", "zq7-ref-marker-9b2e"
	r := endedRes(t, s, u, "x")
	must(t, s.write(ctx, func(tx *Tx) error { // markers only this test writes
		if _, err := tx.ExecContext(ctx, `UPDATE reservations SET provider_ref = ? WHERE id = ?`, ref, r.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE messages SET body = ? WHERE reservation_id = ?`, sms, r.ID)
		return err
	}))
	endedRes(t, s, u, "kept") // ended later, for a row that stays
	must(t, s.truncateWAL(ctx))
	if files := fileBytes(t, s); files != "" && (!strings.Contains(files, sms) || !strings.Contains(files, ref)) {
		t.Fatal("the markers are not in the files before the purge: the search below proves nothing")
	}

	clock.Add(ReservationDetailRetention + day)
	purge(t, s)
	if files := fileBytes(t, s); files != "" && (strings.Contains(files, ref) || !strings.Contains(files, sms)) {
		t.Fatalf("after 6 months: reference in files %v (want false), SMS %v (want true)",
			strings.Contains(files, ref), strings.Contains(files, sms))
	}
	clock.Add(HistoryRetention)
	purge(t, s)
	if strings.Contains(fileBytes(t, s), sms) {
		t.Fatal("the purged SMS is still readable in the database files")
	}
	checkLedger(t, s)
}

// The hourly purge reaches its rows through an index, never a scan of
// every reservation.
func TestPurgeQueriesUseTheirIndexes(t *testing.T) {
	sqliteOnly(t, "it reads SQLite's query plans")
	s, _ := openTest(t)
	for q, index := range map[string]string{detailsDue: "reservations_details", historyDue: "reservations_ended",
		ordersDue: "orders_closed", supportDue: "support_threads_status",
		auditDue: "admin_audit_created", hookLogDue: "webhook_deliveries_done"} {
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+q, 1)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "INDEX "+index+" ") {
			t.Errorf("%s\nplan %q, want index %s", q, p, index)
		}
	}
}
