package tui

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// withNumbers gives a view env the real engine over a seeded simulator on
// the env's frozen clock, so screens are the same on every run.
func withNumbers(t *testing.T, e *viewEnv) *engine.Engine {
	t.Helper()
	clock := e.clock
	sm := sim.New(sim.Options{Seed: 3, Clock: clock, SMSDelay: time.Hour})
	t.Cleanup(func() { sm.Close() })
	r := provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: clock.Now})
	if err := r.Add(sm, provider.Route{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(e.store, r, engine.Config{Clock: clock, CancelGuard: 2 * time.Minute,
		Simulated: map[string]bool{"sim": true}})
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	e.c.Deps.Numbers = eng
	return eng
}

// signedIn opens the dashboard for a new account holding cents.
func (e *viewEnv) signedIn(email string, cents int64) (tea.Model, store.User) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, email, "correct horse", store.Origin{})
	if err != nil {
		e.t.Fatal(err)
	}
	if cents > 0 {
		e.store.Move(ctx, store.Movement{UserID: u.ID, AmountCents: cents, Kind: store.LedgerGrant, Reference: "g-" + email})
	}
	u, _ = e.store.UserByID(ctx, u.ID)
	var m tea.Model = New(e.c, &u)
	m = drive(m, m.Init()())
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	return m, u
}

func typeKeys(m tea.Model, s string) tea.Model {
	for _, r := range s {
		m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return m
}

func TestViewNumbersPane(t *testing.T) {
	e := newViewEnv(t)
	withNumbers(t, e)
	m, _ := e.signedIn("alice@example.com", 500)
	golden(t, "numbers_services_80x24", m.View(), 80, 24)
	m = typeKeys(m, "te")
	golden(t, "numbers_filtered_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	golden(t, "numbers_countries_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	golden(t, "numbers_confirm_80x24", m.View(), 80, 24)
	m = typeKeys(m, "y")
	golden(t, "numbers_reserved_80x24", m.View(), 80, 24)
}

func TestViewNumbersNoBalance(t *testing.T) {
	e := newViewEnv(t)
	withNumbers(t, e)
	m, _ := e.signedIn("poor@example.com", 3)
	m = press(m, "enter")
	m = press(m, "enter")
	golden(t, "numbers_no_balance_80x24", m.View(), 80, 24)
}

func TestViewInboxPane(t *testing.T) {
	e := newViewEnv(t)
	eng := withNumbers(t, e)
	ctx := context.Background()
	m, u := e.signedIn("bob@example.com", 1000)
	a, err := eng.Reserve(ctx, u.ID, "whatsapp", "br", 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 300); err != nil {
		t.Fatal(err)
	}
	// A hostile sender: escapes and controls must not reach the terminal.
	if _, err := e.store.AddMessage(ctx, a.ID, store.NewMessage{ProviderID: "1", Sender: "WhatsApp\x1b[31m",
		Body: "Your WhatsApp code: 482-913\x1b]52;c;ZXZpbA==\a Don't share it.", Code: "482913"}); err != nil {
		t.Fatal(err)
	}
	m = typeKeys(m, "2")
	golden(t, "inbox_80x24", m.View(), 80, 24)
	m = press(m, "down")
	m = typeKeys(m, "x")
	golden(t, "inbox_cancel_received_80x24", m.View(), 80, 24)
	// Within the cancel guard, x says when instead of asking; the help
	// offers no cancel until the guard has passed.
	m = press(m, "up")
	m = typeKeys(m, "x")
	golden(t, "inbox_cancel_guard_80x24", m.View(), 80, 24)
	e.clock.Advance(90 * time.Second)
	if v := m.View(); !strings.Contains(v, "try again in 30 s") || !strings.Contains(v, "Can be cancelled in 0:30") ||
		strings.Contains(v, "x cancel") {
		t.Fatalf("30 s before the guard passes:\n%s", v)
	}
	e.clock.Advance(30 * time.Second)
	golden(t, "inbox_guard_passed_80x24", m.View(), 80, 24)
	m = typeKeys(m, "x")
	golden(t, "inbox_cancel_confirm_80x24", m.View(), 80, 24)
}

func TestViewInboxEmptyAndHistory(t *testing.T) {
	e := newViewEnv(t)
	eng := withNumbers(t, e)
	ctx := context.Background()
	m, u := e.signedIn("carol@example.com", 1000)
	m = typeKeys(m, "2")
	golden(t, "inbox_empty_80x24", m.View(), 80, 24)

	got, _ := eng.Reserve(ctx, u.ID, "google", "de", 300)
	e.store.EndReservation(ctx, got.ID, store.ResExpired)
	got, _ = eng.Reserve(ctx, u.ID, "telegram", "us", 300)
	e.store.AddMessage(ctx, got.ID, store.NewMessage{ProviderID: "1", Sender: "Telegram",
		Body: "Telegram code: 51873. Do not give this code to anyone!", Code: "51873"})
	e.store.EndReservation(ctx, got.ID, store.ResFinished)
	m = typeKeys(m, "3")
	golden(t, "history_80x24", m.View(), 80, 24)
	m = typeKeys(m, "/")
	m = typeKeys(m, "germ")
	m = press(m, "enter")
	golden(t, "history_filtered_80x24", m.View(), 80, 24)
}

// The countdown ticks only while a pane that shows one is in view, one
// tick at a time, and a sooner change supersedes a later tick.
func TestCountdownTicksOnlyWhenShown(t *testing.T) {
	tk := ticker{owner: "x"}
	if tk.ensure(time.Second) != nil {
		t.Fatal("a pane out of view started a tick")
	}
	tk.active = true
	if tk.ensure(-1) != nil {
		t.Fatal("a tick without a countdown")
	}
	if tk.ensure(time.Minute) == nil || tk.ensure(time.Minute) != nil {
		t.Fatal("want exactly one tick running")
	}
	late := countdownTick{owner: "x", gen: tk.gen}
	if tk.ensure(time.Second) == nil {
		t.Fatal("a sooner change did not get its own tick")
	}
	if tk.tick(late, time.Second) != nil {
		t.Fatal("a superseded tick re-armed the timer")
	}
	current := countdownTick{owner: "x", gen: tk.gen}
	tk.active = false
	if tk.tick(current, time.Second) != nil {
		t.Fatal("the tick went on after the pane left the view")
	}
}

// Above two minutes a countdown shows whole minutes, so it changes once a
// minute; clockChange says exactly when the text changes.
func TestClockChangesWhenItsTextDoes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0:00", -time.Second: "0:00", 1500 * time.Millisecond: "0:02", 2 * time.Minute: "2:00",
		2*time.Minute + time.Second: "3 min", 20 * time.Minute: "20 min", 19*time.Minute + 59*time.Second: "20 min",
		59 * time.Minute: "59 min", 59*time.Minute + time.Second: "1 h 00", 125 * time.Minute: "2 h 05",
	} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
	if clockChange(0) != -1 || clockChange(-time.Second) != -1 {
		t.Error("a countdown at zero changes")
	}
	for d := 10 * time.Millisecond; d < 70*time.Minute; d += 7919 * time.Millisecond / 10 {
		w := clockChange(d)
		if w <= 0 {
			t.Fatalf("clockChange(%v) = %v", d, w)
		}
		if d-w > 0 && clock(d-w) == clock(d) {
			t.Errorf("clockChange(%v) = %v, but the text is still %q then", d, w, clock(d))
		}
		if before := d - w + tickMargin + time.Millisecond; clock(before) != clock(d) {
			t.Errorf("clockChange(%v) = %v, but the text changed earlier (%q at %v left)", d, w, clock(before), before)
		}
	}
	if w := clockChange(20 * time.Minute); w < 59*time.Second {
		t.Errorf("a 20-minute countdown wakes after %v; want about a minute", w)
	}
}

