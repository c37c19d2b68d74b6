package inbox

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// countingStore answers the Inbox's reads with one open number and counts
// them.
type countingStore struct {
	reads atomic.Int64
	fail  atomic.Bool // reads fail while set
}

func (s *countingStore) Now() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }

func (s *countingStore) OpenReservations(context.Context, int64) ([]store.Reservation, error) {
	s.reads.Add(1)
	if s.fail.Load() {
		return nil, errors.New("database is locked")
	}
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
	// Two events taken in one go: an SMS stored by another instance (it
	// comes without the message) and an unrelated change of state.
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

// An SMS this process stored comes with its event: the Inbox shows it,
// the number received, without reading its numbers again. One on a
// number it does not list yet, or during a load, is read.
func TestAnSMSStoredHereIsShownWithoutARead(t *testing.T) {
	st := &countingStore{}
	p := New(&kit.Common{Ctx: context.Background(), UserID: 7}, st, nil)
	deliver(p, runAll(p.Init()))
	p.open[0].State = store.ResActive // as if no SMS yet
	sms := func(id, reservation int64, code string) tea.Cmd {
		_, cmd := p.Update(kit.EventMsg{Event: store.Event{UserID: 7, Kind: store.EventMessage, Ref: reservation,
			Message: &store.Message{ID: id, ReservationID: reservation, Body: "code " + code, Code: code, ReceivedAt: st.Now()}}})
		return cmd
	}
	deliver(p, runAll(sms(9, 1, "123456")))
	r, _ := p.current()
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d reads; want 1 (the first load only)", n)
	}
	if r.State != store.ResReceived || r.LatestCode() != "123456" || len(r.Messages) != 1 {
		t.Fatalf("after the SMS: %+v", r)
	}
	deliver(p, runAll(sms(9, 1, "123456"))) // the same one again
	if r, _ := p.current(); len(r.Messages) != 1 || st.reads.Load() != 1 {
		t.Fatalf("the same SMS twice: %d messages, %d reads", len(r.Messages), st.reads.Load())
	}
	deliver(p, runAll(sms(10, 2, "654321"))) // a number not listed
	if n := st.reads.Load(); n != 2 {
		t.Fatalf("%d reads; want 2: a number the Inbox does not list is read", n)
	}
	st.fail.Store(true) // a load that fails: the next SMS reads again
	deliver(p, runAll(p.reload()))
	st.fail.Store(false)
	deliver(p, runAll(sms(12, 1, "222222")))
	if n := st.reads.Load(); n != 4 || p.loadErr != "" {
		t.Fatalf("%d reads, error %q; want 4 and none: after a failed load an SMS is read", n, p.loadErr)
	}
	during := runAll(p.reload()) // a load in flight, which the SMS may postdate
	sms(11, 1, "111111")
	deliver(p, during)
	if n := st.reads.Load(); n != 6 {
		t.Fatalf("%d reads; want 6: an SMS during a load is read after it", n)
	}
}

// An SMS taken from its event is drawn as a reloaded one would be: its
// code large, its text; one received before the newest lands above it.
func TestAnSMSTakenFromItsEventIsDrawn(t *testing.T) {
	st := &countingStore{}
	c := &kit.Common{Ctx: context.Background(), UserID: 7, Styles: kit.NewStyles(lipgloss.NewRenderer(io.Discard))}
	p := New(c, st, nil)
	p.SetSize(76, 17)
	deliver(p, runAll(p.Init()))
	before := p.View()
	take := func(id int64, at time.Time, code string) {
		_, cmd := p.Update(kit.EventMsg{Event: store.Event{UserID: 7, Kind: store.EventMessage, Ref: 1,
			Message: &store.Message{ID: id, ReservationID: 1, Body: "your code " + code, Code: code, ReceivedAt: at}}})
		deliver(p, runAll(cmd))
	}
	take(11, st.Now(), "123456")
	v := p.View()
	if v == before || !strings.Contains(v, "123 456") || !strings.Contains(v, "your code 123456") {
		t.Fatalf("after the SMS:\n%s", v)
	}
	take(12, st.Now().Add(-time.Minute), "999999") // delivered late, received earlier
	v = p.View()
	older, newer := strings.Index(v, "your code 999999"), strings.Index(v, "your code 123456")
	if older < 0 || newer < older || !strings.Contains(v, "123 456") {
		t.Fatalf("the earlier SMS should show above the newest, whose code stays:\n%s", v)
	}
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d reads; want 1", n)
	}
}
