// Package tuitest runs the dashboard in tests: a session's Common over a
// real store in a temporary directory with a clock that stands still, the
// real engine over the seeded simulator, messages driven through a model
// together with the commands they return, and screens compared with
// golden files (testdata/NAME.golden beside the test; go test -update
// rewrites them). Every pane's tests and the shell's use it; nothing
// else does.
//
// May import from this repository: provider, provider/engine,
// provider/sim, store, store/testdb, tui, tui/kit.
package tuitest

import (
	"context"
	"flag"
	"io"
	"os"
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
	"github.com/wantsms/wantsms/store/testdb"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/kit"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Env is a session's Common over a real store, rendered without colour
// so golden files hold exactly what a person reads, and the services a
// dashboard of it is opened with. Its clock stands still unless a test
// advances it.
type Env struct {
	T     testing.TB
	Store *store.Store
	C     *kit.Common
	Deps  tui.Deps
	Clock *sim.FakeClock
}

// New makes an Env over a new store; the session has no key.
func New(t testing.TB) *Env {
	t.Helper()
	clock := sim.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(testdb.Path(t), store.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.Ascii))
	c := &kit.Common{Ctx: context.Background(), SSHCommand: "ssh -p 2222 localhost", Session: &kit.Session{ID: "view"},
		Styles: kit.NewStyles(r), Keys: kit.DefaultKeys(), Post: post}
	return &Env{T: t, Store: st, C: c, Deps: tui.Deps{Store: st, SSHCommand: c.SSHCommand}, Clock: clock}
}

// UseStore puts st (on the Env's clock, opened by the test) in place of
// the Env's store.
func (e *Env) UseStore(st *store.Store) { e.Store, e.Deps.Store = st, st }

// WithNumbers gives the Env the real engine over a seeded simulator on
// its frozen clock, so screens are the same on every run.
func (e *Env) WithNumbers() *engine.Engine {
	e.T.Helper()
	sm := sim.New(sim.Options{Seed: 3, Clock: e.Clock, SMSDelay: time.Hour})
	e.T.Cleanup(func() { sm.Close() })
	r := provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: e.Clock.Now})
	if err := r.Add(sm, provider.Route{Enabled: true}); err != nil {
		e.T.Fatal(err)
	}
	eng := engine.New(e.Store, r, engine.Config{Clock: e.Clock, CancelGuard: 2 * time.Minute,
		Simulated: map[string]bool{"sim": true}})
	if err := eng.Start(context.Background()); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(eng.Close)
	e.Deps.Numbers, e.Deps.Rentals = eng, eng
	return eng
}

// Model is the session's dashboard for u (nil: the way in), not started.
func (e *Env) Model(u *store.User) *tui.Model { return tui.New(e.C, e.Deps, u) }

// Open starts the dashboard of u (nil: the way in) in a window of 80×24.
func (e *Env) Open(u *store.User) tea.Model {
	var m tea.Model = e.Model(u)
	if cmd := m.Init(); cmd != nil {
		m = Drive(m, cmd())
	}
	return Drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
}

// Account makes an account holding cents, its address verified (as most
// are; a test of an unverified one calls the store's CreateUser).
func (e *Env) Account(email string, cents int64) store.User {
	e.T.Helper()
	ctx := context.Background()
	u, err := e.Store.CreateUser(ctx, email, "correct horse", store.Origin{})
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.MarkEmailVerified(ctx, email, "test"); err != nil {
		e.T.Fatal(err)
	}
	if cents > 0 {
		e.Store.Move(ctx, store.Movement{UserID: u.ID, AmountCents: cents, Kind: store.LedgerGrant, Reference: "g-" + email})
	}
	u, _ = e.Store.UserByID(ctx, u.ID)
	return u
}

// SignedIn opens the dashboard for a new account holding cents.
func (e *Env) SignedIn(email string, cents int64) (tea.Model, store.User) {
	e.T.Helper()
	u := e.Account(email, cents)
	return e.Open(&u), u
}

// posted holds what sessions' Post handed over (the store's live events
// telling a dashboard to look): Drive delivers it once the model settles,
// as the program would.
var posted = make(chan tea.Msg, 1024)

func post(msg tea.Msg) {
	select {
	case posted <- msg:
	default: // a test that never drives again: nobody is waiting
	}
}

