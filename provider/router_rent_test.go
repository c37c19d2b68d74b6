package provider_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Rentals through the Router: the cheapest renter with stock, priced at
// the markup, falling over to the next only when that one takes a rental
// back for as long (a person shown "cancel within 20 minutes" never gets
// a rental that cannot be cancelled).
func TestRouterRentsFromTheCheapestKeepingTheCancelWindow(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.SetRentPrice("tg", "16", 24, "0.70", 5) // SMS-Activate: cancellable for 20 minutes
	u.fs.SetHostingPrice("england", "1day", "0.90", 5)

	o, ok := u.r.RentOffer(bg, "telegram", "gb", 1)
	if !ok || o.Provider != "smsactivate" || o.SellCents != 140 || o.Stock != 10 || o.CancelWindow != 20*time.Minute {
		t.Fatalf("offer %+v %v", o, ok)
	}
	// SMS-Activate is out of numbers when asked: 5sim takes none back,
	// so the rental is not taken there, even with no price cap.
	u.sa.Respond("getRentNumber", `{"status":"error","message":"NO_NUMBERS"}`, 1)
	if _, _, _, err := u.r.RentAt(bg, "telegram", "gb", 1, 0, 20_000); !errors.Is(err, provider.ErrNoNumbers) {
		t.Fatalf("fell over to a provider without a cancel window: %v", err)
	}
	if n := len(u.fs.Requests()); n != 1 { // its quote only
		t.Fatalf("%d requests to 5sim: it was asked to rent", n)
	}

	// The other way round: 5sim is the cheapest (no cancel window); when
	// it has none, SMS-Activate's longer window is fine.
	u.clk.Add(time.Hour) // quotes are asked again
	u.fs.SetHostingPrice("england", "1day", "0.50", 5)
	o, _ = u.r.RentOffer(bg, "telegram", "gb", 1)
	if o.Provider != "fivesim" || o.CancelWindow != 0 {
		t.Fatalf("offer %+v", o)
	}
	u.fs.Respond("/user/buy/hosting", 400, "no free phones", 1)
	name, n, cost, err := u.r.RentAt(bg, "telegram", "gb", 1, 200, 20_000)
	if err != nil || name != "smsactivate" || cost != 700_000 || n.Phone == "" {
		t.Fatalf("rent: %s %+v %v %v", name, n, cost, err)
	}
	if _, ok := u.r.RentOffer(bg, "telegram", "gb", 30); ok {
		t.Fatal("an offer for 30 days, which neither rents")
	}
}
