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