// The code box splits a code between characters: a code with non-ASCII
// letters (stored before upstream codes were cleaned, or from a provider
// that got through) never puts half a character, a stray byte that a
// terminal may take for a C1 control, on the screen.
func TestCodeBoxSplitsCharacters(t *testing.T) {
	for _, code := range []string{"ÄÄÄÄÄÄ1", "ééé123", "日本語コード", "12345Ä", "Ä\u0085Ä\u009bÄÄ"} {
		if got := spacedCode(code); !cleanTerminalText(got) || strings.ReplaceAll(got, " ", "") != sanitize.Line(code) {
			t.Errorf("spacedCode(%q) = %q", code, got)
		}
	}
	e := newViewEnv(t)
	eng := withNumbers(t, e)
	m, u := e.signedIn("umlaut@example.com", 1000)
	r, err := eng.Reserve(context.Background(), u.ID, "telegram", "gb", 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddMessage(context.Background(), r.ID, store.NewMessage{ProviderID: "1",
		Body: "Dein Code: ÄÄÄÄÄÄ1", Code: "ÄÄÄÄÄÄ1"}); err != nil {
		t.Fatal(err)
	}
	m = typeKeys(m, "2")
	v := m.View()
	if !strings.Contains(v, "ÄÄÄÄ ÄÄ1") || !cleanTerminalText(v) {
		t.Fatalf("the code box:\n%q", v)
	}
}

// cleanTerminalText: valid UTF-8 with no C1 control (U+0080–U+009F).
func cleanTerminalText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			return false
		}
	}
	return true
}

// A failed action's message is about its number as it stood: it goes by
// itself once that number changes (here, its SMS came), not at the next
// key press long after it stopped being true.
func TestInboxFailureGoesWhenItsNumberChanges(t *testing.T) {
	e := newViewEnv(t)
	eng := withNumbers(t, e)
	m, u := e.signedIn("stale@example.com", 1000)
	r, err := eng.Reserve(context.Background(), u.ID, "telegram", "gb", 300)
	if err != nil {
		t.Fatal(err)
	}
	m = typeKeys(m, "2")
	m = drive(m, inboxDoneMsg{id: r.ID, err: engine.ErrCancelLater})
	if v := m.View(); !strings.Contains(v, "does not let this number go yet") {
		t.Fatalf("no failure shown:\n%s", v)
	}
	if _, err := e.store.AddMessage(context.Background(), r.ID, store.NewMessage{ProviderID: "1",
		Body: "Telegram code 55123", Code: "55123"}); err != nil {
		t.Fatal(err)
	}
	m = drive(m, eventMsg{event: store.Event{UserID: u.ID, Kind: store.EventMessage, Ref: r.ID}})
	if v := m.View(); strings.Contains(v, "does not let this number go yet") || !strings.Contains(v, "│  55123") {
		t.Fatalf("the stale failure outlived its number's change:\n%s", v)
	}
}
