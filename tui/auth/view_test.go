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

func TestViewForgotPassword(t *testing.T) {
	e := tuitest.New(t)
	m := e.Open(nil)
	m = tuitest.Type(m, "alice@example.com")
	m = tuitest.Drive(m, ctrlR)
	tuitest.Golden(t, "forgot_80x24", m.View(), 80, 24)
	m = tuitest.PressAndWait(m, "enter")
	tuitest.Golden(t, "forgot_code_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "ABCD-EFGH")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "short")
	m = tuitest.Press(m, "enter", "enter")
	tuitest.Golden(t, "forgot_short_password_80x24", m.View(), 80, 24)
}
