package numbers_test

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewNumbersPane(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, _ := e.SignedIn("alice@example.com", 500)
	tuitest.Golden(t, "numbers_services_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "te")
	tuitest.Golden(t, "numbers_filtered_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "numbers_countries_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "numbers_confirm_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "y")
	tuitest.Golden(t, "numbers_reserved_80x24", m.View(), 80, 24)
}

func TestViewNumbersNoBalance(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, _ := e.SignedIn("poor@example.com", 3)
	m = tuitest.Press(m, "enter")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "numbers_no_balance_80x24", m.View(), 80, 24)
}

// A space typed in a filter is one space, as a terminal sends it (KeySpace
// carrying its rune): "united k" finds the United Kingdom.
func TestFilterSpaceAsATerminalSendsIt(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, _ := e.SignedIn("spacer@example.com", 500)
	m = tuitest.Type(m, "te")
	m = tuitest.Press(m, "enter")
	m = tuitest.Type(m, "united")
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
	m = tuitest.Type(m, "k")
	if v := m.View(); !strings.Contains(v, "United Kingdom") {
		t.Fatalf("\"united k\" found nothing:\n%s", v)
	}
}
