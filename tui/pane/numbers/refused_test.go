package numbers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// After a refused reservation (here the open-number limit) the offers are
// reloaded; "n" then enter must confirm a real country of the service
// again, not an empty offer.
func TestNumbersBackAfterRefusal(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	m, u := e.SignedIn("full@example.com", 5000)
	for range engine.DefaultMaxOpen {
		if _, err := eng.Reserve(context.Background(), u.ID, "telegram", "ph", 1000); err != nil {
			t.Fatal(err)
		}
	}
	m = tuitest.Type(m, "tele")
	m = tuitest.Press(m, "enter")
	m = tuitest.Press(m, "enter")
	m = tuitest.Type(m, "y")
	if v := m.View(); !strings.Contains(v, "already have 10 open numbers") {
		t.Fatalf("want the open limit:\n%s", v)
	}
	m = tuitest.Type(m, "n")
	m = tuitest.Press(m, "enter")
	v := m.View()
	if !strings.Contains(v, "Reserve this number?") || !strings.Contains(v, "Telegram") ||
		!strings.Contains(v, "Philippines") || strings.Contains(v, "$0.00") {
		t.Fatalf("the second confirmation lost its offer:\n%s", v)
	}
}
