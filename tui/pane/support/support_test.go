package support_test

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/pane/support"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// The writing box exists only once the person starts writing, the
// conversation's viewport only once there is one (an idle session must
// hold neither), and writing and sending still work.
func TestSupportBoxMadeOnFirstWriteAndSends(t *testing.T) {
	e := tuitest.New(t)
	u, err := e.Store.CreateUser(context.Background(), "alice@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	e.C.User, e.C.UserID = u, u.ID
	s := support.New(e.C, e.Store)
	s.SetSize(76, 18)
	if support.HasBox(s) || support.HasViewport(s) {
		t.Fatal("a new Support pane already holds its writing box or a viewport")
	}
	var m tea.Model = tuitest.PaneModel{P: s}
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyDown}) // scrolling nothing is harmless
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'w'}})
	if !support.HasBox(s) || !s.Capturing() {
		t.Fatal("w did not open the writing box")
	}
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("my number got no SMS")})
	if !strings.Contains(s.View(), "my number got no SMS") {
		t.Fatalf("typed text not in the box:\n%s", s.View())
	}
	tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyEnter})
	threads, _, err := e.Store.SupportHistory(context.Background(), u.ID)
	if err != nil || len(threads) != 1 || threads[0].Messages[0].Body != "my number got no SMS" {
		t.Fatalf("after enter: %+v, %v", threads, err)
	}
	if s.Capturing() || support.BoxValue(s) != "" {
		t.Errorf("after sending: writing %v, box %q; want closed and empty", s.Capturing(), support.BoxValue(s))
	}
	if !support.HasViewport(s) || !strings.Contains(s.View(), "my number got no SMS") {
		t.Fatalf("the conversation is not shown:\n%s", s.View())
	}
}

// The person's side: writing to support, and a reply marked unread in
// the tab, live, until the pane is opened.
func TestViewSupportPane(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	ctx := context.Background()
	bobKey, _ := store.ParseAuthorizedKey(tuitest.BobKeyLine)
	e.C.Session.Key = &bobKey
	bob, _ := e.Store.UserByID(ctx, e.Bob.ID)
	m := e.Model(&bob)
	t.Cleanup(m.Close)
	var tm tea.Model = tuitest.Drive(m, m.Init()())
	tm = tuitest.Drive(tm, tea.WindowSizeMsg{Width: 80, Height: 24})
	tm = tuitest.Type(tm, "6")
	tm = tuitest.Type(tm, "w")
	tm = tuitest.Type(tm, "Also: can I pay in euros?")
	tuitest.Golden(t, "support_writing_80x24", tm.View(), 80, 24)
	tm = tuitest.Press(tm, "enter")
	tm = tuitest.Type(tm, "1")
	admin := store.Actor{UserID: e.Boss.ID, Key: e.BossKey.Fingerprint}
	if _, err := e.Store.ReplySupport(ctx, admin, e.Thread, "Yes: cards in any currency are charged in dollars."); err != nil {
		t.Fatal(err)
	}
	// The hub's event, as the session's subscription delivers it.
	tm = tuitest.Drive(tm, kit.EventMsg{Event: store.Event{UserID: bob.ID, Kind: store.EventSupport, Ref: e.Thread}})
	if titles := tuitest.PaneTitles(tm); !strings.Contains(titles, "Support (1)") {
		t.Fatalf("tabs after a reply: %s", titles)
	}
	tm = tuitest.Type(tm, "6")
	tuitest.Golden(t, "support_80x24", tm.View(), 80, 24)
	if n, _ := e.Store.UnreadSupport(ctx, bob.ID); n != 0 || strings.Contains(tuitest.PaneTitles(tm), "(1)") {
		t.Fatalf("after reading: %d unread, tabs %s", n, tuitest.PaneTitles(tm))
	}
}
