package store

import (
	"context"
	"fmt"
	"testing"
)

func TestHubPublishesAfterCommitOnlyToOwner(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a, b := newUser(t, s, "a@example.com"), newUser(t, s, "b@example.com")
	subA, subB, all := s.Hub().Subscribe(a.ID), s.Hub().Subscribe(b.ID), s.Hub().SubscribeAll()
	defer subA.Close()
	defer subB.Close()
	defer all.Close()
	if _, err := s.Move(ctx, Movement{UserID: a.ID, AmountCents: 5, Kind: LedgerGrant, Reference: "x"}); err != nil {
		t.Fatal(err)
	}
	if e := <-subA.C; e.Kind != EventBalance || e.UserID != a.ID {
		t.Fatalf("a got %+v", e)
	}
	if e := <-all.C; e.UserID != a.ID {
		t.Fatalf("all got %+v", e)
	}
	select {
	case e := <-subB.C:
		t.Fatalf("b got a's event %+v", e)
	default:
	}
	// A failed transaction publishes nothing.
	s.Move(ctx, Movement{UserID: a.ID, AmountCents: -999, Kind: LedgerGrant, Reference: "y"})
	select {
	case e := <-subA.C:
		t.Fatalf("rolled-back movement published %+v", e)
	default:
	}
}

func TestHubSlowSubscriberMissesWithoutBlocking(t *testing.T) {
	h := NewHub()
	defer h.Close()
	slow := h.Subscribe(1)
	for i := range subscriptionBuffer * 3 {
		h.Publish(Event{UserID: 1, Kind: EventMessage, Ref: int64(i)})
	}
	if !slow.Missed() {
		t.Fatal("overflow not flagged")
	}
	if slow.Missed() {
		t.Fatal("Missed did not clear")
	}
	if len(slow.C) != subscriptionBuffer {
		t.Fatalf("queue %d, want full %d", len(slow.C), subscriptionBuffer)
	}
	slow.Close()
	if _, ok := <-drain(slow.C); ok {
		t.Fatal("closed subscription channel still open")
	}
	if h.Subscribers(1) != 0 {
		t.Fatal("subscription not removed")
	}
}

func drain(c <-chan Event) <-chan Event {
	for range len(c) {
		<-c
	}
	return c
}

