package admin_test

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/pane/admin"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// Were the pane reached anyway (a session that is not an admin's, a
// role revoked while it is open), every action is refused by the store
// and changes nothing.
func TestAdminPaneActionsRefusedWithoutTheRole(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	ctx := context.Background()
	m := e.Dashboard()
	m = tuitest.Type(m, "8")
	m = tuitest.Press(m, "right", "right") // Numbers
	if !strings.Contains(m.View(), "Open numbers  2") {
		t.Fatalf("numbers section:\n%s", m.View())
	}
	if _, err := e.Store.RevokeAdmin(ctx, "boss@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	// The keys still reach the pane before the session learns of it.
	m = tuitest.Type(m, "x")
	m = tuitest.Type(m, "refund")
	m = tuitest.Press(m, "enter")
	if r, _ := e.Store.Reservation(ctx, e.BobRes[1].ID); r.State != store.ResReceived {
		t.Fatalf("a revoked admin force-cancelled: %+v", r)
	}
	if v := m.View(); !strings.Contains(v, "this needs an admin account") {
		t.Fatalf("no refusal shown:\n%s", v)
	}
	// Once the session hears of it, it ends: its admin powers are gone.
	var goodbye string
	e.C.Goodbye = func(reason string) { goodbye = reason }
	m = tuitest.Drive(m, kit.EventMsg{Event: store.Event{UserID: e.Boss.ID, Kind: store.EventAccount}})
	if !strings.Contains(goodbye, "admin powers ended") {
		t.Fatalf("after the role change the session goes on (goodbye %q):\n%s", goodbye, m.View())
	}

	// A pane built for Bob's session, his key proved: refused too.
	bobKey, _ := store.ParseAuthorizedKey(tuitest.BobKeyLine)
	c := *e.C
	c.Session = &kit.Session{ID: "bob", Key: &bobKey}
	c.User, c.UserID = e.Bob, e.Bob.ID
	c.Standing = store.Standing{UserID: e.Bob.ID, Key: bobKey.Fingerprint}
	p := admin.New(&c, e.Store, e.Eng)
	p.SetSize(76, 19)
	// Its lists cannot load (refused); give it one as if it had.
	open, _ := e.Store.Reservation(ctx, e.BobRes[1].ID)
	admin.SetOpenNumbers(p, []store.Reservation{open})
	var pane kit.Pane = p
	for _, msg := range []tea.Msg{tuitest.KeyMsg("right"), tuitest.KeyMsg("right"), tuitest.KeyMsg("x")} {
		pane, _ = pane.Update(msg)
	}
	for _, r := range "mine now" {
		pane, _ = pane.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	_, cmd := pane.Update(tuitest.KeyMsg("enter"))
	for _, msg := range tuitest.RunCmd(cmd) {
		pane, _ = pane.Update(msg)
	}
	if r, _ := e.Store.Reservation(ctx, e.BobRes[1].ID); r.State != store.ResReceived {
		t.Fatalf("a customer force-cancelled: %+v", r)
	}
	if st := admin.NumbersStatus(p); st.Err != "this needs an admin account" {
		t.Fatalf("the customer was told %+v", st)
	}
	log, _ := e.Store.AuditLog(ctx, 10)
	for _, a := range log {
		if a.Action == store.AuditForceCancel {
			t.Fatalf("audit row for a refused action: %+v", a)
		}
	}
	p.Close()
}
