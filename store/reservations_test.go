package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func credit(t testing.TB, s *Store, u User, cents int64) {
	t.Helper()
	if _, err := s.Move(context.Background(), Movement{UserID: u.ID, AmountCents: cents, Kind: LedgerGrant,
		Reference: fmt.Sprintf("test-%d-%d", u.ID, time.Now().UnixNano())}); err != nil {
		t.Fatal(err)
	}
}

var refSeq int

func newRes(u User, price int64) NewReservation {
	refSeq++
	return NewReservation{UserID: u.ID, Service: "telegram", Country: "gb", Phone: "+447700900123",
		Provider: "sim", ProviderRef: fmt.Sprint(1000 + refSeq), CostMicros: 300_000, PriceCents: price,
		Lifetime: 20 * time.Minute, CancelGuard: 2 * time.Minute, MaxOpen: 10}
}

func resBalance(t testing.TB, s *Store, u User) int64 {
	t.Helper()
	got, err := s.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.BalanceCents
}

func checkLedger(t testing.TB, s *Store) {
	t.Helper()
	if rep, err := s.Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("ledger check: %+v %v", rep, err)
	}
}

func TestCreateReservationDebitsOnceAndTellsOwner(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "a@example.com")
	credit(t, s, u, 100)
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()
	n := newRes(u, 42)
	n.UpstreamExpires = clock.Now().Add(15 * time.Minute)
	r, err := s.CreateReservation(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != ResActive || r.PriceCents != 42 || !r.ExpiresAt.Equal(clock.Now().Add(15*time.Minute)) ||
		!r.CancelAfter.Equal(clock.Now().Add(2*time.Minute)) {
		t.Fatalf("reservation %+v: want active, 42 cents, expiring with the upstream at 15 min", r)
	}
	if b := resBalance(t, s, u); b != 58 {
		t.Fatalf("balance %d, want 58", b)
	}
	rows, _ := s.Ledger(ctx, u.ID, 1)
	if rows[0].Kind != LedgerReserve || rows[0].Reference != ResRef(r.ID) || rows[0].AmountCents != -42 {
		t.Fatalf("ledger row %+v", rows[0])
	}
	kinds := map[EventKind]bool{}
	for range 2 {
		e := <-sub.C
		kinds[e.Kind] = true
	}
	if !kinds[EventBalance] || !kinds[EventReservation] {
		t.Fatalf("events %v, want balance and reservation", kinds)
	}
	checkLedger(t, s)
}