func BenchmarkHubPublish1000Subscribers(b *testing.B) {
	h := NewHub()
	defer h.Close()
	subs := make([]*Subscription, 1000)
	for i := range subs {
		subs[i] = h.Subscribe(int64(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		uid := int64(i % 1000)
		h.Publish(Event{UserID: uid, Kind: EventMessage})
		<-subs[uid].C
	}
}

// BenchmarkDeliveryTo1000Sessions measures, for an SMS stored on a
// reservation whose owner has 1,000 sessions open, the time from the
// write until the last session has the event (reported as µs/op).
func BenchmarkDeliveryTo1000Sessions(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	u := newUser(b, s, "fan@example.com")
	credit(b, s, u, 1<<40)
	n := newRes(u, 1)
	n.MaxOpen = 0
	r, err := s.CreateReservation(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	subs := make([]*Subscription, 1000)
	for i := range subs {
		subs[i] = s.Hub().Subscribe(u.ID)
		defer subs[i].Close()
	}
	b.ResetTimer()
	var i int
	for b.Loop() {
		i++
		if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: fmt.Sprint(i), Body: "code 1234", Code: "1234"}); err != nil {
			b.Fatal(err)
		}
		for _, sub := range subs {
			<-sub.C // an SMS is one event
		}
	}
}

// BenchmarkFanOut1000SessionsOfOneUser is the hub's share of the above:
// one event to 1,000 sessions of one account, until all have it.
func BenchmarkFanOut1000SessionsOfOneUser(b *testing.B) {
	h := NewHub()
	defer h.Close()
	subs := make([]*Subscription, 1000)
	for i := range subs {
		subs[i] = h.Subscribe(7)
	}
	for b.Loop() {
		h.Publish(Event{UserID: 7, Kind: EventMessage})
		for _, s := range subs {
			<-s.C
		}
	}
}

// A wait on one number hears about that number and about the account
// (keys, sessions, deletion), and nothing else.
func TestEventConcernsReservation(t *testing.T) {
	for _, c := range []struct {
		e    Event
		want bool
	}{
		{Event{Kind: EventReservation, Ref: 7}, true},
		{Event{Kind: EventMessage, Ref: 7}, true},
		{Event{Kind: EventReservation, Ref: 8}, false},
		{Event{Kind: EventMessage, Ref: 8}, false},
		{Event{Kind: EventAccount}, true},
		{Event{Kind: EventAccountDeleted}, true},
		{Event{Kind: EventBalance}, false},
		{Event{Kind: EventOrder, Ref: 7}, false},
		{Event{Kind: EventRental, Ref: 7}, false},
	} {
		if got := c.e.ConcernsReservation(7); got != c.want {
			t.Errorf("%+v concerns reservation 7: %v, want %v", c.e, got, c.want)
		}
	}
}

// A resync reaches every subscription, each flagged as having missed
// events; the subscription to events of no one user (0) is not one to
// everyone's, and closing it leaves those alone.
func TestHubResyncFlagsEverySubscriber(t *testing.T) {
	h := NewHub()
	defer h.Close()
	one, none, all := h.Subscribe(1), h.Subscribe(0), h.SubscribeAll()
	defer one.Close()
	defer all.Close()
	h.Publish(Event{UserID: 2, Kind: EventBalance})
	if len(none.C) != 0 || len(all.C) != 1 {
		t.Fatalf("user 2's event: %d to the subscription of no user, %d to everyone's", len(none.C), len(all.C))
	}
	<-all.C
	h.Publish(Event{Kind: EventSettings})
	if e := <-none.C; e.Kind != EventSettings {
		t.Fatalf("got %+v", e)
	}
	<-all.C
	h.Resync()
	for _, s := range []*Subscription{one, none, all} {
		if e := <-s.C; e.Kind != EventResync || !s.Missed() {
			t.Fatalf("got %+v, missed false", e)
		}
	}
	none.Close()
	h.Publish(Event{UserID: 3, Kind: EventBalance})
	if len(all.C) != 1 {
		t.Fatal("closing the subscription of no user ended everyone's")
	}
}

// A notified subscription is told once per drain: events that arrive
// while it drains are found by its next TryNext or, after Rearm, by a
// new call; closing is told too.
func TestHubNotifyOncePerDrain(t *testing.T) {
	t.Run("channel", func(t *testing.T) {
		testNotifyOncePerDrain(t, func(h *Hub, ready func()) *Subscription {
			sub := h.Subscribe(7)
			sub.Notify(ready)
			return sub
		})
	})
	t.Run("queue", func(t *testing.T) {
		testNotifyOncePerDrain(t, func(h *Hub, ready func()) *Subscription { return h.SubscribeNotify(7, ready) })
	})
}

func testNotifyOncePerDrain(t *testing.T, subscribe func(*Hub, func()) *Subscription) {
	h := NewHub()
	calls := 0
	sub := subscribe(h, func() { calls++ })
	if calls != 0 {
		t.Fatalf("told %d times before any event", calls)
	}
	h.Publish(Event{UserID: 7, Kind: EventBalance})
	h.Publish(Event{UserID: 7, Kind: EventMessage, Ref: 3})
	if calls != 1 {
		t.Fatalf("told %d times for two events before a drain, want 1", calls)
	}
	var got []EventKind
	for {
		e, ok, closed := sub.TryNext()
		if closed {
			t.Fatal("closed while open")
		}
		if !ok {
			break
		}
		got = append(got, e.Kind)
	}
	if fmt.Sprint(got) != "[balance message]" {
		t.Fatalf("drained %v", got)
	}
	h.Publish(Event{UserID: 7, Kind: EventRental}) // while not re-armed
	if calls != 1 {
		t.Fatalf("told while disarmed (%d calls)", calls)
	}
	sub.Rearm() // an event is waiting: told at once
	if calls != 2 {
		t.Fatalf("re-arming over a queued event told %d times, want 2", calls)
	}
	if e, ok, _ := sub.TryNext(); !ok || e.Kind != EventRental {
		t.Fatalf("next %v %v", e, ok)
	}
	sub.Rearm()
	h.Close()
	if calls != 3 {
		t.Fatalf("closing told %d times, want 3", calls)
	}
	if _, ok, closed := sub.TryNext(); ok || !closed {
		t.Fatalf("after close: ok %v closed %v", ok, closed)
	}
	sub.Rearm() // closed while disarmed is told on re-arming too
	if calls != 4 {
		t.Fatalf("re-arming a closed subscription told %d times, want 4", calls)
	}
}

// A queue subscription holds at most subscriptionBuffer events, flags the
// rest as missed, and gives its memory back once drained.
func TestQueueSubscriptionBounded(t *testing.T) {
	h := NewHub()
	sub := h.SubscribeNotify(7, func() {})
	for i := range subscriptionBuffer + 5 {
		h.Publish(Event{UserID: 7, Kind: EventMessage, Ref: int64(i)})
	}
	n := 0
	for {
		if _, ok, _ := sub.TryNext(); !ok {
			break
		}
		n++
	}
	if n != subscriptionBuffer || !sub.Missed() {
		t.Fatalf("drained %d events (want %d), missed flagged %v", n, subscriptionBuffer, sub.Missed())
	}
	if sub.q.events != nil {
		t.Fatal("a drained queue still holds its slice")
	}
	sub.Close()
	if h.Subscribers(7) != 0 {
		t.Fatal("a closed queue subscription is still subscribed")
	}
}
