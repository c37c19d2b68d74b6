package rentals_test

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// changed tells the dashboard a rental changed, as the store's hub would.
func changed(m tea.Model, u store.User) tea.Model {
	return tuitest.Drive(m, kit.EventMsg{Event: store.Event{UserID: u.ID, Kind: store.EventRental}})
}

func rent(t *testing.T, eng *engine.Engine, u store.User, service, country string, days int) store.Rental {
	t.Helper()
	ctx := context.Background()
	o, err := eng.RentOffer(ctx, service, country, days)
	if err != nil {
		t.Fatal(err)
	}
	r, err := eng.Rent(ctx, u.ID, service, country, days, o.SellCents)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestViewRentalsEmpty(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, _ := e.SignedIn("carol@example.com", 1000)
	m = tuitest.ShowPane(t, m, "Rentals")
	tuitest.Golden(t, "rentals_empty_80x24", m.View(), 80, 24)
}

// The list with time left, the chosen rental's SMS (a hostile sender
// cleaned), its code large; x asks, and after the cancel window says
// CANT_CANCEL instead; a rental near its end is marked, and the tab too.
func TestViewRentalsPane(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	ctx := context.Background()
	m, u := e.SignedIn("bob@example.com", 10_000)
	week := rent(t, eng, u, "telegram", "gb", 7)
	day := rent(t, eng, u, "whatsapp", "br", 1)
	for i, body := range []string{"Your bank code is 1111", "Telegram code: 22222\x1b]52;c;ZXZpbA==\a Do not share",
		"Telegram code: 33333"} {
		e.Clock.Advance(time.Minute)
		if _, err := e.Store.AddRentalMessage(ctx, week.ID, store.NewMessage{ProviderID: string(rune('a' + i)),
			Sender: "Telegram\x1b[31m", Body: body, Code: body[len(body)-5:]}); err != nil {
			t.Fatal(err)
		}
	}
	m = tuitest.ShowPane(t, m, "Rentals")
	m = tuitest.Press(m, "down") // the week's rental ends last: listed second
	tuitest.Golden(t, "rentals_80x24", m.View(), 80, 24)
	if v := m.View(); strings.Contains(v, "\x1b]52") || strings.Contains(v, "x cancel rental") {
		t.Fatalf("an escape reached the screen, or a rental with SMS offers a cancel:\n%s", v)
	}

	m = tuitest.Press(m, "up")
	m = tuitest.Type(m, "x")
	tuitest.Golden(t, "rentals_cancel_confirm_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "n")
	e.Clock.Advance(20 * time.Minute)
	m = tuitest.Type(m, "x")
	if v := m.View(); !strings.Contains(v, "CANT_CANCEL") {
		t.Fatalf("x after the cancel window:\n%s", v)
	}

	// Six hours before its end, the day's rental gets its notice.
	e.Clock.Advance(day.EndsAt.Sub(e.Clock.Now()) - 6*time.Hour)
	if _, err := e.Store.GiveRentalNotice(ctx, day.ID, store.NoticeLead(day, 24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	m = changed(m, u)
	m = tuitest.Press(m, "down", "up")
	if tuitest.PaneTitles(m) != "Numbers,Inbox,History,Wallet,Account,Support,Rentals !" {
		t.Fatalf("tabs %s", tuitest.PaneTitles(m))
	}
	// Not a golden: the engine's own polls of the simulator, racing the
	// clock's jump, decide how many SMS the rentals hold by now.
	v := m.View()
	for _, want := range []string{"6 h 00 ends soon", "It ends in 6 h 00: press e to keep it longer.", "e extend"} {
		if !strings.Contains(v, want) {
			t.Fatalf("the rental near its end does not show %q:\n%s", want, v)
		}
	}
}

// Renting in the pane: a service, a country, then the days with the price
// of each; y rents it and the new rental is chosen.
func TestViewRentalsRentAndExtend(t *testing.T) {
	e := tuitest.New(t)
	eng := e.WithNumbers()
	m, u := e.SignedIn("dave@example.com", 10_000)
	m = tuitest.ShowPane(t, m, "Rentals")
	m = tuitest.Type(m, "r")
	m = tuitest.Type(m, "te")
	tuitest.Golden(t, "rentals_pick_service_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	m = tuitest.Type(m, "united")
	m = tuitest.Drive(m, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}) // as a terminal sends it
	m = tuitest.Type(m, "k")
	m = tuitest.Press(m, "enter")
	m = tuitest.Press(m, "right") // 7 days
	tuitest.Golden(t, "rentals_rent_confirm_80x24", m.View(), 80, 24)
	o, err := eng.RentOffer(context.Background(), "telegram", "gb", 7)
	if err != nil {
		t.Fatal(err)
	}
	m = tuitest.Type(m, "y")
	open, err := e.Store.OpenRentals(context.Background(), u.ID)
	if err != nil || len(open) != 1 || open[0].PriceCents != o.SellCents || open[0].Days != 7 {
		t.Fatalf("rented: %+v %v", open, err)
	}
	if v := m.View(); !strings.Contains(v, "Rented ") || !strings.Contains(v, "R1") {
		t.Fatalf("after y:\n%s", v)
	}
	m = changed(m, u) // the balance moved: the header says so
	m = tuitest.Type(m, "e")
	m = tuitest.Press(m, "left") // 1 day
	tuitest.Golden(t, "rentals_extend_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "y")
	x, err := e.Store.UserRental(context.Background(), u.ID, open[0].ID)
	if err != nil || !x.EndsAt.Equal(open[0].EndsAt.Add(24*time.Hour)) || !x.Extended() {
		t.Fatalf("extended: %+v %v", x, err)
	}
}