func TestCreateReservationRefusals(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "b@example.com")
	credit(t, s, u, 50)
	if _, err := s.CreateReservation(ctx, newRes(u, 51)); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("overdraft: %v", err)
	}
	n := newRes(u, 10)
	n.MaxOpen = 2
	for range 2 {
		n.ProviderRef += "x"
		if _, err := s.CreateReservation(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	n.ProviderRef += "x"
	_, err := s.CreateReservation(ctx, n)
	var lim *OpenLimitError
	if !errors.As(err, &lim) || lim.Max != 2 {
		t.Fatalf("limit: %v", err)
	}
	if msg, ok := UserMessage(err); !ok || msg == "" {
		t.Fatal("the limit error is not person-facing")
	}
	if _, err := s.w.Exec(`UPDATE users SET banned_at = 1, ban_reason = 'fraud' WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	var banned *BannedError
	if _, err := s.CreateReservation(ctx, newRes(u, 1)); !errors.As(err, &banned) {
		t.Fatalf("banned: %v", err)
	}
	if b := resBalance(t, s, u); b != 30 {
		t.Fatalf("balance %d, want 30 (only the two accepted debits)", b)
	}
	if n, _ := s.CountOpen(ctx, u.ID); n != 2 {
		t.Fatalf("%d open, want 2", n)
	}
	checkLedger(t, s)
}

func TestEndReservationRefundsOnceUnderRace(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "c@example.com")
	credit(t, s, u, 1000)
	for i := range 20 {
		r, err := s.CreateReservation(ctx, newRes(u, 25))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wins := make(chan ReservationState, 2)
		for _, to := range []ReservationState{ResCancelled, ResExpired} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.EndReservation(ctx, r.ID, to)
				switch {
				case err == nil:
					wins <- to
				case !errors.Is(err, ErrNotOpen):
					t.Errorf("end %s: %v", to, err)
				}
			}()
		}
		wg.Wait()
		close(wins)
		if n := len(wins); n != 1 {
			t.Fatalf("round %d: %d ends won, want exactly 1", i, n)
		}
	}
	if b := resBalance(t, s, u); b != 1000 {
		t.Fatalf("balance %d, want every debit refunded once: 1000", b)
	}
	checkLedger(t, s)
}

func TestMessagesDedupeAndBlockRefund(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u, other := newUser(t, s, "d@example.com"), newUser(t, s, "e@example.com")
	credit(t, s, u, 100)
	r, err := s.CreateReservation(ctx, newRes(u, 30))
	if err != nil {
		t.Fatal(err)
	}
	sub, otherSub := s.Hub().Subscribe(u.ID), s.Hub().Subscribe(other.ID)
	defer sub.Close()
	defer otherSub.Close()
	m := NewMessage{ProviderID: "m1", Sender: "Telegram", Body: "Telegram code: 12345", Code: "12345"}
	for i := range 3 {
		added, err := s.AddMessage(ctx, r.ID, m)
		if err != nil || added != (i == 0) {
			t.Fatalf("add #%d: added=%v err=%v", i, added, err)
		}
	}
	e := <-sub.C
	if e.Kind != EventMessage || e.Ref != r.ID || e.Message == nil {
		t.Fatalf("event %+v", e)
	}
	select {
	case e := <-otherSub.C:
		t.Fatalf("another user got %+v", e)
	case e := <-sub.C: // the SMS is one event, its copies none
		t.Fatalf("a second event %+v", e)
	default:
	}
	got, err := s.UserReservation(ctx, u.ID, r.ID)
	if err != nil || got.State != ResReceived || len(got.Messages) != 1 || got.LatestCode() != "12345" {
		t.Fatalf("after SMS: %+v %v", got, err)
	}
	// The event carries the SMS as stored: a subscriber need not read it.
	if *e.Message != got.Messages[0] {
		t.Fatalf("event's SMS %+v, stored %+v", *e.Message, got.Messages[0])
	}
	if _, err := s.UserReservation(ctx, other.ID, r.ID); !errors.Is(err, ErrNoReservation) {
		t.Fatalf("another user read it: %v", err)
	}
	// A received number takes more SMS (another SMS asked for) until it ends.
	if added, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "m3", Body: "code 777"}); err != nil || !added {
		t.Fatalf("second SMS: added=%v err=%v", added, err)
	}
	if n, err := s.CountMessages(ctx, []int64{r.ID, r.ID + 1000}); err != nil || n != 2 {
		t.Fatalf("CountMessages = %d, %v; want 2", n, err)
	}
	if _, err := s.EndReservation(ctx, r.ID, ResCancelled); !errors.Is(err, ErrSMSArrived) {
		t.Fatalf("cancel after SMS: %v", err)
	}
	if _, err := s.EndReservation(ctx, r.ID, ResFinished); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "m2", Body: "late"}); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("message after the end: %v", err)
	}
	if b := resBalance(t, s, u); b != 70 {
		t.Fatalf("balance %d, want 70 (paid, no refund)", b)
	}
}

func TestHistoryFilterPagesAndRetention(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "f@example.com")
	credit(t, s, u, 10_000)
	var ids []int64
	for i := range 7 {
		n := newRes(u, 10)
		if i%2 == 1 {
			n.Service = "whatsapp"
		}
		r, err := s.CreateReservation(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "x", Body: "Your WhatsApp code 424-242", Code: "424242"})
		}
		to := ResExpired
		if i == 3 {
			to = ResFinished
		}
		if _, err := s.EndReservation(ctx, r.ID, to); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		clock.Add(time.Minute)
	}
	open, _ := s.CreateReservation(ctx, newRes(u, 10))

	page, more, err := s.History(ctx, u.ID, HistoryQuery{Limit: 3})
	if err != nil || len(page) != 3 || !more || page[0].ID != ids[6] {
		t.Fatalf("first page: %d rows, more=%v, err=%v", len(page), more, err)
	}
	since, _, _ := s.History(ctx, u.ID, HistoryQuery{Since: page[2].EndedAt})
	if len(since) != 3 || since[2].ID != ids[4] {
		t.Fatalf("since the third newest ended: %d rows", len(since))
	}
	page, more, _ = s.History(ctx, u.ID, HistoryQuery{Limit: 3, Offset: 6})
	if len(page) != 1 || more || page[0].ID != ids[0] {
		t.Fatalf("last page: %+v more=%v", page, more)
	}
	for _, r := range page {
		if r.ID == open.ID {
			t.Fatal("an open reservation is in the history")
		}
	}
	page, _, _ = s.History(ctx, u.ID, HistoryQuery{Text: "WHATS"})
	if len(page) != 3 {
		t.Fatalf("filter by service: %d rows, want 3", len(page))
	}
	page, _, _ = s.History(ctx, u.ID, HistoryQuery{Text: "424242"})
	if len(page) != 1 || page[0].ID != ids[3] || len(page[0].Messages) != 1 || page[0].Refunded {
		t.Fatalf("filter by code: %+v", page)
	}
	page, _, _ = s.History(ctx, u.ID, HistoryQuery{Text: "United", Countries: []string{"gb"}})
	if len(page) != 7 {
		t.Fatalf("filter by country name: %d rows, want 7", len(page))
	}
	page, _, _ = s.History(ctx, u.ID, HistoryQuery{Text: "%"})
	if len(page) != 0 {
		t.Fatalf("a literal %% matched %d rows", len(page))
	}
	clock.Add(HistoryRetention - 6*time.Minute - 30*time.Second)
	page, _, _ = s.History(ctx, u.ID, HistoryQuery{})
	if len(page) != 6 {
		t.Fatalf("after a year: %d rows, want 6 (the oldest ended over a year ago)", len(page))
	}
}

func TestAllOpenAndByRef(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "g@example.com")
	credit(t, s, u, 100)
	a, _ := s.CreateReservation(ctx, newRes(u, 10))
	b, _ := s.CreateReservation(ctx, newRes(u, 10))
	s.EndReservation(ctx, a.ID, ResCancelled)
	all, err := s.AllOpenReservations(ctx)
	if err != nil || len(all) != 1 || all[0].ID != b.ID {
		t.Fatalf("open: %+v %v", all, err)
	}
	got, err := s.OpenReservationByRef(ctx, "sim", b.ProviderRef)
	if err != nil || got.ID != b.ID {
		t.Fatalf("by ref: %+v %v", got, err)
	}
	if _, err := s.OpenReservationByRef(ctx, "sim", a.ProviderRef); !errors.Is(err, ErrNoReservation) {
		t.Fatalf("ended by ref: %v", err)
	}
}

// BenchmarkReserveDebit measures the reserve→debit transaction on a real
// SQLite file with synchronous=FULL.
func BenchmarkReserveDebit(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	users := make([]User, 8)
	for i := range users {
		users[i] = newUser(b, s, fmt.Sprintf("bench%d@example.com", i))
		credit(b, s, users[i], 1<<40)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		n := newRes(users[i%len(users)], 10)
		n.MaxOpen = 0
		i++
		if _, err := s.CreateReservation(ctx, n); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
}

// BenchmarkMessageIngest measures storing an SMS until the owner's
// subscription has the event.
func BenchmarkMessageIngest(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	u := newUser(b, s, "ingest@example.com")
	credit(b, s, u, 1<<40)
	n := newRes(u, 1)
	n.MaxOpen = 0
	r, err := s.CreateReservation(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: fmt.Sprint(i), Body: "code 123456", Code: "123456"}); err != nil {
			b.Fatal(err)
		}
		<-sub.C // the SMS: one event
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}

// BenchmarkReserveDebitConcurrent is the same with many sessions
// reserving at once, as on a busy server: writes share commits.
func BenchmarkReserveDebitConcurrent(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	users := make([]User, 64)
	for i := range users {
		users[i] = newUser(b, s, fmt.Sprintf("bench%d@example.com", i))
		credit(b, s, users[i], 1<<40)
	}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			n := NewReservation{UserID: users[i%int64(len(users))].ID, Service: "telegram", Country: "gb",
				Phone: "+447700900123", Provider: "sim", ProviderRef: fmt.Sprint(i), CostMicros: 1, PriceCents: 10,
				Lifetime: time.Minute}
			if _, err := s.CreateReservation(ctx, n); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
}

// BenchmarkMessageIngestConcurrent stores SMS for many reservations at
// once, each until its owner's subscription has the event.
func BenchmarkMessageIngestConcurrent(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	const owners = 64
	type target struct {
		res int64
		sub *Subscription
	}
	targets := make(chan target, owners)
	for i := range owners {
		u := newUser(b, s, fmt.Sprintf("ingest%d@example.com", i))
		credit(b, s, u, 1<<40)
		n := newRes(u, 1)
		n.MaxOpen = 0
		r, err := s.CreateReservation(ctx, n)
		if err != nil {
			b.Fatal(err)
		}
		sub := s.Hub().Subscribe(u.ID)
		defer sub.Close()
		targets <- target{r.ID, sub}
	}
	var seq atomic.Int64
	b.SetParallelism(owners / 2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		t := <-targets
		for pb.Next() {
			id := fmt.Sprint(seq.Add(1))
			if _, err := s.AddMessage(ctx, t.res, NewMessage{ProviderID: id, Body: "code 123456", Code: "123456"}); err != nil {
				b.Error(err)
				return
			}
			<-t.sub.C // the SMS: one event
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}

func TestDeleteAccountErasesNumbersAndSMS(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "gone@example.com")
	credit(t, s, u, 100)
	r, _ := s.CreateReservation(ctx, newRes(u, 10))
	s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "1", Body: "code 1234", Code: "1234"})
	if err := s.DeleteAccount(ctx, u.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	var n int
	s.r.QueryRow(`SELECT (SELECT COUNT(*) FROM reservations) + (SELECT COUNT(*) FROM messages)`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d reservation and message rows left", n)
	}
	checkLedger(t, s)
}

// Another SMS asked for: the number waits for a message newer than the
// one it had when it was asked, even one that came before the request
// was recorded; an SMS that ends the wait is any newer one. A number
// without an SMS cannot be asked.
func TestAskedAnotherWaitsForANewerMessage(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "a@example.com")
	credit(t, s, u, 1000)
	r, err := s.CreateReservation(ctx, newRes(u, 100))
	must(t, err)
	if err := s.AskedAnother(ctx, r.ID, 0); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("asked before any SMS: %v", err)
	}
	msg := func(n int) int64 {
		t.Helper()
		if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: fmt.Sprint("m", n), Body: "code 1234", Code: "1234"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.UserReservation(ctx, u.ID, r.ID)
		must(t, err)
		return got.Messages[len(got.Messages)-1].ID
	}
	waiting := func() bool {
		got, err := s.UserReservation(ctx, u.ID, r.ID)
		must(t, err)
		return got.WaitingForAnother()
	}
	first := msg(1)
	if waiting() {
		t.Fatal("waiting before anything was asked")
	}
	must(t, s.AskedAnother(ctx, r.ID, first))
	if !waiting() {
		t.Fatal("not waiting after asking")
	}
	msg(2)
	if waiting() {
		t.Fatal("still waiting after the new SMS")
	}
	// The provider's SMS outran the record of the request.
	third := msg(3)
	msg(4)
	must(t, s.AskedAnother(ctx, r.ID, third))
	if waiting() {
		t.Fatal("waiting although an SMS newer than the one asked after came")
	}
}

// BenchmarkOpenReservations is an Inbox's reload after an SMS: the open
// numbers of one account (two, one with its SMS) with their messages.
func BenchmarkOpenReservations(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	u := newUser(b, s, "inbox@example.com")
	credit(b, s, u, 1000)
	var first Reservation
	for i := range 2 {
		r, err := s.CreateReservation(ctx, newRes(u, 10))
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			first = r
		}
	}
	if _, err := s.AddMessage(ctx, first.ID, NewMessage{ProviderID: "m1", Body: "code 123456", Code: "123456"}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		open, err := s.OpenReservations(ctx, u.ID)
		if err != nil || len(open) != 2 || len(open[0].Messages)+len(open[1].Messages) != 1 {
			b.Fatalf("open %+v, %v", open, err)
		}
	}
}
