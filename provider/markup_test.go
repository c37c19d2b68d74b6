package provider_test

import (
	"errors"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Overrides price offers and purchases from the moment they are set; the
// most specific one wins.
func TestMarkupOverrides(t *testing.T) {
	u := twoUpstreams(t, on, on) // cost 0.30, markup ×2: 60 cents
	sell := func() int64 { return u.r.Offers(bg)[0].SellCents }
	if got := sell(); got != 60 {
		t.Fatalf("no override: %d", got)
	}
	cases := []struct {
		o    provider.Overrides
		want int64
	}{
		{provider.Overrides{{Country: "gb"}: 15_000}, 45},
		{provider.Overrides{{Country: "gb"}: 15_000, {Service: "telegram"}: 30_000}, 90},
		{provider.Overrides{{Country: "gb"}: 15_000, {Service: "telegram"}: 30_000,
			{Service: "telegram", Country: "gb"}: 10_000}, 30},
		{provider.Overrides{{Country: "us"}: 50_000, {Service: "whatsapp"}: 50_000}, 60},
		{nil, 60},
	}
	for _, c := range cases {
		u.r.SetOverrides(c.o)
		if got := sell(); got != c.want {
			t.Errorf("%v: sells at %d, want %d", c.o, got, c.want)
		}
	}
	// A buy capped at the price shown under ×1.5 fails once ×3 is set:
	// the cap is converted with the markup in force.
	u.r.SetOverrides(provider.Overrides{{Service: "telegram"}: 15_000})
	shown := sell()
	u.r.SetOverrides(provider.Overrides{{Service: "telegram"}: 30_000})
	if _, _, _, err := u.r.Buy(bg, "telegram", "gb", shown); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("buy at the old price after a rise: %v", err)
	}
	if _, _, cost, err := u.r.BuyAt(bg, "telegram", "gb", shown, 15_000); err != nil || cost != 300_000 {
		t.Fatalf("buy at the markup the price was shown with: %d %v", cost, err)
	}
}

// Error rates are counted per hour and day, and forgotten when they age
// out.
func TestStatsWindows(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.Respond("getNumber", "NO_NUMBERS", 1)
	u.r.Buy(bg, "telegram", "gb", 0) // sa: catalogue ok, buy failed; fivesim: catalogue and buy ok
	st := u.r.Stats()[0]
	if st.Hour != (provider.Window{Calls: 2, Errors: 1}) || st.Day != st.Hour {
		t.Fatalf("now: hour %+v day %+v", st.Hour, st.Day)
	}
	if pct, ok := st.Hour.ErrorPercent(); !ok || pct != 50 {
		t.Fatalf("error percent %d %v", pct, ok)
	}
	u.clk.Add(2 * time.Hour)
	u.r.Refresh(bg)
	st = u.r.Stats()[0]
	if st.Hour != (provider.Window{Calls: 1}) || st.Day != (provider.Window{Calls: 3, Errors: 1}) {
		t.Fatalf("two hours on: hour %+v day %+v", st.Hour, st.Day)
	}
	u.clk.Add(23 * time.Hour)
	st = u.r.Stats()[0]
	if st.Hour != (provider.Window{}) || st.Day != (provider.Window{Calls: 1}) || st.Calls != 3 {
		t.Fatalf("a day on: hour %+v day %+v total %d", st.Hour, st.Day, st.Calls)
	}
	if _, ok := st.Hour.ErrorPercent(); ok {
		t.Fatal("a rate without calls")
	}
	if pct, _ := (provider.Window{Calls: 1000, Errors: 1}).ErrorPercent(); pct != 1 {
		t.Fatalf("one in a thousand shows as %d %%", pct)
	}
}

// Every session asks for the offers: they share one list until a
// catalogue, the providers switched on or the markups change.
func TestOffersSharedUntilSomethingChanges(t *testing.T) {
	u := twoUpstreams(t, on, on)
	a, b := u.r.Offers(bg), u.r.Offers(bg)
	if len(a) == 0 || &a[0] != &b[0] {
		t.Fatal("two calls built two lists")
	}
	u.r.SetOverrides(provider.Overrides{{Country: "gb"}: 15_000})
	c := u.r.Offers(bg)
	if &c[0] == &a[0] || c[0].SellCents == a[0].SellCents {
		t.Fatal("a markup change did not rebuild the offers")
	}
	u.r.SetEnabled("fivesim", false)
	if d := u.r.Offers(bg); len(d) > 0 && &d[0] == &c[0] {
		t.Fatal("switching a provider off did not rebuild the offers")
	}
}
