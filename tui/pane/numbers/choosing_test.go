package numbers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/tuitest"
)

var ctx = context.Background()

// outcomes gives a pair a history: got of n numbers received an SMS, the
// others expired; then the shared rates are counted again.
func outcomes(t *testing.T, e *tuitest.Env, eng *engine.Engine, service, country string, n, got int) {
	t.Helper()
	u := e.Account(fmt.Sprintf("history-%s-%s@example.com", service, country), 100_000)
	for i := range n {
		o, ok := eng.Quote(ctx, provider.Pick{Service: service, Country: country})
		if !ok {
			t.Fatalf("no %s/%s in stock", service, country)
		}
		r, err := eng.Reserve(ctx, u.ID, service, country, o.SellCents)
		if err != nil {
			t.Fatal(err)
		}
		to := store.ResExpired
		if i < got {
			if _, err := e.Store.AddMessage(ctx, r.ID, store.NewMessage{ProviderID: "m", Body: "code 1234",
				Code: "1234"}); err != nil {
				t.Fatal(err)
			}
			to = store.ResFinished
		}
		if _, err := e.Store.EndReservation(ctx, r.ID, to); err != nil {
			t.Fatal(err)
		}
	}
	e.Clock.Advance(store.RateRefresh)
}

// Favourites come first with their live price, stock and rates (a pair
// not on sale says so); countries show how often numbers got an SMS,
// "new" below ten numbers; a pair sold by operator offers the choice on
// the confirmation, and the number is bought from the operator chosen.
func TestViewNumbersChoosing(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	outcomes(t, e, eng, "telegram", "ph", 12, 9)
	m, u := e.SignedIn("chooser@example.com", 500)
	for _, fav := range [][2]string{{"telegram", "ph"}, {"telegram", "cn"}} {
		if _, err := e.Store.AddFavourite(ctx, u.ID, fav[0], fav[1]); err != nil {
			t.Fatal(err)
		}
	}
	m = reopen(e, u)
	tuitest.Golden(t, "numbers_favourites_80x24", m.View(), 80, 24)

	m = tuitest.Press(m, "enter") // China: not on sale
	if v := m.View(); !strings.Contains(v, "sold out right now") {
		t.Fatalf("a favourite not on sale:\n%s", v)
	}
	m = tuitest.Press(m, "down")
	m = tuitest.Press(m, "down")
	m = tuitest.Press(m, "enter") // Telegram
	tuitest.Golden(t, "numbers_rates_80x24", m.View(), 80, 24)

	m = tuitest.Type(m, "king")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "numbers_confirm_operators_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "o")
	tuitest.Golden(t, "numbers_operators_80x24", m.View(), 80, 24)
	ops := eng.Operators(ctx, "telegram", "gb")
	m = tuitest.Press(m, "down")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "numbers_confirm_operator_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "y")
	open, _ := e.Store.OpenReservations(ctx, u.ID)
	if len(open) != 1 || open[0].Operator != ops[0].Operator || open[0].PriceCents != ops[0].SellCents {
		t.Fatalf("reserved %+v, want %+v", open, ops[0])
	}
	if v := m.View(); !strings.Contains(v, "("+ops[0].Operator+")") {
		t.Fatalf("the number does not name its operator:\n%s", v)
	}
}

// reopen opens a new dashboard for u (favourites added behind its back).
func reopen(e *tuitest.Env, u store.User) tea.Model {
	u, _ = e.Store.UserByID(ctx, u.ID)
	return e.Open(&u)
}

// Enter on a favourite reserves it at once, at the price on its row; *
// on a country stars it, and again unstars it.
func TestFavouriteStarredAndReservedWithOneKey(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, u := e.SignedIn("fan@example.com", 500)
	m = tuitest.Press(m, "enter") // Telegram
	m = tuitest.Type(m, "*")      // the cheapest country: Philippines
	favs, _ := e.Store.Favourites(ctx, u.ID)
	if len(favs) != 1 || favs[0].Country != "ph" {
		t.Fatalf("favourites %+v", favs)
	}
	if v := m.View(); !strings.Contains(v, "★ 🇵🇭 Philippines") || !strings.Contains(v, "is a favourite") {
		t.Fatalf("the star is not shown:\n%s", v)
	}
	m = tuitest.Press(m, "esc")
	if v := m.View(); !strings.Contains(v, "SERVICE") || !strings.Contains(v, "    ★ Telegram · 🇵🇭 Philippines") ||
		!strings.Contains(v, "▸ Telegram") {
		t.Fatalf("back on Telegram, below the favourite:\n%s", v)
	}
	m = tuitest.Press(m, "up")
	m = tuitest.Press(m, "enter")
	open, _ := e.Store.OpenReservations(ctx, u.ID)
	if len(open) != 1 || open[0].Country != "ph" || open[0].PriceCents != 20 {
		t.Fatalf("one key reserved %+v", open)
	}
	if v := m.View(); !strings.Contains(v, "Your Telegram number in 🇵🇭 Philippines") {
		t.Fatalf("after enter on the favourite:\n%s", v)
	}
	m = tuitest.Press(m, "enter") // another number: back to the list
	m = tuitest.Type(m, "*")
	if favs, _ := e.Store.Favourites(ctx, u.ID); len(favs) != 0 {
		t.Fatalf("* on a favourite left %+v", favs)
	}
}

// A price that went up while the person was confirming is shown on the
// same screen with the old one, and y reserves at the new price.
func TestViewNumbersPriceChangedInPlace(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	m, u := e.SignedIn("looker@example.com", 500)
	m = tuitest.Press(m, "enter") // Telegram
	m = tuitest.Press(m, "enter") // Philippines
	pick := provider.Pick{Service: "telegram", Country: "ph"}
	was, _ := eng.Quote(ctx, pick)
	var now provider.RoutedOffer
	for range 50 {
		e.Clock.Advance(10 * time.Minute) // the simulator's prices drift every 10 minutes
		if q, ok := eng.Quote(ctx, pick); ok && q.SellCents > was.SellCents {
			now = q
			break
		}
	}
	if now.SellCents == 0 {
		t.Fatal("the price never went up")
	}
	m = tuitest.Type(m, "y")
	v := m.View()
	if !strings.Contains(v, fmt.Sprintf("The price changed from %s to %s", store.FormatCents(was.SellCents),
		store.FormatCents(now.SellCents))) {
		t.Fatalf("the new price is not asked about in place:\n%s", v)
	}
	if open, _ := e.Store.OpenReservations(ctx, u.ID); len(open) != 0 {
		t.Fatalf("reserved at a price not confirmed: %+v", open)
	}
	tuitest.Golden(t, "numbers_price_changed_80x24", v, 80, 24)
	m = tuitest.Type(m, "y")
	open, _ := e.Store.OpenReservations(ctx, u.ID)
	if len(open) != 1 || open[0].PriceCents != now.SellCents {
		t.Fatalf("after the second yes: %+v, want one at %d", open, now.SellCents)
	}
}
