package tui_test

import (
	"fmt"
	"testing"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// A session reads its account again only for the events that can change
// it (balance, account, missed events), not for each SMS or state change:
// at a thousand SMS a second that read took 7 % of the server's CPU.
func TestOnlyAccountEventsReadTheAccountAgain(t *testing.T) {
	e := tuitest.New(t)
	m, u := e.SignedIn("events@example.com", 500)
	reads := func(ev kit.EventMsg) int {
		_, cmd := m.Update(ev)
		n := 0
		for _, msg := range tuitest.RunCmd(cmd) {
			if fmt.Sprintf("%T", msg) == "tui.userLoadedMsg" {
				n++
			}
		}
		return n
	}
	for _, k := range []store.EventKind{store.EventMessage, store.EventReservation, store.EventRental,
		store.EventOrder, store.EventSupport, store.EventFavourites, store.EventWebhook} {
		if n := reads(kit.EventMsg{Event: store.Event{UserID: u.ID, Kind: k, Ref: 1}}); n != 0 {
			t.Errorf("a %s event read the account %d times, want none", k, n)
		}
	}
	for _, ev := range []kit.EventMsg{
		{Event: store.Event{UserID: u.ID, Kind: store.EventBalance}},
		{Event: store.Event{UserID: u.ID, Kind: store.EventAccount}},
		{Event: store.Event{UserID: u.ID, Kind: store.EventMessage, Ref: 1}, Missed: true},
	} {
		if n := reads(ev); n != 1 {
			t.Errorf("%+v read the account %d times, want once", ev, n)
		}
	}
}
