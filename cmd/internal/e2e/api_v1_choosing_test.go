package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider/sim"
)

type apiRental struct {
	ID          int64      `json:"id"`
	Ref         string     `json:"ref"`
	Phone       string     `json:"phone"`
	Days        int        `json:"days"`
	PriceCents  int64      `json:"price_cents"`
	PaidCents   int64      `json:"paid_cents"`
	State       string     `json:"state"`
	RefundCents int64      `json:"refund_cents"`
	CancelUntil *time.Time `json:"cancel_until"`
	Code        *string    `json:"code"`
	Extensions  []struct {
		Days int `json:"days"`
	} `json:"extensions"`
	Messages []struct {
		Text string `json:"text"`
	} `json:"messages"`
}

func rentalPath(id int64, action string) string {
	p := fmt.Sprintf("/v1/rentals/%d", id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// A rental's life through the JSON API, under the rules of rent, extend
// and cancel over SSH: the offer, max_price_cents, a cancel in the window
// refunded in full, a long poll that answers when an SMS comes, CANT_CANCEL
// after it, an extension, an early finish, the list with the ended ones;
// another account sees none of it. Every answer is checked against the
// OpenAPI document.
func TestAPIRentals(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, rentalSim(clock))
	u, _ := env.NewUser("api-renter@example.com")
	env.Credit(u.ID, 20_000, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))

	var offer struct {
		PriceCents          int64 `json:"price_cents"`
		Stock               int   `json:"stock"`
		CancelWindowSeconds int64 `json:"cancel_window_seconds"`
	}
	c.ok("GET", "/v1/rental-offer?service=telegram&country=gb&days=1", nil, 200, &offer)
	if offer.PriceCents <= 0 || offer.Stock <= 0 || offer.CancelWindowSeconds != 1200 {
		t.Fatalf("offer %+v", offer)
	}
	buy := map[string]any{"service": "telegram", "country": "gb", "days": 1}
	c.refused("POST", "/v1/rentals", map[string]any{"service": "telegram", "country": "gb", "days": 1,
		"max_price_cents": offer.PriceCents - 1}, 409, "price_above_max")
	c.refused("POST", "/v1/rentals", map[string]any{"service": "telegram", "country": "gb", "days": 3}, 400,
		"bad_request")

	var first apiRental
	a := c.ok("POST", "/v1/rentals", buy, 201, &first)
	if first.State != "active" || first.Ref != fmt.Sprintf("R%d", first.ID) || first.PriceCents != offer.PriceCents ||
		first.CancelUntil == nil || a.header.Get("Location") != rentalPath(first.ID, "") ||
		c.balance() != 20_000-offer.PriceCents {
		t.Fatalf("rented %+v (Location %q), balance %d", first, a.header.Get("Location"), c.balance())
	}
	var cancelled apiRental
	c.ok("POST", rentalPath(first.ID, "cancel"), nil, 200, &cancelled)
	if cancelled.State != "cancelled" || cancelled.RefundCents != offer.PriceCents || cancelled.CancelUntil != nil ||
		c.balance() != 20_000 {
		t.Fatalf("cancelled %+v, balance %d", cancelled, c.balance())
	}
	c.refused("POST", rentalPath(first.ID, "cancel"), nil, 409, "rental_ended")
	checkBooks(t, env)

	var r apiRental
	c.ok("POST", "/v1/rentals", buy, 201, &r)
	polled := make(chan apiRental, 1)
	go func() {
		var got apiRental
		c.ok("GET", rentalPath(r.ID, "")+"?wait=60s", nil, 200, &got)
		polled <- got
	}()
	var got apiRental
	eventually(t, func() bool { // the clock moves until the long poll sees an SMS
		clock.Advance(10 * time.Second)
		select {
		case got = <-polled:
			return true
		case <-time.After(200 * time.Millisecond):
			return false
		}
	})
	if len(got.Messages) == 0 || got.Code == nil || got.CancelUntil != nil {
		t.Fatalf("long poll answered %+v", got)
	}
	c.refused("POST", rentalPath(r.ID, "cancel"), nil, 409, "rental_cant_cancel")

	paid := c.balance()
	var x apiRental
	c.ok("POST", rentalPath(r.ID, "extend"), map[string]any{"days": 7}, 200, &x)
	if x.Days != 8 || len(x.Extensions) != 1 || c.balance() >= paid || x.PaidCents != x.PriceCents+(paid-c.balance()) {
		t.Fatalf("extended %+v, balance %d → %d", x, paid, c.balance())
	}
	paid = c.balance()
	var done apiRental
	c.ok("POST", "/v1/rentals/R"+fmt.Sprint(r.ID)+"/finish", nil, 200, &done)
	if done.State != "ended" || done.RefundCents != 0 || c.balance() != paid {
		t.Fatalf("finished %+v, balance %d (was %d)", done, c.balance(), paid)
	}
	var active, all struct{ Rentals []apiRental }
	c.ok("GET", "/v1/rentals", nil, 200, &active)
	c.ok("GET", "/v1/rentals?ended=true", nil, 200, &all)
	if len(active.Rentals) != 0 || len(all.Rentals) != 2 {
		t.Fatalf("active %+v, all %+v", active.Rentals, all.Rentals)
	}
	checkBooks(t, env)

	other, _ := env.NewUser("other@example.com")
	o := newAPIClient(t, env, env.NewAPIKey(t, other.ID, "theirs"))
	o.refused("GET", rentalPath(r.ID, ""), nil, 404, "rental_not_found")
	o.refused("POST", rentalPath(r.ID, "finish"), nil, 404, "rental_not_found")
}

