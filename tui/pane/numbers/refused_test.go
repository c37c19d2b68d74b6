package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/provider/engine"
)

// After a refused reservation (here the open-number limit) the offers are
// reloaded; "n" then enter must confirm a real country of the service
// again, not an empty offer.
func TestNumbersBackAfterRefusal(t *testing.T) {
	e := newViewEnv(t)
	eng := withNumbers(t, e)
	m, u := e.signedIn("full@example.com", 5000)
	for range engine.DefaultMaxOpen {
		if _, err := eng.Reserve(context.Background(), u.ID, "telegram", "ph", 1000); err != nil {
			t.Fatal(err)
		}
	}
	m = typeKeys(m, "tele")
	m = press(m, "enter")
	m = press(m, "enter")
	m = typeKeys(m, "y")
	if v := m.View(); !strings.Contains(v, "already have 10 open numbers") {
		t.Fatalf("want the open limit:\n%s", v)
	}
	m = typeKeys(m, "n")
	m = press(m, "enter")
	v := m.View()
	if !strings.Contains(v, "Reserve this number?") || !strings.Contains(v, "Telegram") ||
		!strings.Contains(v, "Philippines") || strings.Contains(v, "$0.00") {
		t.Fatalf("the second confirmation lost its offer:\n%s", v)
	}
}
