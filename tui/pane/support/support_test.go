package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
)

// The writing box exists only once the person starts writing (an idle
// session must not hold a textarea), and writing and sending still work.
func TestSupportBoxMadeOnFirstWriteAndSends(t *testing.T) {
	e := newViewEnv(t)
	u, err := e.store.CreateUser(context.Background(), "alice@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	e.c.User, e.c.UserID = u, u.ID
	s := newSupport(e.c)
	s.SetSize(76, 18)
	if s.box != nil {
		t.Fatal("a new Support pane already holds its writing box")
	}
	var m tea.Model = paneModel{s}
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'w'}})
	if s.box == nil || !s.Capturing() {
		t.Fatal("w did not open the writing box")
	}
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("my number got no SMS")})
	if !strings.Contains(s.View(), "my number got no SMS") {
		t.Fatalf("typed text not in the box:\n%s", s.View())
	}
	drive(m, tea.KeyMsg{Type: tea.KeyEnter})
	threads, _, err := e.store.SupportHistory(context.Background(), u.ID)
	if err != nil || len(threads) != 1 || threads[0].Messages[0].Body != "my number got no SMS" {
		t.Fatalf("after enter: %+v, %v", threads, err)
	}
	if s.Capturing() || s.box.Value() != "" {
		t.Errorf("after sending: writing %v, box %q; want closed and empty", s.Capturing(), s.box.Value())
	}
}

// paneModel lets drive run one pane's commands.
type paneModel struct{ c Component }

func (p paneModel) Init() tea.Cmd { return p.c.Init() }

func (p paneModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	c, cmd := p.c.Update(msg)
	return paneModel{c}, cmd
}

func (p paneModel) View() string { return p.c.View() }
