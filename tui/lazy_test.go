package tui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// A session builds the History, Wallet and Account tabs when they
// are first shown, not at sign-in; one shown later shows what happened
// while it did not exist (credits granted meanwhile).
func TestTabsAreBuiltWhenFirstShown(t *testing.T) {
	e := tuitest.New(t)
	m, u := e.SignedIn("lazy@example.com", 0)
	built := func(title string) bool {
		for _, p := range m.(*tui.Model).Panes() {
			if l, ok := p.(*kit.Lazy); ok && p.Title() == title {
				return l.Built() != nil
			}
		}
		t.Fatalf("no lazy %s tab in %s", title, tuitest.PaneTitles(m))
		return false
	}
	for _, title := range []string{"History", "Wallet", "Account"} {
		if built(title) {
			t.Fatalf("the %s tab was built at sign-in", title)
		}
	}
	e.Store.Move(context.Background(), store.Movement{UserID: u.ID, AmountCents: 700, Kind: store.LedgerGrant,
		Reference: "g-lazy"})
	m = tuitest.ShowPane(t, m, "Wallet")
	if v := m.View(); !strings.Contains(v, "Balance   $7.00") || !strings.Contains(v, "Payments") {
		t.Fatalf("the Wallet shown first now:\n%s", v)
	}
	if !built("Wallet") || built("Account") {
		t.Fatalf("built: Wallet %v, Account %v; want only the Wallet", built("Wallet"), built("Account"))
	}
	m.(*tui.Model).Close()
}
