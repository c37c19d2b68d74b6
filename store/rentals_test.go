package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

var rentSeq int

func newRental(u User, price int64, days int) NewRental {
	rentSeq++
	return NewRental{UserID: u.ID, Service: "telegram", Country: "gb", Phone: "+447700900456", Provider: "sim",
		ProviderRef: fmt.Sprint(5000 + rentSeq), CostMicros: 1_000_000, PriceCents: price, Days: days,
		Period: time.Duration(days) * day, CancelWindow: 20 * time.Minute, MaxOpen: 10}
}

func mustRent(t testing.TB, s *Store, n NewRental) Rental {
	t.Helper()
	r, err := s.CreateRental(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ledgerRows counts the ledger rows of a kind and reference, and sums them.
func ledgerRows(t testing.TB, s *Store, kind LedgerKind, ref string) (int, int64) {
	t.Helper()
	var n int
	var sum int64
	if err := s.r.QueryRow(`SELECT COUNT(*), COALESCE(SUM(amount_cents), 0) FROM ledger WHERE kind = ? AND reference = ?`,
		kind, ref).Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	return n, sum
}

// A rental's life in the books: its debit when rented, an extension's
// debit (and its time), an extension the provider refused paid back once
// with its time taken off, nothing at its end; check holds after each.
func TestRentalPaidExtendedAndEndedInTheLedger(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "renter@example.com")
	credit(t, s, u, 5000)
	r := mustRent(t, s, newRental(u, 900, 7))
	if r.State != RentActive || !r.EndsAt.Equal(clock.Now().Add(7*day)) || !r.CancelUntil.Equal(clock.Now().Add(20*time.Minute)) {
		t.Fatalf("rental %+v", r)
	}
	if n, sum := ledgerRows(t, s, LedgerRent, RentRef(r.ID)); n != 1 || sum != -900 {
		t.Fatalf("debit of %s: %d rows, %d cents", RentRef(r.ID), n, sum)
	}
	checkLedger(t, s)

	clock.Add(time.Hour)
	r2, ext, err := s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: r.ID, Days: 7, Period: 7 * day,
		PriceCents: 800, CostMicros: 900_000})
	must(t, err)
	if !r2.EndsAt.Equal(r.EndsAt.Add(7*day)) || r2.CancelUntil.After(clock.Now()) {
		t.Fatalf("after the extension: ends %v, cancel until %v", r2.EndsAt, r2.CancelUntil)
	}
	if n, sum := ledgerRows(t, s, LedgerRentExtend, RentExtRef(ext.ID)); n != 1 || sum != -800 {
		t.Fatalf("extension debit: %d rows, %d cents", n, sum)
	}
	checkLedger(t, s)

	// A second extension, refused upstream: paid back once, its time off.
	_, ext2, err := s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: r.ID, Days: 1, Period: day,
		PriceCents: 150, CostMicros: 100_000})
	must(t, err)
	for range 2 {
		_, err := s.UndoExtension(ctx, ext2.ID)
		must(t, err)
	}
	if n, sum := ledgerRows(t, s, LedgerRentRefund, RentExtRef(ext2.ID)); n != 1 || sum != 150 {
		t.Fatalf("refused extension's refund: %d rows, %d cents", n, sum)
	}
	got, err := s.UserRental(ctx, u.ID, r.ID)
	must(t, err)
	if !got.EndsAt.Equal(r2.EndsAt) || got.PaidCents() != 1700 || got.TotalDays() != 14 {
		t.Fatalf("after the refused extension: ends %v (want %v), paid %d, days %d", got.EndsAt, r2.EndsAt,
			got.PaidCents(), got.TotalDays())
	}
	checkLedger(t, s)

	if _, err := s.EndRental(ctx, r.ID); !errors.Is(err, ErrRentalNotDue) {
		t.Fatalf("ending before its end: %v", err)
	}
	clock.Add(14 * day)
	ended, err := s.EndRental(ctx, r.ID)
	must(t, err)
	if ended.State != RentEnded || ended.RefundCents != 0 {
		t.Fatalf("ended %+v", ended)
	}
	if _, err := s.EndRental(ctx, r.ID); !errors.Is(err, ErrRentalEnded) {
		t.Fatalf("ending twice: %v", err)
	}
	if _, _, err := s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: r.ID, Days: 1, Period: day,
		PriceCents: 150}); !errors.Is(err, ErrRentalEnded) {
		t.Fatalf("extending an ended rental: %v", err)
	}
	if bal := resBalance(t, s, u); bal != 5000-900-800 {
		t.Fatalf("balance %d, want %d", bal, 5000-900-800)
	}
	checkLedger(t, s)
}

