package tui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/auth"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// The Admin tab exists only for an admin account resolved from its
// linked key when the session started; digits past the last tab do
// nothing.
func TestAdminTabOnlyForAdminsSignedInByKey(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	ctx := context.Background()

	// Bob, a customer, by his key: seven tabs; 8 leads nowhere.
	bobKey, _ := store.ParseAuthorizedKey(tuitest.BobKeyLine)
	e.C.Session.Key = &bobKey
	bob := e.Bob
	m := e.Open(&bob)
	if strings.Contains(tuitest.PaneTitles(m), "Admin") {
		t.Fatalf("a customer has the tabs %s", tuitest.PaneTitles(m))
	}
	m = tuitest.Type(m, "8")
	if v := m.View(); strings.Contains(v, "Users · Orders") || !strings.Contains(v, "choose a service") {
		t.Fatalf("8 moved a customer somewhere:\n%s", v)
	}
	m.(*tui.Model).Close()

	// The boss by password (the key not linked, or not used): no tab,
	// and the actor the session would use carries no key.
	e2 := tuitest.NewAdminEnv(t)
	e2.C.Session.Key = nil
	pm := e2.Open(nil)
	pm = tuitest.Drive(pm, auth.DoneMsg{User: e2.Boss})
	if strings.Contains(tuitest.PaneTitles(pm), "Admin") || e2.C.ViaKey() {
		t.Fatalf("a password sign-in has the tabs %s", tuitest.PaneTitles(pm))
	}
	if a := e2.C.Actor(); a.Key != "" {
		t.Fatalf("a password session acts with a key: %+v", a)
	}
	if _, _, err := e2.Store.AdminUsers(ctx, e2.C.Actor(), "", 10); err == nil {
		t.Fatal("the store served a password session's admin request")
	}
	pm.(*tui.Model).Close()
}

// Keys typed quickly may reach the dashboard in one read: each is its own
// key press, so a tab's digit opens the tab before the letters after it
// reach that tab's filter.
func TestKeysReadTogetherAreEachPressed(t *testing.T) {
	e := tuitest.New(t)
	e.WithNumbers()
	m, _ := e.SignedIn("quick@example.com", 0)
	m = tuitest.Type(m, "2")
	if v := m.View(); !strings.Contains(v, "Inbox") || strings.Contains(v, "choose a service") {
		t.Fatalf("2 did not open the Inbox:\n%s", v)
	}
	m = tuitest.Drive(m, tuitest.KeyMsg("1tele"))
	v := m.View()
	if !strings.Contains(v, "choose a service") || !strings.Contains(v, "Telegram") || strings.Contains(v, "WhatsApp") {
		t.Fatalf("\"1tele\" read at once did not open Numbers filtered on tele:\n%s", v)
	}
	m.(*tui.Model).Close()
}
