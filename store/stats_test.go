package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestProviderOutcomesOverHourAndDay(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "p@example.com")
	credit(t, s, u, 100_000)
	reserve := func(provider string) Reservation {
		t.Helper()
		n := newRes(u, 10)
		n.Provider, n.MaxOpen = provider, 0
		r, err := s.CreateReservation(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sms := func(r Reservation) {
		t.Helper()
		if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: fmt.Sprint("m", r.ID), Body: "1234"}); err != nil {
			t.Fatal(err)
		}
	}
	// Two days ago: outside both windows.
	sms(reserve("a"))
	clock.Add(47 * time.Hour)
	// Within the day: a got one SMS, one expired without.
	sms(reserve("a"))
	s.EndReservation(ctx, reserve("a").ID, ResExpired)
	clock.Add(30 * time.Minute)
	// Within the hour: a has one SMS, one still waiting, one cancelled;
	// b has one expired.
	sms(reserve("a"))
	reserve("a")
	s.EndReservation(ctx, reserve("a").ID, ResCancelled)
	s.EndReservation(ctx, reserve("b").ID, ResExpired)
	clock.Add(40 * time.Minute)
	hour, day, err := s.ProviderOutcomes(ctx, s.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]Outcome{
		"a": {{3, 1, 1}, {5, 2, 2}},
		"b": {{1, 0, 1}, {1, 0, 1}},
	}
	for p, w := range want {
		if hour[p] != w[0] || day[p] != w[1] {
			t.Errorf("%s: hour %+v day %+v, want %+v %+v", p, hour[p], day[p], w[0], w[1])
		}
	}
	if pct, ok := day["a"].SuccessPercent(); !ok || pct != 50 {
		t.Errorf("a success %d %v", pct, ok)
	}
	if _, ok := (Outcome{Reservations: 2}).SuccessPercent(); ok {
		t.Error("a rate with nothing decided")
	}
}

func TestReadGaugesCountsFromIndexesOnly(t *testing.T) {
	sqliteOnly(t, "it reads SQLite's query plans")
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "g@example.com")
	credit(t, s, u, 10_000)
	r1, _ := s.CreateReservation(ctx, newRes(u, 10))
	s.CreateReservation(ctx, newRes(u, 10))
	s.EndReservation(ctx, r1.ID, ResExpired)
	stripeOrder(t, s, u, 500, "cs_g1")
	btcOrder(t, s, u, 500, "bc1qtestaddress0000000000000000000000000g")
	g, err := s.ReadGauges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g.ReservationsByState[ResActive] != 1 || g.ReservationsByState[ResExpired] != 1 || len(g.ReservationsByState) != 2 ||
		g.OrdersByStatus[OrderCreated][ProcessorStripe] != 1 || g.OrdersByStatus[OrderCreated][ProcessorBlockonomics] != 1 {
		t.Fatalf("gauges %+v", g)
	}
	// The scrape must stay cheap as the tables grow: no table scans.
	rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT 'r', state, '', COUNT(*) FROM reservations GROUP BY state
		UNION ALL SELECT 'o', status, processor, COUNT(*) FROM orders GROUP BY status, processor
		UNION ALL SELECT 'n', '', '', COUNT(*) FROM rentals WHERE ended_at IS NULL`)
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
	joined := strings.Join(plan, "\n")
	if !strings.Contains(joined, "COVERING INDEX reservations_state") || !strings.Contains(joined, "INDEX rentals_open") ||
		!strings.Contains(joined, "COVERING INDEX orders_status_processor") {
		t.Fatalf("gauges read tables, not indexes:\n%s", joined)
	}
}

func TestCountersCountCommittedEvents(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "c@example.com")
	k, _ := s.LinkKey(ctx, u.ID, SpecOf(newPub(t)), "", origin)
	s.SignIn(ctx, "c@example.com", "correct horse", origin)
	s.SignIn(ctx, "c@example.com", "wrong horse!", origin)
	s.SignInWithKey(ctx, k.Fingerprint, origin)
	s.UseKey(ctx, k.Fingerprint, origin)
	s.SignInWithKey(ctx, "SHA256:unknown", origin) // a new person, not a failure
	credit(t, s, u, 1000)
	r, _ := s.CreateReservation(ctx, newRes(u, 10))
	s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "1", Body: "a"})
	s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "1", Body: "a"}) // the same SMS again
	r2, _ := s.CreateReservation(ctx, newRes(u, 10))
	s.EndReservation(ctx, r2.ID, ResExpired)
	s.EndReservation(ctx, r2.ID, ResExpired) // already ended
	s.EndReservation(ctx, r.ID, ResFinished)
	got := s.Counters()
	want := Counters{SigninsPassword: 1, SigninsKey: 1, SigninsCommand: 1, SigninFailures: 1, Reservations: 2,
		SMSReceived: 1, Refunds: 1}
	if got != want {
		t.Fatalf("counters %+v, want %+v", got, want)
	}
}

// A backup taken while numbers are reserved and ended is consistent: it
// opens, passes integrity_check, and its ledger matches its balances.
func TestBackupWhileReservationsAreWritten(t *testing.T) {
	sqliteOnly(t, "a backup copies a SQLite file (on PostgreSQL: TestBackupOnPostgresSaysWhatToUse)")
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "r@example.com")
	credit(t, s, u, 1_000_000)
	var stop atomic.Bool
	var wg sync.WaitGroup
	progress := make(chan struct{}, 1)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				n := newResFor(u, w, i)
				r, err := s.CreateReservation(ctx, n)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "m", Body: "code 42"}); err != nil && i%2 == 0 {
					t.Error(err)
					return
				}
				if _, err := s.EndReservation(ctx, r.ID, ResFinished); err != nil {
					t.Error(err)
					return
				}
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	dir := t.TempDir()
	for i := range 3 {
		for range 5 { // let numbers be written between copies
			select {
			case <-progress:
			case <-stopped:
				t.Fatal("the writers stopped")
			}
		}
		dest := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		if err := s.Backup(ctx, dest); err != nil {
			t.Fatal(err)
		}
		c, err := Open(dest, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := c.Check(ctx)
		var n int
		c.r.QueryRow(`SELECT COUNT(*) FROM reservations`).Scan(&n)
		c.Close()
		if err != nil || !rep.OK() {
			t.Fatalf("backup %d: %+v %v", i, rep, err)
		}
		if n == 0 && i > 0 {
			t.Fatalf("backup %d holds no reservations", i)
		}
	}
	stop.Store(true)
	<-stopped
}

// newResFor is a reservation with a reference unique to writer w's i-th.
func newResFor(u User, w, i int) NewReservation {
	return NewReservation{UserID: u.ID, Service: "telegram", Country: "gb", Phone: "+447700900123",
		Provider: "sim", ProviderRef: fmt.Sprintf("w%d-%d", w, i), CostMicros: 300_000, PriceCents: 10,
		Lifetime: 20 * time.Minute}
}
