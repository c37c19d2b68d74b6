package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// eventWait bounds how long a test waits for an event that must come: a
// failure's limit, never a measure of speed.
const eventWait = 20 * time.Second

// relayTestInterval is how often a test's SQLite relay checks its table.
const relayTestInterval = 10 * time.Millisecond

// nextEvent is sub's next event; the test fails if none comes.
func nextEvent(t testing.TB, sub *Subscription) Event {
	t.Helper()
	select {
	case e, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-time.After(eventWait):
		t.Fatal("no event came")
	}
	return Event{}
}

// sendEvents commits a write that has only events, as any write's are.
func sendEvents(t *testing.T, s *Store, events ...Event) {
	t.Helper()
	must(t, s.write(context.Background(), func(tx *Tx) error {
		for _, e := range events {
			tx.notify(e)
		}
		return nil
	}))
}

// twoInstances opens a second store on the database of a first, both
// listening to the other's events as serving instances do.
func twoInstances(t *testing.T) (a, b *Store) {
	t.Helper()
	if !onPostgres() {
		t.Skip("PostgreSQL only: SQLite's tools relay through a table (TestRelayCarriesEventsBetweenProcesses)")
	}
	a, clock := openTest(t)
	b, err := Open(a.Path(), Options{Clock: clock.Now})
	must(t, err)
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, s := range []*Store{a, b} {
		run, err := s.StartRelay(ctx, relayTestInterval)
		must(t, err)
		go run()
	}
	return a, b
}

// An event committed on one instance reaches the subscribers of the
// other, in commit order; a write that fails sends nothing; and an
// instance does not hear its own events a second time.
func TestInstancesCarryEventsByNotify(t *testing.T) {
	a, b := twoInstances(t)
	subA, subB := a.Hub().Subscribe(7), b.Hub().Subscribe(7)
	defer subA.Close()
	defer subB.Close()

	sendEvents(t, a, Event{UserID: 7, Kind: "one", Ref: 1})
	if e := nextEvent(t, subB); e != (Event{UserID: 7, Kind: "one", Ref: 1}) {
		t.Fatalf("B got %+v", e)
	}
	err := a.write(context.Background(), func(tx *Tx) error {
		tx.notify(Event{UserID: 7, Kind: "rolled-back", Ref: 2})
		return errors.New("refused")
	})
	if err == nil {
		t.Fatal("the failing write succeeded")
	}
	sendEvents(t, a, Event{UserID: 7, Kind: "two", Ref: 3})
	if e := nextEvent(t, subB); e.Kind != "two" {
		t.Fatalf("B got %+v after a failed write, want the next committed event", e)
	}
	// B's event comes to A after A's own two, which A published at
	// commit: heard again, they would come before it.
	sendEvents(t, b, Event{UserID: 7, Kind: "three", Ref: 4})
	var got []string
	for range 3 {
		got = append(got, string(nextEvent(t, subA).Kind))
	}
	if strings.Join(got, " ") != "one two three" {
		t.Fatalf("A got %v, want its own two once then B's", got)
	}
	// Events of no one user (admin settings) go across too.
	settings := b.Hub().Subscribe(0)
	defer settings.Close()
	admin := newAdmin(t, a, "boss@example.com")
	must(t, a.SetProviderEnabled(context.Background(), admin, "sim", false))
	for {
		if e := nextEvent(t, settings); e.Kind == EventSettings {
			break
		}
	}
}

// An API key revoked on one instance stops working on the other at once,
// though the other had it cached (for 5 s, on a clock that stands still
// here): the revocation's event makes it forget the key.
func TestInstancesForgetARevokedAPIKey(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	u := newUser(t, a, "k@example.com")
	_, key, err := a.CreateAPIKey(ctx, u.ID, "bot", origin)
	must(t, err)
	sub := b.Hub().Subscribe(u.ID)
	defer sub.Close()
	sendEvents(t, a, Event{UserID: u.ID, Kind: "marker"}) // everything before has reached B
	for nextEvent(t, sub).Kind != "marker" {
	}
	must(t, err2(b.ResolveAPIKey(ctx, key)))
	must(t, err2(a.RevokeAPIKey(ctx, u.ID, "bot", origin)))
	if e := nextEvent(t, sub); e.Kind != EventAccount {
		t.Fatalf("got %+v", e)
	}
	if _, err := b.ResolveAPIKey(ctx, key); !errors.Is(err, ErrAPIKeyInvalid) {
		t.Fatalf("B still resolves the key revoked on A: %v", err)
	}
}

// A transaction with more events than one notification holds sends them
// all, in order.
func TestInstancesCarryManyEventsOfOneTransaction(t *testing.T) {
	a, b := twoInstances(t)
	sub := b.Hub().Subscribe(9)
	defer sub.Close()
	var events []Event
	for i := range subscriptionBuffer {
		events = append(events, Event{UserID: 9, Kind: EventAccountDeleted, Ref: -1 << 62 / int64(i+1)})
	}
	// Longer than one payload: events of another user first.
	var filler []Event
	for i := range 400 {
		filler = append(filler, Event{UserID: 1 << 60, Kind: EventAccountDeleted, Ref: int64(i)})
	}
	all := append(filler, events...)
	if n := len(notifyPayloads(a.instance, all)); n < 2 {
		t.Fatalf("%d payload(s) for %d events: the test means several", n, len(all))
	}
	sendEvents(t, a, all...)
	for i, want := range events {
		if e := nextEvent(t, sub); e != want {
			t.Fatalf("event %d: %+v, want %+v", i, e, want)
		}
	}
}

