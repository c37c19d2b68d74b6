package tui

import (
	"reflect"
	"testing"

	"github.com/wantsms/wantsms/provider"
)

// A pane's view becomes exactly height rows, indented: a too-wide row
// wraps at a space, rows past height are cut, blank rows fill the rest.
func TestFrameBody(t *testing.T) {
	var f frame
	f.add("head")
	f.addBody("short\nthis row is too wide\n\x1b[1mbold\x1b[0m", 12, 5, "  ")
	want := []string{"head", "  short", "  this row is", "  too wide", "  \x1b[1mbold\x1b[0m", ""}
	if !reflect.DeepEqual(f.rows, want) {
		t.Fatalf("rows %q, want %q", f.rows, want)
	}
	var cut frame
	cut.addBody("1\n2\n3\n4", 10, 2, "")
	if !reflect.DeepEqual(cut.rows, []string{"1", "2"}) {
		t.Fatalf("cut to 2 rows: %q", cut.rows)
	}
}

// Sessions looking at the same offers share one unfiltered service list;
// a filter gets its own.
func TestServiceRowsShared(t *testing.T) {
	offers := []provider.RoutedOffer{
		{Service: "telegram", Country: "gb", Stock: 3, SellCents: 50},
		{Service: "whatsapp", Country: "gb", Stock: 1, SellCents: 70},
	}
	a, b := &numbersPane{c: &Common{}, offers: offers}, &numbersPane{c: &Common{}, offers: offers}
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
	c := &numbersPane{c: &Common{}, offers: append([]provider.RoutedOffer(nil), offers[:1]...)}
	if rc := c.serviceRows(""); len(rc) != 1 {
		t.Fatalf("other offers got the cached rows: %v", rc)
	}
}