// A cancel is refunded in full, once, and only by the market's rule:
// within the cancel window, before an SMS and before an extension.
func TestRentalCancelRuleAndRefundOnce(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "c@example.com")
	other := newUser(t, s, "other@example.com")
	credit(t, s, u, 10_000)

	early := mustRent(t, s, newRental(u, 700, 1))
	if _, err := s.CancelRental(ctx, other.ID, early.ID); !errors.Is(err, ErrNoRental) {
		t.Fatalf("another account's cancel: %v", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = s.CancelRental(ctx, u.ID, early.ID) }()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, ErrRentalEnded) {
			t.Fatalf("racing cancel: %v", err)
		}
	}
	if n, sum := ledgerRows(t, s, LedgerRentRefund, RentRef(early.ID)); ok != 1 || n != 1 || sum != 700 {
		t.Fatalf("%d cancels went through, %d refunds of %d cents", ok, n, sum)
	}

	withSMS := mustRent(t, s, newRental(u, 700, 1))
	must(t, err2(s.AddRentalMessage(ctx, withSMS.ID, NewMessage{ProviderID: "1", Body: "code 1234", Code: "1234"})))
	if _, err := s.CancelRental(ctx, u.ID, withSMS.ID); !errors.Is(err, ErrRentalSMSCame) ||
		!strings.HasPrefix(err.Error(), "CANT_CANCEL") {
		t.Fatalf("cancel after an SMS: %v", err)
	}
	extended := mustRent(t, s, newRental(u, 700, 1))
	must(t, err3(s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: extended.ID, Days: 1, Period: day, PriceCents: 600})))
	if _, err := s.CancelRental(ctx, u.ID, extended.ID); !errors.Is(err, ErrRentalExtended) {
		t.Fatalf("cancel after an extension: %v", err)
	}
	late := mustRent(t, s, newRental(u, 700, 1))
	clock.Add(20 * time.Minute)
	var w *CancelWindowError
	if _, err := s.CancelRental(ctx, u.ID, late.ID); !errors.As(err, &w) ||
		err.Error() != "CANT_CANCEL: a rental can be cancelled only in its first 20 minutes, before any SMS came" {
		t.Fatalf("cancel after 20 minutes: %v", err)
	}
	never := newRental(u, 700, 1)
	never.CancelWindow = 0
	if _, err := s.CancelRental(ctx, u.ID, mustRent(t, s, never).ID); !errors.Is(err, ErrRentalNoCancel) {
		t.Fatalf("cancel of a provider that takes none back: %v", err)
	}
	checkLedger(t, s)
}

// A rental the provider ends before its time gives back what was paid for
// the time left: in full while it could still have been cancelled, the
// unused share (rounded down) after.
func TestFailedRentalRefundsTheUnusedPart(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "f@example.com")
	credit(t, s, u, 10_000)

	fresh := mustRent(t, s, newRental(u, 999, 1))
	clock.Add(5 * time.Minute)
	if r, err := s.FailRental(ctx, fresh.ID); err != nil || r.State != RentFailed || r.RefundCents != 999 {
		t.Fatalf("failed in its cancel window: %+v %v", r, err)
	}

	used := mustRent(t, s, newRental(u, 1000, 7))
	must(t, err2(s.AddRentalMessage(ctx, used.ID, NewMessage{ProviderID: "a", Body: "hi"})))
	_, ext, err := s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: used.ID, Days: 7, Period: 7 * day, PriceCents: 400})
	must(t, err)
	_ = ext
	clock.Add(49 * time.Hour / 10 * 10) // 49 hours of 14 days
	r, err := s.FailRental(ctx, used.ID)
	must(t, err)
	left, whole := int64(14*24-49), int64(14*24)
	if want := 1400 * left / whole; r.State != RentFailed || r.RefundCents != want {
		t.Fatalf("failed after 49 h of 14 days: %+v, want %d cents back", r, want)
	}
	if _, err := s.FailRental(ctx, used.ID); !errors.Is(err, ErrRentalEnded) {
		t.Fatalf("failing twice: %v", err)
	}
	if n, _ := ledgerRows(t, s, LedgerRentRefund, RentRef(used.ID)); n != 1 {
		t.Fatalf("%d refunds", n)
	}

	over := mustRent(t, s, newRental(u, 500, 1))
	clock.Add(day)
	if r, err := s.FailRental(ctx, over.ID); err != nil || r.State != RentEnded || r.RefundCents != 0 {
		t.Fatalf("gone upstream at its end: %+v %v", r, err)
	}
	checkLedger(t, s)
}

