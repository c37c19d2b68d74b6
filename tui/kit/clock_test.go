package kit

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// The countdown ticks only while a pane that shows one is in view, one
// tick at a time, and a sooner change supersedes a later tick.
func TestCountdownTicksOnlyWhenShown(t *testing.T) {
	tk := NewTicker("x", nil)
	if tk.Ensure(time.Second) != nil {
		t.Fatal("a pane out of view started a tick")
	}
	tk.active = true
	if tk.Ensure(-1) != nil {
		t.Fatal("a tick without a countdown")
	}
	if tk.Ensure(time.Minute) == nil || tk.Ensure(time.Minute) != nil {
		t.Fatal("want exactly one tick running")
	}
	late := TickMsg{owner: "x", gen: tk.gen}
	if tk.Ensure(time.Second) == nil {
		t.Fatal("a sooner change did not get its own tick")
	}
	if tk.Tick(late, time.Second) != nil {
		t.Fatal("a superseded tick re-armed the timer")
	}
	current := TickMsg{owner: "x", gen: tk.gen}
	tk.active = false
	if tk.Tick(current, time.Second) != nil {
		t.Fatal("the tick went on after the pane left the view")
	}
}

// Above two minutes a countdown shows whole minutes, so it changes once a
// minute; ClockChange says exactly when the text changes.
func TestClockChangesWhenItsTextDoes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", -time.Second: "0:00", 1500 * time.Millisecond: "0:02", 2 * time.Minute: "2:00",
		2*time.Minute + time.Second: "3 min", 20 * time.Minute: "20 min", 19*time.Minute + 59*time.Second: "20 min",
		59 * time.Minute: "59 min", 59*time.Minute + time.Second: "1 h 00", 125 * time.Minute: "2 h 05",
	} {
		if got := Clock(d); got != want {
			t.Errorf("Clock(%v) = %q, want %q", d, got, want)
		}
	}
	if ClockChange(0) != -1 || ClockChange(-time.Second) != -1 {
		t.Error("a countdown at zero changes")
	}
	for d := 10 * time.Millisecond; d < 70*time.Minute; d += 7919 * time.Millisecond / 10 {
		w := ClockChange(d)
		if w <= 0 {
			t.Fatalf("ClockChange(%v) = %v", d, w)
		}
		if d-w > 0 && Clock(d-w) == Clock(d) {
			t.Errorf("ClockChange(%v) = %v, but the text is still %q then", d, w, Clock(d))
		}
		if before := d - w + TickMargin + time.Millisecond; Clock(before) != Clock(d) {
			t.Errorf("ClockChange(%v) = %v, but the text changed earlier (%q at %v left)", d, w, Clock(before), before)
		}
	}
	if w := ClockChange(20 * time.Minute); w < 59*time.Second {
		t.Errorf("a 20-minute countdown wakes after %v; want about a minute", w)
	}
}

// In a session that can post, a tick is a timer that posts it: no
// command sleeps on a goroutine meanwhile, and a superseded tick's timer
// is stopped, so only the current tick arrives.
func TestTickerPostsFromATimer(t *testing.T) {
	got := make(chan tea.Msg, 4)
	tk := NewTicker("x", &Common{Post: func(m tea.Msg) { got <- m }})
	tk.active = true
	if tk.Ensure(time.Hour) != nil {
		t.Fatal("a command instead of a timer")
	}
	if tk.Ensure(20*time.Millisecond) != nil {
		t.Fatal("a command instead of a timer")
	}
	msg := (<-got).(TickMsg)
	if msg.gen != tk.gen {
		t.Fatalf("tick of generation %d arrived, current is %d", msg.gen, tk.gen)
	}
	if tk.Tick(msg, -1) != nil {
		t.Fatal("re-armed without a countdown")
	}
	select {
	case m := <-got:
		t.Fatalf("a second tick arrived: %+v", m)
	case <-time.After(50 * time.Millisecond):
	}
}

// A stopped ticker posts nothing: an ended session's program is not kept
// alive by its countdown's timer.
func TestTickerStop(t *testing.T) {
	got := make(chan tea.Msg, 1)
	tk := NewTicker("x", &Common{Post: func(m tea.Msg) { got <- m }})
	tk.active = true
	tk.Ensure(10 * time.Millisecond)
	tk.Stop()
	select {
	case m := <-got:
		t.Fatalf("a stopped ticker posted %+v", m)
	case <-time.After(60 * time.Millisecond):
	}
	if tk.timer.Stop() {
		t.Fatal("the timer was still armed")
	}
}
