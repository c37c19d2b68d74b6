package auth_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewSignIn(t *testing.T) {
	e := tuitest.New(t)
	m := e.Open(nil)
	tuitest.Golden(t, "signin_80x24", m.View(), 80, 24)
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeyCtrlN})
	tuitest.Golden(t, "signup_80x24", m.View(), 80, 24)
}
