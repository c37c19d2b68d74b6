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

// clock shows a remaining duration as m:ss (h:mm:ss past an hour).
func clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
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
// "123 456", "G-123456" stays as it is.
func spacedCode(code string) string {
	code = sanitize.Line(code)
	if len(code) < 6 || strings.ContainsAny(code, "- ") {
		return code
	}
	half := (len(code) + 1) / 2
	return code[:half] + " " + code[half:]
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

// countdownTick is the 1-second tick of a pane that shows a countdown;
// owner names the pane, since every pane sees every message.
type countdownTick struct{ owner string }

// ticker runs a 1 s tick only while its pane is in view and shows a
// countdown: idle sessions cost nothing.
type ticker struct {
	owner   string
	active  bool // the pane is in view
	running bool // a tick is pending
}

// ensure starts the tick if it should run and is not running.
func (t *ticker) ensure(showing bool) tea.Cmd {
	if !t.active || !showing || t.running {
		return nil
	}
	t.running = true
	owner := t.owner
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return countdownTick{owner: owner} })
}

// tick handles the pane's tick: it re-arms only while still needed.
func (t *ticker) tick(showing bool) tea.Cmd {
	t.running = false
	return t.ensure(showing)
}

// now is the store's clock, the one reservations are stamped with.
func (c *Common) now() time.Time { return c.Deps.Store.Now() }