// The notice of a rental's end is given once per end, not before it is
// due, mailed only to a verified address that did not turn it off, and an
// extension makes the next end's notice due in its time.
func TestRentalNoticeOncePerEnd(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "n@example.com")
	credit(t, s, u, 10_000)
	_, err := s.MarkEmailVerified(ctx, u.Email, "test")
	must(t, err)
	quiet := newUser(t, s, "quiet@example.com")
	credit(t, s, quiet, 10_000)
	_, err = s.MarkEmailVerified(ctx, quiet.Email, "test")
	must(t, err)
	must(t, s.SetNotice(ctx, quiet.ID, MailRentalEnding, false))

	r := mustRent(t, s, newRental(u, 700, 1))
	q := mustRent(t, s, newRental(quiet, 700, 1))
	lead := NoticeLead(r, day)
	if lead != 6*time.Hour {
		t.Fatalf("lead of a 1-day rental: %v", lead)
	}
	mails := func(who User) int {
		return count(t, s, `SELECT COUNT(*) FROM outbox WHERE user_id = ? AND kind = ?`, who.ID, MailRentalEnding)
	}
	if given, err := s.GiveRentalNotice(ctx, r.ID, lead); err != nil || given {
		t.Fatalf("notice a day early: %v %v", given, err)
	}
	clock.Add(18 * time.Hour)
	for i := range 3 {
		given, err := s.GiveRentalNotice(ctx, r.ID, lead)
		if err != nil || given != (i == 0) {
			t.Fatalf("notice %d: %v %v", i, given, err)
		}
		if _, err := s.GiveRentalNotice(ctx, q.ID, lead); err != nil {
			t.Fatal(err)
		}
	}
	if mails(u) != 1 || mails(quiet) != 0 {
		t.Fatalf("mails: %d to the person, %d to the one who turned them off", mails(u), mails(quiet))
	}
	got, err := s.UserRental(ctx, u.ID, r.ID)
	must(t, err)
	if !got.Noticed() {
		t.Fatal("the rental is not marked noticed")
	}
	got, _, err = s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: r.ID, Days: 7, Period: 7 * day, PriceCents: 600})
	must(t, err)
	if got.Noticed() {
		t.Fatal("an extended rental still counts as noticed")
	}
	if given, err := s.GiveRentalNotice(ctx, r.ID, NoticeLead(got, day)); err != nil || given {
		t.Fatalf("notice right after the extension: %v %v", given, err)
	}
	clock.Add(7 * day)
	if given, err := s.GiveRentalNotice(ctx, r.ID, NoticeLead(got, day)); err != nil || !given || mails(u) != 2 {
		t.Fatalf("notice of the new end: %v %v, %d mails", given, err, mails(u))
	}
	checkLedger(t, s)
}

