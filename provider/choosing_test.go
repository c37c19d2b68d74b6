package provider_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/provider"
)

// rates is a fixed RateSource: percent per provider, absent = too new.
type rates map[string]int

func (r rates) Percent(_, _, p string) (int, bool) {
	pct, ok := r[p]
	return pct, ok
}

// Operators merge across providers by name: the provider ranked first for
// each, the stock of all, sell prices at the pair's markup, cheapest
// first; an operator nobody has in stock is left out.
func TestOperatorsMergedAcrossProviders(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.SetOperatorStock("tg", "16", "ee", 3)
	u.sa.SetOperatorStock("tg", "16", "o2", 0)
	u.fs.SetPrice("england", "telegram", "ee", "0.40", 2)
	ops := u.r.Operators(bg, "telegram", "gb")
	want := []provider.RoutedOffer{
		{Service: "telegram", Country: "gb", Operator: "ee", Provider: "smsactivate", Cost: 300_000, SellCents: 60, Stock: 5},
		{Service: "telegram", Country: "gb", Operator: "virtual8", Provider: "fivesim", Cost: 500_000, SellCents: 100, Stock: 7},
	}
	if len(ops) != len(want) || ops[0] != want[0] || ops[1] != want[1] {
		t.Fatalf("operators\n%+v\nwant\n%+v", ops, want)
	}
	if got := u.r.Operators(bg, "telegram", "xx"); got != nil {
		t.Fatalf("an unknown country: %+v", got)
	}
	// Cached for RefreshEvery: a second look asks nobody.
	before := len(u.sa.Requests()) + len(u.fs.Requests())
	u.r.Operators(bg, "telegram", "gb")
	if after := len(u.sa.Requests()) + len(u.fs.Requests()); after != before {
		t.Fatalf("%d upstream calls for a cached operator list", after-before)
	}
}

// A pick of one operator buys that operator's number, from the provider
// ranked first, and falls over to the next that sells it.
func TestBuyPickOfOneOperator(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.SetOperatorStock("tg", "16", "ee", 1)
	u.fs.SetPrice("england", "telegram", "ee", "0.40", 2)
	pick := provider.Pick{Service: "telegram", Country: "gb", Operator: "ee"}
	name, _, cost, err := u.r.BuyPick(bg, pick, 0, 20_000)
	if err != nil || name != "smsactivate" || cost != 300_000 {
		t.Fatalf("first: %s %v %v", name, cost, err)
	}
	reqs := u.sa.Requests()
	if q := reqs[len(reqs)-1].URL.Query(); q.Get("action") != "getNumber" || q.Get("operator") != "ee" {
		t.Fatalf("SMS-Activate asked %v", q)
	}
	// SMS-Activate's ee is sold out now, though the cache says 1.
	name, _, _, err = u.r.BuyPick(bg, pick, 0, 20_000)
	if err != nil || name != "fivesim" {
		t.Fatalf("failover: %s %v", name, err)
	}
	fr := u.fs.Requests()
	if p := fr[len(fr)-1].URL.Path; !strings.Contains(p, "/england/ee/telegram") {
		t.Fatalf("5sim asked %s", p)
	}
	if _, _, _, err := u.r.BuyPick(bg, provider.Pick{Service: "telegram", Country: "gb", Operator: "three"}, 0,
		20_000); !errors.Is(err, provider.ErrNoNumbers) {
		t.Fatalf("an operator nobody sells: %v", err)
	}
	if _, _, _, err := u.r.BuyPick(bg, pick, 59, 20_000); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("above the cap: %v", err)
	}
}

// At the same sell price the router prefers the provider whose numbers
// got an SMS more often; a provider too new to tell ranks as an even
// chance. Offers say which provider a purchase tries first, and buying
// follows it.
func TestSuccessRateBreaksPriceTies(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.fs.SetPrice("england", "telegram", "virtual8", "0.30", 7) // the same price as SMS-Activate
	first := func() string {
		t.Helper()
		offers := u.r.Offers(bg)
		if len(offers) != 1 || offers[0].SellCents != 60 {
			t.Fatalf("offers %+v", offers)
		}
		return offers[0].Provider
	}
	u.clk.Add(provider.DefaultRefreshEvery) // the new 5sim price
	if p := first(); p != "fivesim" {
		t.Fatalf("without rates the tie goes by name: %s", p)
	}
	u.r.SetRates(rates{"smsactivate": 90, "fivesim": 40})
	if p := first(); p != "smsactivate" {
		t.Fatalf("with rates: %s, want the one that delivers", p)
	}
	if name, _, _, err := u.r.Buy(bg, "telegram", "gb", 0); err != nil || name != "smsactivate" {
		t.Fatalf("bought from %s: %v", name, err)
	}
	u.r.SetRates(rates{"smsactivate": 30}) // fivesim: too new to tell
	if p := first(); p != "fivesim" {
		t.Fatalf("a new provider against a poor one: %s", p)
	}
	// A price difference the person pays is never outweighed by a rate.
	u.fs.SetPrice("england", "telegram", "virtual8", "0.35", 7)
	u.clk.Add(provider.DefaultRefreshEvery)
	u.r.SetRates(rates{"fivesim": 100, "smsactivate": 0})
	if p := first(); p != "smsactivate" {
		t.Fatalf("the cheaper one must win: %s", p)
	}
}
