package kit

import (
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Times as the dashboard writes them, and the ticks that keep countdowns
// true while a pane shows them.

// SecondsFrom is the time left below which a countdown shows seconds
// (m:ss): the last two minutes, when they matter (the default cancel guard
// is two minutes too). Above it a countdown shows whole minutes, which
// change sixty times less often: every change redraws the session's screen,
// and 10,000 open Inboxes redrawn every second took several cores (README,
// "Performance").
const SecondsFrom = 2 * time.Minute

// Clock shows a remaining duration: m:ss within the last two minutes,
// else the minutes started ("20 min", "1 h 05").
func Clock(d time.Duration) string {
	s := clockSeconds(d)
	if s <= int(SecondsFrom/time.Second) {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	m := (s + 59) / 60
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d", m/60, m%60)
}

// clockSeconds is what Clock shows, in whole seconds (rounded).
func clockSeconds(d time.Duration) int { return int(max(d, 0).Round(time.Second) / time.Second) }

// TickMargin makes a countdown's tick land just after its text changes,
// never on the edge.
const TickMargin = 20 * time.Millisecond

// ClockChange is how long until Clock shows something else for a
// countdown with d left (at zero: when it reaches zero, where a pane may
// drop it), or -1 when it never will.
func ClockChange(d time.Duration) time.Duration {
	s := clockSeconds(d)
	switch {
	case d <= 0:
		return -1
	case s == 0:
		return d + TickMargin
	}
	next := s - 1 // the next value shown, in seconds
	if s > int(SecondsFrom/time.Second) {
		next = (s+59)/60*60 - 60 // the end of the current minute
	}
	// d rounds to next once below next+0.5 s.
	return d - (time.Duration(next)*time.Second + time.Second/2) + TickMargin
}

// GuardSecondsFrom is the cancel guard's wait below which it is counted
// in seconds; above, in minutes started ("2 min"). Every number is
// reserved with a guard of two minutes, and a second-by-second count for
// all of them redrew every session's screen each second (10,000
// dashboards took more than a core).
const GuardSecondsFrom = 30 * time.Second

// GuardLeft shows the wait of a cancel guard: rounded up to the second
// as the engine's refusal does ("0:42" and "try again in 42 s" agree)
// within GuardSecondsFrom or when exact, else the minutes started.
func GuardLeft(wait time.Duration, exact bool) string {
	if exact || wait <= GuardSecondsFrom {
		return Clock((wait + time.Second - time.Nanosecond).Truncate(time.Second))
	}
	return fmt.Sprintf("%d min", (wait+time.Minute-time.Nanosecond)/time.Minute)
}

// GuardChange is how long until GuardLeft shows something else (-1:
// the guard is over).
func GuardChange(wait time.Duration, exact bool) time.Duration {
	switch {
	case wait <= 0:
		return -1
	case exact || wait <= GuardSecondsFrom: // the next whole second, rounded up
		return (wait-time.Nanosecond)%time.Second + time.Nanosecond + TickMargin
	}
	started := (wait - time.Nanosecond) / time.Minute // whole minutes below the one shown
	return min(wait-started*time.Minute, wait-GuardSecondsFrom) + TickMargin
}

// Soonest is the smallest of the waits that are not negative, or -1.
func Soonest(waits ...time.Duration) time.Duration {
	out := time.Duration(-1)
	for _, w := range waits {
		if w >= 0 && (out < 0 || w < out) {
			out = w
		}
	}
	return out
}

// Minutes writes a lifetime: "20 min", "90 s".
func Minutes(d time.Duration) string {
	s := int(d.Seconds())
	if s%60 != 0 || s < 60 {
		return fmt.Sprintf("%d s", s)
	}
	return fmt.Sprintf("%d min", s/60)
}

// When shows a time in UTC, short: "11-25 12:00".
func When(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("01-02 15:04")
}

// TickMsg wakes a pane when a countdown it shows changes its text; its
// owner names the pane, since every pane sees every message, and its
// generation tells a superseded tick from the current one.
type TickMsg struct {
	owner string
	gen   int
}

// Ticker wakes a pane only while it is in view and only when a countdown
// on it changes its text: idle sessions cost nothing, and one with a
// number open wakes once a minute until its last two minutes.
type Ticker struct {
	owner  string
	c      *Common
	active bool      // the pane is in view
	due    time.Time // when the pending tick fires; zero when none is
	gen    int
	timer  *time.Timer // the pending tick, when posted by a timer
}

// NewTicker makes the ticker of the pane named owner in c's session.
func NewTicker(owner string, c *Common) Ticker { return Ticker{owner: owner, c: c} }

// SetActive records whether the pane is in view.
func (t *Ticker) SetActive(on bool) { t.active = on }

// Owns reports whether msg is one of this ticker's ticks.
func (t *Ticker) Owns(msg TickMsg) bool { return msg.owner == t.owner }

// Ensure arms a tick in wait (the pane's soonest countdown change; -1:
// none), unless one already pending comes as soon.
func (t *Ticker) Ensure(wait time.Duration) tea.Cmd {
	if !t.active || wait < 0 {
		return nil
	}
	due := time.Now().Add(wait)
	if !t.due.IsZero() && !t.due.After(due) {
		return nil
	}
	t.gen++
	t.due = due
	msg := TickMsg{owner: t.owner, gen: t.gen}
	if t.c != nil && t.c.Post != nil {
		// A timer, not a command sleeping on a goroutine of its own: a
		// session with a number open waits for its countdown at no
		// goroutine's cost.
		if t.timer != nil {
			t.timer.Stop()
		}
		post := t.c.Post
		t.timer = time.AfterFunc(wait, func() { post(msg) })
		return nil
	}
	return tea.Tick(wait, func(time.Time) tea.Msg { return msg })
}

// Stop drops the pending tick: the session ended, and a timer left
// armed would keep its program alive until it fires (up to an hour).
func (t *Ticker) Stop() {
	if t.timer != nil {
		t.timer.Stop()
	}
	t.due = time.Time{}
	t.gen++
}

// Tick handles one of the pane's ticks: the current one re-arms for the
// next change (wait), a superseded one is dropped.
func (t *Ticker) Tick(msg TickMsg, wait time.Duration) tea.Cmd {
	if msg.gen != t.gen {
		return nil
	}
	t.due = time.Time{}
	return t.Ensure(wait)
}