// Six months after a rental ended its operational details go, a year
// after the rental, its extensions and SMS go; the ledger rows stay, with
// their notes cleared, and check holds all along. Their ids are never
// handed out again.
func TestRetentionOfRentals(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "old@example.com")
	credit(t, s, u, 10_000)
	r := mustRent(t, s, newRental(u, 700, 1))
	must(t, err2(s.AddRentalMessage(ctx, r.ID, NewMessage{ProviderID: "up-1", Body: "code 4242 oldrentaltag"})))
	must(t, err3(s.ExtendRental(ctx, NewExtension{UserID: u.ID, RentalID: r.ID, Days: 1, Period: day, PriceCents: 600,
		CostMicros: 500_000})))
	clock.Add(2 * day)
	must(t, err2(s.EndRental(ctx, r.ID)))

	clock.Add(ReservationDetailRetention + time.Hour)
	got := purge(t, s)
	if got[PurgeRentalDetails] != 1 || got[PurgeRentals] != 0 {
		t.Fatalf("after 6 months: %v", got)
	}
	var provider, ref, msgID string
	var cost, extCost int64
	must(t, s.r.QueryRow(`SELECT provider, provider_ref, cost_micros FROM rentals WHERE id = ?`, r.ID).Scan(&provider, &ref, &cost))
	must(t, s.r.QueryRow(`SELECT provider_id FROM rental_messages WHERE rental_id = ?`, r.ID).Scan(&msgID))
	must(t, s.r.QueryRow(`SELECT cost_micros FROM rental_extensions WHERE rental_id = ?`, r.ID).Scan(&extCost))
	if provider != "" || ref != "" || cost != 0 || extCost != 0 || !strings.HasPrefix(msgID, "purged:") {
		t.Fatalf("details left: %q %q %d %d %q", provider, ref, cost, extCost, msgID)
	}
	if h, err := s.RentalHistory(ctx, u.ID, 0); err != nil || len(h) != 1 || len(h[0].Messages) != 1 {
		t.Fatalf("the person's view went with the details: %+v %v", h, err)
	}
	checkLedger(t, s)

	clock.Add(HistoryRetention - ReservationDetailRetention + day)
	got = purge(t, s)
	if got[PurgeRentals] != 1 || got[PurgeRentalMessages] != 1 || got[PurgeRentalNotes] != 2 {
		t.Fatalf("after a year: %v", got)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM rental_extensions`); n != 0 {
		t.Fatalf("%d extensions left", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM ledger WHERE kind IN ('rent', 'rent_extend') AND note <> ''`); n != 0 {
		t.Fatalf("%d ledger notes still name the rental", n)
	}
	checkLedger(t, s)
	again := mustRent(t, s, newRental(u, 700, 1))
	if again.ID <= r.ID {
		t.Fatalf("a new rental got id %d, not above the purged %d", again.ID, r.ID)
	}
	checkLedger(t, s)
}