// When the listening connection is cut, the instance listens again and
// tells every subscriber to reload (the events sent meanwhile are lost);
// events committed afterwards arrive as before.
func TestInstancesListenAgainAfterTheConnectionIsKilled(t *testing.T) {
	a, b := twoInstances(t)
	sub := b.Hub().Subscribe(7)
	defer sub.Close()
	sendEvents(t, a, Event{UserID: 7, Kind: "before", Ref: 1})
	if e := nextEvent(t, sub); e.Kind != "before" {
		t.Fatalf("got %+v", e)
	}
	pid := b.listenerPID.Load()
	if pid == 0 {
		t.Fatal("B's listener has no backend")
	}
	var killed bool
	must(t, a.r.QueryRow(`SELECT pg_terminate_backend(?)`, int64(pid)).Scan(&killed))
	if !killed {
		t.Fatalf("backend %d not terminated", pid)
	}
	if e := nextEvent(t, sub); e.Kind != EventResync || !sub.Missed() {
		t.Fatalf("got %+v after the connection was killed, want a resync with missed set", e)
	}
	if now := b.listenerPID.Load(); now == pid {
		t.Fatalf("still backend %d", pid)
	}
	sendEvents(t, a, Event{UserID: 7, Kind: "after", Ref: 2})
	if e := nextEvent(t, sub); e.Kind != "after" {
		t.Fatalf("got %+v after listening again", e)
	}
}

// A quiet listening connection is pinged and, answering, kept: events
// come through it afterwards, with no resync.
func TestInstancesKeepAQuietListenerThatAnswers(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only")
	}
	a, clock := openTest(t)
	b, err := Open(a.Path(), Options{Clock: clock.Now})
	must(t, err)
	defer b.Close()
	b.listenIdle = time.Millisecond // a ping after every silent millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, err := b.StartRelay(ctx, relayTestInterval)
	must(t, err)
	go run()
	sub := b.Hub().Subscribe(7)
	defer sub.Close()
	sendEvents(t, a, Event{UserID: 7, Kind: "first", Ref: 1})
	if e := nextEvent(t, sub); e.Kind != "first" {
		t.Fatalf("got %+v", e)
	}
	pid := b.listenerPID.Load()
	deadline := time.Now().Add(eventWait)
	for b.listenerPings.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the quiet listener was never pinged")
		}
		time.Sleep(time.Millisecond)
	}
	sendEvents(t, a, Event{UserID: 7, Kind: "second", Ref: 2})
	if e := nextEvent(t, sub); e.Kind != "second" {
		t.Fatalf("got %+v after pings, want the next event and no resync", e)
	}
	if now := b.listenerPID.Load(); now != pid {
		t.Fatalf("the listener changed from backend %d to %d", pid, now)
	}
}

// A payload names its sender and reads back as the events it carries,
// however large their numbers; each stays within PostgreSQL's limit.
func TestNotifyPayloadsRoundTrip(t *testing.T) {
	var events []Event
	for i := range 1000 {
		events = append(events, Event{UserID: int64(i) - 500, Kind: EventReservation, Ref: -1 << 63 >> (i % 64)})
	}
	payloads := notifyPayloads("0123456789abcdef", events)
	var back []Event
	for _, p := range payloads {
		if len(p) > notifyMax {
			t.Fatalf("payload of %d bytes", len(p))
		}
		from, es, err := parseNotification(p)
		must(t, err)
		if from != "0123456789abcdef" {
			t.Fatalf("from %q", from)
		}
		back = append(back, es...)
	}
	if !slices.Equal(back, events) {
		t.Fatal("events changed on the way")
	}
	for _, bad := range []string{"", "x", "x 1:k", "x a:k:1", "x 1::2"} {
		if _, _, err := parseNotification(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// BenchmarkInstancesNotifyLatency measures, at 100 events a second, how
// long an event takes from its transaction on one instance to the hub of
// another (PostgreSQL only):
//
//	WANTSMS_TEST_BACKEND=postgres go test ./store -run '^$' \
//	    -bench InstancesNotifyLatency -benchtime 3000x
func BenchmarkInstancesNotifyLatency(b *testing.B) {
	if !onPostgres() {
		b.Skip("PostgreSQL only")
	}
	a, err := Open(testDatabase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	other, err := Open(a.Path(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer other.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, err := other.StartRelay(ctx, relayTestInterval)
	if err != nil {
		b.Fatal(err)
	}
	go run()
	sub := other.Hub().Subscribe(1)
	defer sub.Close()
	start := time.Now()
	lat := make([]time.Duration, 0, b.N)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range sub.C {
			lat = append(lat, time.Since(start)-time.Duration(e.Ref))
			if len(lat) == b.N {
				return
			}
		}
	}()
	tick := time.NewTicker(10 * time.Millisecond) // 100 events a second
	defer tick.Stop()
	b.ResetTimer()
	for range b.N {
		<-tick.C
		err := a.write(ctx, func(tx *Tx) error {
			tx.notify(Event{UserID: 1, Kind: EventBalance, Ref: int64(time.Since(start))})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(eventWait):
		b.Fatalf("not all of %d events arrived", b.N)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	if testing.Verbose() {
		fmt.Printf("commit on A to hub on B, %d events at 100/s: p50 %.2f ms, p99 %.2f ms\n", len(lat), q(0.5), q(0.99))
	}
}
