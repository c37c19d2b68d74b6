package numbers

import (
	"testing"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/tui/kit"
)

// Sessions looking at the same offers share one unfiltered service list;
// a filter gets its own.
func TestServiceRowsShared(t *testing.T) {
	offers := []provider.RoutedOffer{
		{Service: "telegram", Country: "gb", Stock: 3, SellCents: 50},
		{Service: "whatsapp", Country: "gb", Stock: 1, SellCents: 70},
	}
	a, b := &Pane{c: &kit.Common{}, offers: offers}, &Pane{c: &kit.Common{}, offers: offers}
	ra, rb := a.serviceRows(""), b.serviceRows("")
	if len(ra) != 2 || &ra[0] != &rb[0] {
		t.Fatalf("rows not shared: %v %v", ra, rb)
	}
	if f := a.serviceRows("wh"); len(f) != 1 || f[0].code != "whatsapp" || &f[0] == &ra[1] {
		t.Fatalf("filtered rows %v", f)
	}
	if tg := a.serviceRows("tg"); len(tg) != 1 || tg[0].code != "telegram" {
		t.Fatalf("the alias tg finds %v", tg)
	}
	c := &Pane{c: &kit.Common{}, offers: append([]provider.RoutedOffer(nil), offers[:1]...)}
	if rc := c.serviceRows(""); len(rc) != 1 {
		t.Fatalf("other offers got the cached rows: %v", rc)
	}
}

// New prices reorder the countries: reloaded offers keep the cursor on
// the country it was on, not on whatever moved into its row.
func TestCountryCursorFollowsReloadedOffers(t *testing.T) {
	p := &Pane{c: &kit.Common{}, mode: numCountries, service: "telegram", offers: []provider.RoutedOffer{
		{Service: "telegram", Country: "gb", Stock: 3, SellCents: 50},
		{Service: "telegram", Country: "de", Stock: 3, SellCents: 70},
	}}
	p.rebuild()
	p.cursor = 1 // de
	p.Update(offersLoadedMsg{offers: []provider.RoutedOffer{
		{Service: "telegram", Country: "gb", Stock: 3, SellCents: 90},
		{Service: "telegram", Country: "de", Stock: 3, SellCents: 70},
	}})
	if got := p.rows[p.cursor].code; got != "de" {
		t.Fatalf("cursor on %s after the reload, want de", got)
	}
}
