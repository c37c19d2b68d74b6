package v1api

import (
	"context"
	"errors"
	"testing"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
)

// drifting is a market whose price rises by a cent at every purchase
// attempt, as the simulator's does when it drifts between an offer and
// the purchase (which cannot be timed from outside the engine).
type drifting struct {
	Numbers
	price int64
	buys  []int64 // the prices purchases were tried at
}

func (d *drifting) Cheapest(context.Context, provider.Pick) (provider.RoutedOffer, bool) {
	return provider.RoutedOffer{Service: "telegram", Country: "gb", SellCents: d.price, Stock: 1}, true
}

func (d *drifting) ReservePick(_ context.Context, _ int64, _ provider.Pick, cents int64) (store.Reservation, error) {
	d.buys = append(d.buys, cents)
	if cents < d.price {
		return store.Reservation{}, engine.ErrPriceChanged
	}
	d.price++ // the next one costs more
	return store.Reservation{ID: 1, PriceCents: cents}, nil
}

// A price that moved between the offer and the purchase is taken at the
// new price while within the cap (or without one), a few times; past the
// cap it is refused as before.
func TestReserveTakesAMovedPriceWithinTheCap(t *testing.T) {
	pick := provider.Pick{Service: "telegram", Country: "gb"}
	for _, c := range []struct {
		name     string
		maxCents int64
		wantErr  error
		wantBuys int
	}{
		{"no cap", 0, nil, 2},
		{"cap above the new price", 46, nil, 2},
		{"cap below the new price", 45, engine.ErrPriceChanged, 1},
	} {
		d := &drifting{price: 45}
		a := &API{d: Deps{Numbers: d}}
		stale, _ := d.Cheapest(context.Background(), pick)
		d.price = 46 // the market moved after the offer was read
		_, err := a.reserveAt(&call{ctx: context.Background()}, pick, stale, c.maxCents)
		if !errors.Is(err, c.wantErr) || len(d.buys) != c.wantBuys {
			t.Errorf("%s: %v after buys at %v", c.name, err, d.buys)
		}
	}
	h := &alwaysHigher{&drifting{price: 45}} // it moves at every attempt: given up after requotes
	a := &API{d: Deps{Numbers: h}}
	_, err := a.reserveAt(&call{ctx: context.Background()}, pick, provider.RoutedOffer{SellCents: 45}, 0)
	if !errors.Is(err, engine.ErrPriceChanged) || len(h.buys) != requotes {
		t.Errorf("a price that never holds still: %v after %d buys", err, len(h.buys))
	}
}

// alwaysHigher quotes a price the purchase always finds risen.
type alwaysHigher struct{ *drifting }

func (h *alwaysHigher) ReservePick(ctx context.Context, uid int64, p provider.Pick, cents int64) (store.Reservation, error) {
	h.buys = append(h.buys, cents)
	return store.Reservation{}, engine.ErrPriceChanged
}
