package tui_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewTooSmall(t *testing.T) {
	e := tuitest.New(t)
	var m tea.Model = e.Model(nil)
	m = tuitest.Drive(m, tea.WindowSizeMsg{Width: 50, Height: 12})
	tuitest.Golden(t, "too_small_50x12", m.View(), 50, 12)
}

// BenchmarkDashboardRedraw is the redraw a countdown's tick costs: the
// whole dashboard drawn again with only the pane's text changed.
func BenchmarkDashboardRedraw(b *testing.B) {
	e := tuitest.New(b)
	m, _ := e.SignedIn("bench@example.com", 1234)
	m = tuitest.Drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
