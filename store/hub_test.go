package store

import (
	"context"
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
	s.Move(ctx, Movement{UserID: a.ID, AmountCents: -999, Kind: LedgerAdjust, Reference: "y"})
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
