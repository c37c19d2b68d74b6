package inbox

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// countingStore answers the Inbox's reads with one open number and counts
// them.
type countingStore struct{ reads atomic.Int64 }

func (s *countingStore) Now() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }

func (s *countingStore) OpenReservations(context.Context, int64) ([]store.Reservation, error) {
	s.reads.Add(1)
	return []store.Reservation{{ID: 1, State: store.ResReceived, ExpiresAt: s.Now().Add(time.Hour)}}, nil
}

// runAll runs cmd and the commands it batches, and returns the messages.
func runAll(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if batch, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range batch {
			out = append(out, runAll(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// deliver hands every loadedMsg of msgs to the pane and runs what it asks,
// until no load is left.
func deliver(p *Pane, msgs []tea.Msg) {
	for len(msgs) > 0 {
		var next []tea.Msg
		for _, m := range msgs {
			if _, ok := m.(loadedMsg); ok {
				_, cmd := p.Update(m)
				next = append(next, runAll(cmd)...)
			}
		}
		msgs = next
	}
}

func smsEvents(p *Pane) tea.Cmd {
	// An SMS is two events, taken in one go.
	_, a := p.Update(kit.EventMsg{Event: store.Event{Kind: store.EventMessage, Ref: 1}})
	_, b := p.Update(kit.EventMsg{Event: store.Event{Kind: store.EventReservation, Ref: 1}})
	return tea.Batch(a, b)
}

func TestReloadsCoalesceWhileOneIsInFlight(t *testing.T) {
	st := &countingStore{}
	p := New(&kit.Common{Ctx: context.Background(), UserID: 7}, st, nil)
	first := p.Init()
	// Both events come before the first load starts: it answers for them.
	if cmd := smsEvents(p); cmd != nil {
		t.Fatal("a second load started while one was in flight")
	}
	deliver(p, runAll(first))
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d reads for the first load and an SMS before it started; want 1", n)
	}
	// An SMS once idle: one read for its two events.
	deliver(p, runAll(smsEvents(p)))
	if n := st.reads.Load(); n != 2 {
		t.Fatalf("%d reads after one more SMS; want 2", n)
	}
}

func TestAChangeDuringALoadIsReadAfterIt(t *testing.T) {
	st := &countingStore{}
	p := New(&kit.Common{Ctx: context.Background(), UserID: 7}, st, nil)
	started := runAll(p.Init()) // the load has run: it saw no SMS
	if cmd := smsEvents(p); cmd != nil {
		t.Fatal("a second load started while one was in flight")
	}
	deliver(p, started)
	if n := st.reads.Load(); n != 2 {
		t.Fatalf("%d reads; want 2: the SMS that came during the first load must be read after it", n)
	}
	if p.loading {
		t.Error("still loading after every answer")
	}
}
