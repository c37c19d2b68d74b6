package inbox_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/pane/inbox"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewInboxPane(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	ctx := context.Background()
	m, u := e.SignedIn("bob@example.com", 1000)
	a, err := eng.Reserve(ctx, u.ID, "whatsapp", "br", 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 300); err != nil {
		t.Fatal(err)
	}
	// A hostile sender: escapes and controls must not reach the terminal.
	if _, err := e.Store.AddMessage(ctx, a.ID, store.NewMessage{ProviderID: "1", Sender: "WhatsApp\x1b[31m",
		Body: "Your WhatsApp code: 482-913\x1b]52;c;ZXZpbA==\a Don't share it.", Code: "482913"}); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Type(m, "2")
	tuitest.Golden(t, "inbox_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "down")
	m = tuitest.Type(m, "x")
	tuitest.Golden(t, "inbox_cancel_received_80x24", m.View(), 80, 24)
	// Within the cancel guard, x says when instead of asking; the help
	// offers no cancel until the guard has passed.
	m = tuitest.Press(m, "up")
	m = tuitest.Type(m, "x")
	tuitest.Golden(t, "inbox_cancel_guard_80x24", m.View(), 80, 24)
	e.Clock.Advance(90 * time.Second)
	if v := m.View(); !strings.Contains(v, "try again in 30 s") || !strings.Contains(v, "Can be cancelled in 0:30") ||
		strings.Contains(v, "x cancel") {
		t.Fatalf("30 s before the guard passes:\n%s", v)
	}
	e.Clock.Advance(30 * time.Second)
	tuitest.Golden(t, "inbox_guard_passed_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "x")
	tuitest.Golden(t, "inbox_cancel_confirm_80x24", m.View(), 80, 24)
}

func TestViewInboxEmpty(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, _ := e.SignedIn("carol@example.com", 1000)
	m = tuitest.Type(m, "2")
	tuitest.Golden(t, "inbox_empty_80x24", m.View(), 80, 24)
}

// The code box splits a code between characters: a code with non-ASCII
// letters (stored before upstream codes were cleaned, or from a provider
// that got through) never puts half a character, a stray byte that a
// terminal may take for a C1 control, on the screen.
func TestCodeBoxSplitsCharacters(t *testing.T) {
	for _, code := range []string{"ÄÄÄÄÄÄ1", "ééé123", "日本語コード", "12345Ä", "Ä\u0085Ä\u009bÄÄ"} {
		if got := kit.SpacedCode(code); !cleanTerminalText(got) || strings.ReplaceAll(got, " ", "") != sanitize.Line(code) {
			t.Errorf("SpacedCode(%q) = %q", code, got)
		}
	}
	e := tuitest.New(t)
	eng := e.WithNumbers()
	m, u := e.SignedIn("umlaut@example.com", 1000)
	r, err := eng.Reserve(context.Background(), u.ID, "telegram", "gb", 300)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.AddMessage(context.Background(), r.ID, store.NewMessage{ProviderID: "1",
		Body: "Dein Code: ÄÄÄÄÄÄ1", Code: "ÄÄÄÄÄÄ1"}); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Type(m, "2")
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
	e := tuitest.New(t)
	eng := e.WithNumbers()
	m, u := e.SignedIn("stale@example.com", 1000)
	r, err := eng.Reserve(context.Background(), u.ID, "telegram", "gb", 300)
	if err != nil {
		t.Fatal(err)
	}
	m = tuitest.Type(m, "2")
	m = tuitest.Drive(m, inbox.DoneMsg(r.ID, engine.ErrCancelLater))
	if v := m.View(); !strings.Contains(v, "does not let this number go yet") {
		t.Fatalf("no failure shown:\n%s", v)
	}
	if _, err := e.Store.AddMessage(context.Background(), r.ID, store.NewMessage{ProviderID: "1",
		Body: "Telegram code 55123", Code: "55123"}); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Drive(m, kit.EventMsg{Event: store.Event{UserID: u.ID, Kind: store.EventMessage, Ref: r.ID}})
	if v := m.View(); strings.Contains(v, "does not let this number go yet") || !strings.Contains(v, "│  55123") {
		t.Fatalf("the stale failure outlived its number's change:\n%s", v)
	}
}

// r reports the number (at once, inside the cancel guard): the reason
// is asked, the number is refunded, and another of the pair is offered
// and reserved with y.
func TestViewInboxReport(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	ctx := context.Background()
	u := e.Account("dave@example.com", 1000)
	bad, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 300)
	if err != nil {
		t.Fatal(err)
	}
	u, _ = e.Store.UserByID(ctx, u.ID)
	m := e.Open(&u)
	m = tuitest.Type(m, "2")
	m = tuitest.Type(m, "r")
	tuitest.Golden(t, "inbox_report_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "b")
	tuitest.Golden(t, "inbox_report_another_80x24", m.View(), 80, 24)
	got, _ := e.Store.Reservation(ctx, bad.ID)
	if got.State != store.ResCancelled || !got.Refunded || got.Report != store.ReportBanned {
		t.Fatalf("the reported number: %+v", got)
	}
	m = tuitest.Type(m, "y")
	open, _ := e.Store.OpenReservations(ctx, u.ID)
	if len(open) != 1 || open[0].Service != "telegram" || open[0].Country != "gb" || open[0].ID == bad.ID {
		t.Fatalf("another number: %+v", open)
	}
	if v := m.View(); !strings.Contains(v, "Reserved "+open[0].Phone+" for") || !strings.Contains(v, "▸ "+open[0].Phone) {
		t.Fatalf("after y:\n%s", v)
	}
	if b, _ := e.Store.UserByID(ctx, u.ID); b.BalanceCents != 1000-open[0].PriceCents {
		t.Fatalf("balance %d", b.BalanceCents)
	}
}
