package numbers_test

import (
	"testing"

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