// The purge reaches rentals through their indexes.
func TestRentalPurgeQueriesUseTheirIndexes(t *testing.T) {
	sqliteOnly(t, "it reads SQLite's query plans")
	s, _ := openTest(t)
	for q, index := range map[string]string{rentalDetailsDue: "rentals_details", rentalHistoryDue: "rentals_ended"} {
		rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+q, 1)
		must(t, err)
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

// An erasure deletes the account's rentals with their SMS and extensions,
// gives active ones back upstream first, keeps the ledger rows (notes
// cleared), and their ids are never handed out again.
func TestErasureOfRentals(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	gone := newUser(t, s, "gone@example.com")
	stay := newUser(t, s, "stay@example.com")
	credit(t, s, gone, 5000)
	credit(t, s, stay, 5000)
	r := mustRent(t, s, newRental(gone, 700, 7))
	must(t, err2(s.AddRentalMessage(ctx, r.ID, NewMessage{ProviderID: "x", Body: "rentalerasetag 1234"})))
	must(t, err3(s.ExtendRental(ctx, NewExtension{UserID: gone.ID, RentalID: r.ID, Days: 1, Period: day, PriceCents: 100})))
	kept := mustRent(t, s, newRental(stay, 700, 1))
	var released []int64
	s.SetRentalReleaser(func(_ context.Context, open []Rental) {
		for _, o := range open {
			released = append(released, o.ID)
		}
	})
	must(t, s.DeleteAccount(ctx, gone.ID, "correct horse", origin))
	if len(released) != 1 || released[0] != r.ID {
		t.Fatalf("given back before the erasure: %v, want [%d]", released, r.ID)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM rentals WHERE user_id = ?`,
		`SELECT COUNT(*) FROM rental_messages m JOIN rentals r ON r.id = m.rental_id WHERE r.user_id = ?`,
		`SELECT COUNT(*) FROM ledger WHERE user_id = ? AND note <> '' AND kind IN ('rent', 'rent_extend')`} {
		if n := count(t, s, q, gone.ID); n != 0 {
			t.Fatalf("%s: %d left", q, n)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM rental_messages WHERE body LIKE '%rentalerasetag%'`); n != 0 {
		t.Fatal("the erased rental's SMS is still there")
	}
	if n := count(t, s, `SELECT COUNT(*) FROM ledger WHERE user_id = ? AND kind IN ('rent', 'rent_extend')`, gone.ID); n != 2 {
		t.Fatalf("%d of the erased account's rental ledger rows left, want 2", n)
	}
	if e, err := s.Export(ctx, stay.ID); err != nil || len(e.Rentals) != 1 || e.Rentals[0].ID != kept.ID {
		t.Fatalf("the other account's rentals: %+v %v", e.Rentals, err)
	}
	checkLedger(t, s)
	if next := mustRent(t, s, newRental(stay, 700, 1)); next.ID <= r.ID {
		t.Fatalf("a new rental got id %d, not above the erased %d", next.ID, r.ID)
	}
	checkLedger(t, s)
}

// Check finds rental ledger rows that name another account's rental, an
// extension or rental of nobody, a refund the rental does not record, and
// rentals or extensions without their debit.
func TestCheckFindsRentalReferenceProblems(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	alice := newUser(t, s, "alice@example.com")
	bob := newUser(t, s, "bob@example.com")
	credit(t, s, alice, 5000)
	credit(t, s, bob, 5000)
	a := mustRent(t, s, newRental(alice, 700, 1))
	_, ext, err := s.ExtendRental(ctx, NewExtension{UserID: alice.ID, RentalID: a.ID, Days: 1, Period: day, PriceCents: 300})
	must(t, err)
	b := mustRent(t, s, newRental(bob, 700, 1))
	clock.Add(time.Minute)
	checkLedger(t, s)

	raw := openRaw(t, s)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	move := func(kind LedgerKind, ref string, from, to User) {
		t.Helper()
		var amount int64
		must(t, raw.QueryRow(`SELECT amount_cents FROM ledger WHERE kind = ? AND reference = ?`, kind, ref).Scan(&amount))
		exec(`UPDATE ledger SET user_id = ? WHERE kind = ? AND reference = ?`, to.ID, kind, ref)
		exec(`UPDATE users SET balance_cents = balance_cents - ? WHERE id = ?`, amount, from.ID)
		exec(`UPDATE users SET balance_cents = balance_cents + ? WHERE id = ?`, amount, to.ID)
	}
	forge := func(u User, amount int64, kind LedgerKind, ref string) {
		t.Helper()
		exec(`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.ID, amount, kind, ref, s.Now().Unix())
		exec(`UPDATE users SET balance_cents = balance_cents + ? WHERE id = ?`, amount, u.ID)
	}
	move(LedgerRent, RentRef(a.ID), alice, bob)
	move(LedgerRentExtend, RentExtRef(ext.ID), alice, bob)
	forge(bob, 700, LedgerRentRefund, RentRef(b.ID)) // not refunded (and, below, not debited)
	forge(bob, 40, LedgerRentRefund, RentRef(9999))
	forge(alice, 700, LedgerRentRefund, RentRef(a.ID)) // a refund a's rental does not record
	forge(bob, -40, LedgerRentExtend, RentExtRef(9999))
	forge(bob, 300, LedgerRentRefund, RentExtRef(ext.ID)) // not refunded, and alice's
	exec(`DELETE FROM ledger WHERE kind = ? AND reference = ?`, LedgerRent, RentRef(b.ID))
	exec(`UPDATE users SET balance_cents = balance_cents + 700 WHERE id = ?`, bob.ID)

	rep, err := s.Check(ctx)
	must(t, err)
	if len(rep.Mismatches) != 0 {
		t.Fatalf("the forgeries moved a balance: %+v", rep.Mismatches)
	}
	want := []string{
		fmt.Sprintf("(rent %s, -700 cents, account %d): the rental is account %d's", RentRef(a.ID), bob.ID, alice.ID),
		fmt.Sprintf("(rent_extend %s, -300 cents, account %d): the extension is of account %d's rental", RentExtRef(ext.ID), bob.ID, alice.ID),
		fmt.Sprintf("(rent_refund %s, 700 cents, account %d): the rental records 0 cents refunded", RentRef(b.ID), bob.ID),
		fmt.Sprintf("(rent_refund rent:9999, 40 cents, account %d): names no rental", bob.ID),
		fmt.Sprintf("(rent_extend rentext:9999, -40 cents, account %d): names no rental extension", bob.ID),
		fmt.Sprintf("(rent_refund %s, 300 cents, account %d): the extension is of account %d's rental", RentExtRef(ext.ID), bob.ID, alice.ID),
		fmt.Sprintf("(rent_refund %s, 700 cents, account %d): the rental records 0 cents refunded", RentRef(a.ID), alice.ID),
		fmt.Sprintf("rental %d has no debit in the ledger", b.ID),
		fmt.Sprintf("rental %d was refunded in the ledger without recording it", a.ID),
		fmt.Sprintf("rental extension %d was refunded in the ledger without recording it", ext.ID),
	}
	got := strings.Join(rep.References, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("check does not report %q; it reports:\n%s", w, got)
		}
	}
	if rep.OK() || len(rep.References) != len(want) {
		t.Fatalf("%d findings, want %d:\n%s", len(rep.References), len(want), got)
	}
}

func err3[A, B any](_ A, _ B, err error) error { return err }
