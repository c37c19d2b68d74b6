package tui

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// Shared wording and formats of the Numbers, Inbox and History panes.

// serviceName is a service's display name ("Telegram").
func serviceName(code string) string {
	if s, ok := provider.LookupService(code); ok {
		return s.Name
	}
	return sanitize.Line(code)
}

// countryName is a country's flag and name ("🇬🇧 United Kingdom").
func countryName(code string) string {
	if c, ok := provider.LookupCountry(code); ok {
		return c.Flag() + " " + c.Name
	}
	return sanitize.Line(strings.ToUpper(code))
}

// secondsFrom is the time left below which a countdown shows seconds
// (m:ss): the last two minutes, when they matter (the default cancel guard
// is two minutes too). Above it a countdown shows whole minutes, which
// change sixty times less often: every change redraws the session's screen,
// and 10,000 open Inboxes redrawn every second took several cores (README,
// "Performance").
const secondsFrom = 2 * time.Minute

// clock shows a remaining duration: m:ss within the last two minutes,
// else the minutes started ("20 min", "1 h 05").
func clock(d time.Duration) string {
	s := clockSeconds(d)
	if s <= int(secondsFrom/time.Second) {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	m := (s + 59) / 60
	if m < 60 {
		return fmt.Sprintf("%d min", m)
	}
	return fmt.Sprintf("%d h %02d", m/60, m%60)
}

// clockSeconds is what clock shows, in whole seconds (rounded).
func clockSeconds(d time.Duration) int { return int(max(d, 0).Round(time.Second) / time.Second) }

// tickMargin makes a countdown's tick land just after its text changes,
// never on the edge.
const tickMargin = 20 * time.Millisecond

// clockChange is how long until clock shows something else for a
// countdown with d left (at zero: when it reaches zero, where a pane may
// drop it), or -1 when it never will.
func clockChange(d time.Duration) time.Duration {
	s := clockSeconds(d)
	switch {
	case d <= 0:
		return -1
	case s == 0:
		return d + tickMargin
	}
	next := s - 1 // the next value shown, in seconds
	if s > int(secondsFrom/time.Second) {
		next = (s+59)/60*60 - 60 // the end of the current minute
	}
	// d rounds to next once below next+0.5 s.
	return d - (time.Duration(next)*time.Second + time.Second/2) + tickMargin
}

// soonest is the smallest of the waits that are not negative, or -1.
func soonest(waits ...time.Duration) time.Duration {
	out := time.Duration(-1)
	for _, w := range waits {
		if w >= 0 && (out < 0 || w < out) {
			out = w
		}
	}
	return out
}

// stateLabel says where a reservation stands, refunds included.
func stateLabel(r store.Reservation) string {
	switch {
	case r.State == store.ResActive:
		return "waiting"
	case r.Refunded:
		return "refunded (" + string(r.State) + ")"
	}
	return string(r.State)
}

// spacedCode spreads a code out so it reads at a glance: "123456" →
// "123 456", "G-123456" stays as it is. It splits between characters,
// never inside one: half of a multi-byte letter is a stray byte that a
// terminal may read as a control.
func spacedCode(code string) string {
	code = sanitize.Line(code)
	chars := []rune(code)
	if len(chars) < 6 || strings.ContainsAny(code, "- ") {
		return code
	}
	half := (len(chars) + 1) / 2
	return string(chars[:half]) + " " + string(chars[half:])
}

// bigCode shows a code boxed and spread out, the thing on screen that
// matters most.
func bigCode(st *Styles, code string) string {
	return st.CodeBox.Render(st.Code.Render(spacedCode(code)))
}

// sentence capitalises a message's first letter for display.
func sentence(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// countdownTick wakes a pane when a countdown it shows changes its text;
// owner names the pane, since every pane sees every message, and gen
// tells a superseded tick from the current one.
type countdownTick struct {
	owner string
	gen   int
}

// ticker wakes a pane only while it is in view and only when a countdown
// on it changes its text: idle sessions cost nothing, and one with a
// number open wakes once a minute until its last two minutes.
type ticker struct {
	owner  string
	active bool      // the pane is in view
	due    time.Time // when the pending tick fires; zero when none is
	gen    int
}

// ensure arms a tick in wait (the pane's soonest countdown change; -1:
// none), unless one already pending comes as soon.
func (t *ticker) ensure(wait time.Duration) tea.Cmd {
	if !t.active || wait < 0 {
		return nil
	}
	due := time.Now().Add(wait)
	if !t.due.IsZero() && !t.due.After(due) {
		return nil
	}
	t.gen++
	t.due = due
	owner, gen := t.owner, t.gen
	return tea.Tick(wait, func(time.Time) tea.Msg { return countdownTick{owner: owner, gen: gen} })
}

// tick handles one of the pane's ticks: the current one re-arms for the
// next change (wait), a superseded one is dropped.
func (t *ticker) tick(msg countdownTick, wait time.Duration) tea.Cmd {
	if msg.gen != t.gen {
		return nil
	}
	t.due = time.Time{}
	return t.ensure(wait)
}

// now is the store's clock, the one reservations are stamped with.
func (c *Common) now() time.Time { return c.Deps.Store.Now() }