// Drive delivers a message and runs the commands it returns until the
// model settles, then what was posted meanwhile; commands that block are
// left.
func Drive(m tea.Model, msg tea.Msg) tea.Model {
	queue := []tea.Msg{msg}
	if batch, ok := msg.(tea.BatchMsg); ok {
		queue = nil
		for _, c := range batch {
			queue = append(queue, RunCmd(c)...)
		}
	}
	for len(queue) > 0 {
		var cmd tea.Cmd
		m, cmd = m.Update(queue[0])
		queue = append(queue[1:], RunCmd(cmd)...)
		if len(queue) == 0 {
			select {
			case p := <-posted:
				queue = append(queue, p)
			default:
			}
		}
	}
	return m
}

// RunCmd runs a command and the commands of the batches it returns, and
// gives their messages; one that waits (for live events) is left.
func RunCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if batch, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range batch {
				out = append(out, RunCmd(c)...)
			}
			return out
		}
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	case <-time.After(300 * time.Millisecond):
		return nil // a command that waits for events
	}
}

// Golden compares a view with testdata/NAME.golden (go test -update
// rewrites it) and checks it fits the window.
func Golden(t testing.TB, name, view string, width, height int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > height {
		t.Errorf("%s: %d lines, window has %d", name, len(lines), height)
	}
	for i, l := range lines {
		if w := lipgloss.Width(l); w > width {
			t.Errorf("%s: line %d is %d wide, window has %d: %q", name, i+1, w, width, l)
		}
	}
	path := filepath.Join("testdata", name+".golden")
	got := strings.Join(trimRight(lines), "\n") + "\n"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

func trimRight(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimRight(l, " ")
	}
	return out
}

// KeyMsg is the key a person presses: a named one ("enter", "down", …)
// or the runes typed.
func KeyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	case "ctrl+n":
		return tea.KeyMsg{Type: tea.KeyCtrlN}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// Press presses keys one after the other.
func Press(m tea.Model, keys ...string) tea.Model {
	for _, k := range keys {
		m = Drive(m, KeyMsg(k))
	}
	return m
}

// PressAndWait presses a key whose command does slow work (a password
// checked or hashed, a reset's fixed answer time) and waits for that
// command to end, however long it takes, before delivering what it
// returns; Press would take a command still running after a moment for
// one that waits for events, and leave it.
func PressAndWait(m tea.Model, k string) tea.Model {
	m, cmd := m.Update(KeyMsg(k))
	if cmd == nil {
		return m
	}
	return Drive(m, cmd())
}

// Type types s, a key per character.
func Type(m tea.Model, s string) tea.Model {
	for _, r := range s {
		m = Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

// Pane is the dashboard's pane with this title (built: it was shown).
func Pane(t testing.TB, m tea.Model, title string) kit.Pane {
	t.Helper()
	for _, p := range m.(*tui.Model).Panes() {
		if p.Title() != title {
			continue
		}
		if l, ok := p.(*kit.Lazy); ok {
			if l.Built() == nil {
				t.Fatalf("the %s pane was never shown", title)
			}
			return l.Built()
		}
		return p
	}
	t.Fatalf("no %s pane", title)
	return nil
}

// ShowPane switches to the pane with this title by its number key, as a
// person would, wherever it sits in the tab order.
func ShowPane(t testing.TB, m tea.Model, title string) tea.Model {
	t.Helper()
	for i, p := range m.(*tui.Model).Panes() {
		if p.Title() == title {
			return Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rune('1' + i)}})
		}
	}
	t.Fatalf("no %s pane", title)
	return m
}

// PaneTitles lists the tabs: "Numbers,Inbox,…".
func PaneTitles(m tea.Model) string {
	var out []string
	for _, p := range m.(*tui.Model).Panes() {
		out = append(out, p.Title())
	}
	return strings.Join(out, ",")
}

// PaneModel lets Drive run one pane on its own.
type PaneModel struct{ P kit.Pane }

func (p PaneModel) Init() tea.Cmd { return p.P.Init() }

func (p PaneModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	c, cmd := p.P.Update(msg)
	return PaneModel{c}, cmd
}

func (p PaneModel) View() string { return p.P.View() }
