package inbox_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/pane/inbox"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// benchOpen is how many open numbers the Inbox benchmarks hold: twice the
// default per-person limit, the most a raised limit would show.
const benchOpen = 20

// benchEnv is an account holding benchOpen open numbers, every other one
// with its SMS, all reserved at start on a fake clock, and the session of
// a 256-colour terminal.
type benchEnv struct {
	st    *store.Store
	eng   *engine.Engine
	user  store.User
	c     *kit.Common
	start time.Time
}

func newBenchEnv(b *testing.B) benchEnv {
	b.Helper()
	ctx := context.Background()
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := sim.NewFakeClock(start)
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{Clock: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	sm := sim.New(sim.Options{Seed: 3, Clock: clock, SMSDelay: time.Hour})
	b.Cleanup(func() { sm.Close() })
	r := provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: clock.Now})
	if err := r.Add(sm, provider.Route{Enabled: true}); err != nil {
		b.Fatal(err)
	}
	eng := engine.New(st, r, engine.Config{Clock: clock, MaxOpen: benchOpen, CancelGuard: engine.DefaultCancelGuard, Simulated: map[string]bool{"sim": true}})
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Close)
	u, err := st.CreateUser(ctx, "bench@example.com", "correct horse", store.Origin{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 100_000, Kind: store.LedgerGrant, Reference: "g"}); err != nil {
		b.Fatal(err)
	}
	services := []string{"telegram", "whatsapp", "google", "discord", "uber"}
	for i := range benchOpen {
		res, err := eng.Reserve(ctx, u.ID, services[i%len(services)], "gb", 1000)
		if err != nil {
			b.Fatal(err)
		}
		if i%2 == 1 {
			code := fmt.Sprintf("%06d", 100000+i)
			if _, err := st.AddMessage(ctx, res.ID, store.NewMessage{ProviderID: "m", Sender: "Service",
				Body: "Your verification code is " + code + ". Do not share it with anyone.", Code: code}); err != nil {
				b.Fatal(err)
			}
		}
	}
	u, _ = st.UserByID(ctx, u.ID)
	rend := lipgloss.NewRenderer(io.Discard)
	rend.SetColorProfile(termenv.ANSI256) // lipgloss would detect io.Discard: no colours
	c := &kit.Common{Ctx: ctx, SSHCommand: "ssh -p 2222 localhost", Session: &kit.Session{ID: "bench"},
		Styles: kit.NewStyles(rend), Keys: kit.DefaultKeys()}
	return benchEnv{st: st, eng: eng, user: u, c: c, start: start}
}

// inboxWith20 is a signed-in dashboard on the Inbox of a benchEnv, 80×24
// (what most sessions are).
func inboxWith20(b *testing.B) tea.Model {
	b.Helper()
	e := newBenchEnv(b)
	var m tea.Model = tui.New(e.c, tui.Deps{Store: e.st, Numbers: e.eng, SSHCommand: e.c.SSHCommand}, &e.user)
	m = tuitest.Drive(m, m.Init()())
	m = tuitest.Drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'2'}})
	if v := m.View(); !strings.Contains(v, fmt.Sprintf("Inbox · %d open", benchOpen)) {
		b.Fatalf("not on an Inbox with %d numbers:\n%s", benchOpen, v)
	}
	return m
}

// setClock is the store with a clock the benchmark sets: the Inbox reads
// the time from its store.
type setClock struct {
	*store.Store
	now time.Time
}

func (s *setClock) Now() time.Time { return s.now }

// BenchmarkInboxView20 renders the whole dashboard frame on the Inbox with
// 20 open numbers: the work of every screen update a live session gets
// (a countdown second, an SMS, a balance change).
func BenchmarkInboxView20(b *testing.B) {
	m := inboxWith20(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkInboxMove20 moves the cursor down and renders, as a person
// scrolling through 20 numbers does.
func BenchmarkInboxMove20(b *testing.B) {
	m := inboxWith20(b)
	down, up := tea.KeyMsg{Type: tea.KeyDown}, tea.KeyMsg{Type: tea.KeyUp}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		key := down
		if i/(benchOpen-1)%2 == 1 {
			key = up
		}
		i++
		m, _ = m.Update(key)
		_ = m.View()
	}
}

// BenchmarkInboxCountdown20 renders the Inbox pane of 20 numbers as the
// selected one's cancel guard counts its last seconds: a new second each
// frame, the frame most sessions draw while they wait for an SMS.
func BenchmarkInboxCountdown20(b *testing.B) {
	e := newBenchEnv(b)
	clock := &setClock{Store: e.st, now: e.start}
	e.c.User, e.c.UserID = e.user, e.user.ID // what signing in sets
	pane := inbox.New(e.c, clock, e.eng)
	pane.SetSize(76, 17) // the pane's room in an 80×24 dashboard
	var m tea.Model = tuitest.PaneModel{P: pane}
	m = tuitest.Drive(m, m.Init()())
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyDown}) // the newest has its SMS; the one below waits
	guardEnd := e.start.Add(engine.DefaultCancelGuard)
	clock.now = guardEnd.Add(-10 * time.Second)
	if v := m.View(); !strings.Contains(v, "Can be cancelled in 0:10") {
		b.Fatalf("not counting the guard down:\n%s", v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		clock.now = guardEnd.Add(-time.Duration(1+i%29) * time.Second)
		_ = m.View()
	}
}
