package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFavouritesAddListRemoveAndLimit(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "fav@example.com")
	other := newUser(t, s, "other@example.com")
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()
	if added, err := s.AddFavourite(ctx, u.ID, "telegram", "gb"); err != nil || !added {
		t.Fatalf("add: %v %v", added, err)
	}
	if ev := <-sub.C; ev.Kind != EventFavourites {
		t.Fatalf("event %+v", ev)
	}
	clock.Add(time.Second)
	if added, err := s.AddFavourite(ctx, u.ID, "telegram", "gb"); err != nil || added {
		t.Fatalf("add twice: %v %v", added, err)
	}
	s.AddFavourite(ctx, u.ID, "whatsapp", "de")
	s.AddFavourite(ctx, other.ID, "google", "us")
	favs, err := s.Favourites(ctx, u.ID)
	if err != nil || len(favs) != 2 || favs[0].Service != "telegram" || favs[1].Country != "de" {
		t.Fatalf("favourites %+v %v", favs, err)
	}
	if removed, err := s.RemoveFavourite(ctx, u.ID, "google", "us"); err != nil || removed {
		t.Fatalf("removed another account's favourite: %v %v", removed, err)
	}
	if removed, err := s.RemoveFavourite(ctx, u.ID, "telegram", "gb"); err != nil || !removed {
		t.Fatalf("remove: %v %v", removed, err)
	}
	for i := range MaxFavourites - 1 {
		if _, err := s.AddFavourite(ctx, u.ID, fmt.Sprint("svc", i), "gb"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddFavourite(ctx, u.ID, "one", "more"); !errors.Is(err, ErrTooManyFavourites) {
		t.Fatalf("past the limit: %v", err)
	}
	if favs, _ := s.Favourites(ctx, other.ID); len(favs) != 1 {
		t.Fatalf("other's favourites %+v", favs)
	}
}

func TestFavouritesExportedAndErased(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "gone@example.com")
	s.AddFavourite(ctx, u.ID, "telegram", "gb")
	e, err := s.Export(ctx, u.ID)
	if err != nil || len(e.Favourites) != 1 || e.Favourites[0].Service != "telegram" {
		t.Fatalf("export %+v %v", e.Favourites, err)
	}
	if err := s.DeleteAccount(ctx, u.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	var n int
	s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM favourites`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d favourites left after the erasure", n)
	}
}

// A report is claimed once: a second is refused before the provider is
// told again, a number with an SMS cannot be reported, and a released
// claim can be taken again.
func TestClaimReportOnceAndOnlyWithoutSMS(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "rep@example.com")
	credit(t, s, u, 1000)
	r, _ := s.CreateReservation(ctx, newRes(u, 20))
	claim := ReportClaim{UserID: u.ID, ID: r.ID, Reason: ReportBanned, MaxEarly: 5, EarlyWindow: time.Hour}
	if _, err := s.ClaimReport(ctx, ReportClaim{UserID: u.ID + 1, ID: r.ID, Reason: ReportBanned, MaxEarly: 5,
		EarlyWindow: time.Hour}); !errors.Is(err, ErrNoReservation) {
		t.Fatalf("another account's number: %v", err)
	}
	if _, err := s.ClaimReport(ctx, ReportClaim{UserID: u.ID, ID: r.ID, Reason: "spam"}); !errors.Is(err, ErrBadReportReason) {
		t.Fatalf("bad reason: %v", err)
	}
	got, err := s.ClaimReport(ctx, claim)
	if err != nil || got.Report != ReportBanned {
		t.Fatalf("claim: %+v %v", got, err)
	}
	if _, err := s.ClaimReport(ctx, claim); !errors.Is(err, ErrReporting) {
		t.Fatalf("second claim: %v", err)
	}
	if err := s.ReleaseReport(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimReport(ctx, claim); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	ended, err := s.EndReservation(ctx, r.ID, ResCancelled)
	if err != nil || !ended.Refunded || ended.Report != ReportBanned {
		t.Fatalf("end: %+v %v", ended, err)
	}
	if _, err := s.EndReservation(ctx, r.ID, ResCancelled); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("ended twice: %v", err)
	}
	if s.ReleaseReport(ctx, r.ID); mustRes(t, s, r.ID).Report != ReportBanned {
		t.Fatal("an ended number lost its report")
	}
	if got := resBalance(t, s, u); got != 1000 {
		t.Fatalf("balance %d after the report: refunded once", got)
	}
	withSMS, _ := s.CreateReservation(ctx, newRes(u, 20))
	s.AddMessage(ctx, withSMS.ID, NewMessage{ProviderID: "m1", Body: "code 1234", Code: "1234"})
	clock.Add(3 * time.Minute)
	if _, err := s.ClaimReport(ctx, ReportClaim{UserID: u.ID, ID: withSMS.ID, Reason: ReportUsed, MaxEarly: 5,
		EarlyWindow: time.Hour}); !errors.Is(err, ErrSMSArrived) {
		t.Fatalf("report after an SMS: %v", err)
	}
	checkLedger(t, s)
}

func mustRes(t *testing.T, s *Store, id int64) Reservation {
	t.Helper()
	r, err := s.Reservation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Reports within the early-cancel guard are counted per account: past
// MaxEarly in the window the guard applies; after the guard, reports are
// not counted and not limited.
func TestEarlyReportsLimited(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "churn@example.com")
	credit(t, s, u, 10_000)
	report := func() (Reservation, error) {
		t.Helper()
		r, err := s.CreateReservation(ctx, newRes(u, 20))
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.ClaimReport(ctx, ReportClaim{UserID: u.ID, ID: r.ID, Reason: ReportBanned, MaxEarly: 2,
			EarlyWindow: time.Hour})
		if err == nil {
			_, err = s.EndReservation(ctx, r.ID, ResCancelled)
		}
		return c, err
	}
	for range 2 {
		if _, err := report(); err != nil {
			t.Fatal(err)
		}
	}
	_, err := report()
	var early *EarlyReportsError
	if !errors.As(err, &early) || early.Max != 2 || early.Wait != 2*time.Minute {
		t.Fatalf("third early report: %v", err)
	}
	if !strings.Contains(err.Error(), "in 2 min 0 s") {
		t.Errorf("refusal %q", err)
	}
	// The refused one waits out its guard: then it may be reported.
	open, _ := s.OpenReservations(ctx, u.ID)
	clock.Add(2 * time.Minute)
	if _, err := s.ClaimReport(ctx, ReportClaim{UserID: u.ID, ID: open[0].ID, Reason: ReportUsed, MaxEarly: 2,
		EarlyWindow: time.Hour}); err != nil {
		t.Fatalf("after the guard: %v", err)
	}
	clock.Add(time.Hour)
	if _, err := report(); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}

// Success rates come from the reservations themselves: numbers with an SMS
// against numbers that ended without one (reports included), per service,
// country and provider, over a day and a week; waiting numbers count for
// neither; the shared count is reused until RateRefresh has passed.
func TestSuccessRatesCountedFromReservations(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "rates@example.com")
	credit(t, s, u, 100_000)
	seq := 0
	add := func(provider, country string, outcome ReservationState) {
		t.Helper()
		n := newRes(u, 10)
		n.Provider, n.Country, n.MaxOpen = provider, country, 0
		r, err := s.CreateReservation(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		seq++
		switch outcome {
		case ResReceived, ResFinished:
			s.AddMessage(ctx, r.ID, NewMessage{ProviderID: fmt.Sprint("m", seq), Body: "1234"})
			if outcome == ResFinished {
				s.EndReservation(ctx, r.ID, ResFinished)
			}
		case ResActive:
		case "reported":
			s.ClaimReport(ctx, ReportClaim{UserID: u.ID, ID: r.ID, Reason: ReportBanned, MaxEarly: 100,
				EarlyWindow: time.Hour})
			s.EndReservation(ctx, r.ID, ResCancelled)
		default:
			s.EndReservation(ctx, r.ID, outcome)
		}
	}
	// Eight days ago: outside both windows.
	add("a", "gb", ResExpired)
	clock.Add(24 * time.Hour)
	// Six days ago: in the week only.
	for range 4 {
		add("a", "gb", ResFinished)
	}
	add("a", "gb", ResExpired)
	clock.Add(6*24*time.Hour + time.Hour)
	// Today: 5 with an SMS, a report, a cancel, an expiry, one waiting.
	for range 4 {
		add("a", "gb", ResFinished)
	}
	add("a", "gb", ResReceived)
	add("a", "gb", "reported")
	add("a", "gb", ResCancelled)
	add("a", "gb", ResExpired)
	add("a", "gb", ResActive)
	add("b", "gb", ResFinished)
	add("a", "de", ResFailed)

	rates, err := s.SuccessRates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ga := rates.Of("telegram", "gb", "a")
	if ga.Day != (Tally{Numbers: 8, WithSMS: 5}) || ga.Week != (Tally{Numbers: 13, WithSMS: 9}) {
		t.Fatalf("telegram/gb/a %+v", ga)
	}
	if _, ok := ga.Day.Percent(); ok {
		t.Errorf("8 numbers should be new, not a percentage")
	}
	if pct, ok := ga.Week.Percent(); !ok || pct != 69 {
		t.Errorf("week %d %v, want 69 %%", pct, ok)
	}
	if b := rates.Of("telegram", "gb", "b"); b.Day != (Tally{1, 1}) {
		t.Errorf("b %+v", b)
	}
	if d := rates.Of("telegram", "de", "a"); d.Week != (Tally{1, 0}) {
		t.Errorf("de %+v", d)
	}
	if z := rates.Of("telegram", "us", "a"); z != (SuccessRate{}) {
		t.Errorf("unknown pair %+v", z)
	}
	if z := (*SuccessRates)(nil).Of("telegram", "gb", "a"); z != (SuccessRate{}) {
		t.Errorf("nil rates %+v", z)
	}

	// Shared until RateRefresh has passed, then counted again.
	add("a", "gb", ResExpired)
	if again, _ := s.SuccessRates(ctx); again != rates {
		t.Fatal("counted again before RateRefresh")
	}
	clock.Add(RateRefresh)
	again, _ := s.SuccessRates(ctx)
	if again == rates || again.Of("telegram", "gb", "a").Day.Numbers != 9 {
		t.Fatalf("not counted again after RateRefresh: %+v", again.Of("telegram", "gb", "a"))
	}
}

// The count reads one index and nothing else, as the reservations grow.
func TestSuccessRatesReadTheirIndexOnly(t *testing.T) {
	sqliteOnly(t, "it reads SQLite's query plans")
	s, _ := openTest(t)
	rows, err := s.r.Query(`EXPLAIN QUERY PLAN `+ratesQuery, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "COVERING INDEX reservations_outcomes") {
		t.Fatalf("plan %q, want the covering index reservations_outcomes", p)
	}
}

// BenchmarkSuccessRatesCount measures counting the rates again over a
// week of 50,000 numbers (20 pairs, 3 providers): what one session in
// RateRefresh pays, for all.
func BenchmarkSuccessRatesCount(b *testing.B) {
	s, clock := openTest(b)
	ctx := context.Background()
	u := newUser(b, s, "bench@example.com")
	now := clock.Now().Unix()
	if _, err := s.w.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
		INSERT INTO reservations (user_id, service, country, phone, provider, provider_ref, cost_micros, price_cents,
			state, created_at, expires_at, cancel_after, ended_at)
		SELECT ?1, 'svc' || (i % 5), 'c' || (i % 4), '+10000000000', 'p' || (i % 3), 'ref' || i, 1, 1,
			CASE i % 4 WHEN 0 THEN 'expired' ELSE 'finished' END, ?2 - i * 12, ?2, ?2, ?2 FROM n`,
		u.ID, now); err != nil {
		b.Fatal(err)
	}
	r, err := s.countRates(ctx, clock.Now())
	if err != nil || r.Of("svc1", "c1", "p1").Week.Numbers == 0 {
		b.Fatalf("rates %v %v", r, err)
	}
	for b.Loop() {
		if _, err := s.countRates(ctx, clock.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSuccessRatesShared measures what every session pays to read
// the rates between counts: the shared table, from many goroutines.
func BenchmarkSuccessRatesShared(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	if _, err := s.SuccessRates(ctx); err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := s.SuccessRates(ctx); err != nil || r == nil {
				b.Fatal(err)
			}
		}
	})
}
