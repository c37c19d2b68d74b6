package tui

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// withNumbers gives a view env the real engine over a seeded simulator on
// the env's frozen clock, so screens are the same on every run.
func withNumbers(t *testing.T, e *viewEnv) *engine.Engine {
	t.Helper()
	clock := sim.NewFakeClock(e.store.Now())
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
	m = press(m, "up")
	m = typeKeys(m, "x")
	golden(t, "inbox_cancel_confirm_80x24", m.View(), 80, 24)
	m = typeKeys(m, "y")
	golden(t, "inbox_cancel_guard_80x24", m.View(), 80, 24)
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

// The countdown ticks only while a pane that shows one is in view.
func TestCountdownTicksOnlyWhenShown(t *testing.T) {
	tk := ticker{owner: "x"}
	if tk.ensure(true) != nil {
		t.Fatal("a pane out of view started a tick")
	}
	tk.active = true
	if tk.ensure(false) != nil {
		t.Fatal("a tick without a countdown")
	}
	if tk.ensure(true) == nil || tk.ensure(true) != nil {
		t.Fatal("want exactly one tick running")
	}
	tk.active = false
	if tk.tick(true) != nil {
		t.Fatal("the tick went on after the pane left the view")
	}
}