// Favourites and bad-number reports through the JSON API: a pair starred
// once (PUT again changes nothing), listed with its offer, unstarred; a
// reported number refunded once, its provider's pair offered again.
func TestAPIFavouritesAndReports(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Hour, false, 20*time.Minute))
	u, _ := env.NewUser("chooser@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))

	type change struct{ Changed bool }
	var ch change
	c.ok("PUT", "/v1/favourites/telegram/gb", nil, 200, &ch)
	if !ch.Changed {
		t.Fatal("a new favourite not changed")
	}
	c.ok("PUT", "/v1/favourites/tg/gb", nil, 200, &ch) // the market's code names the same service
	if ch.Changed {
		t.Fatal("starring a favourite again changed it")
	}
	var favs struct {
		Favourites []struct {
			Service, Country string
			InStock          bool  `json:"in_stock"`
			PriceCents       int64 `json:"price_cents"`
		}
	}
	c.ok("GET", "/v1/favourites", nil, 200, &favs)
	if len(favs.Favourites) != 1 || favs.Favourites[0].Service != "telegram" || !favs.Favourites[0].InStock ||
		favs.Favourites[0].PriceCents <= 0 {
		t.Fatalf("favourites %+v", favs)
	}
	c.refused("PUT", "/v1/favourites/nosuch/gb", nil, 400, "unknown_service")
	c.ok("DELETE", "/v1/favourites/telegram/gb", nil, 200, &ch)
	if c.ok("GET", "/v1/favourites", nil, 200, &favs); !ch.Changed || len(favs.Favourites) != 0 {
		t.Fatalf("after removing: %+v %+v", ch, favs)
	}

	var res struct {
		ID         int64
		PriceCents int64 `json:"price_cents"`
	}
	c.ok("POST", "/v1/reservations", map[string]any{"service": "telegram", "country": "gb"}, 201, &res)
	c.refused("POST", resPath(res.ID, "report"), map[string]any{"reason": "ugly"}, 400, "bad_request")
	var rep struct {
		Reservation struct {
			State    string
			Refunded bool
			Report   string
		}
		Another *struct {
			Service, Country string
			PriceCents       int64 `json:"price_cents"`
		}
	}
	c.ok("POST", resPath(res.ID, "report"), map[string]any{"reason": "banned"}, 200, &rep)
	if rep.Reservation.State != "cancelled" || !rep.Reservation.Refunded || rep.Reservation.Report != "banned" ||
		rep.Another == nil || rep.Another.Service != "telegram" || rep.Another.Country != "gb" || c.balance() != 500 {
		t.Fatalf("report %+v, balance %d", rep, c.balance())
	}
	c.refused("POST", resPath(res.ID, "report"), map[string]any{"reason": "banned"}, 409, "reservation_ended")
	if c.balance() != 500 {
		t.Fatalf("balance %d after a second report", c.balance())
	}
	checkBooks(t, env)
}
