package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
)

func paneTitles(m tea.Model) string {
	var out []string
	for _, p := range m.(*Model).panes {
		out = append(out, p.Title())
	}
	return strings.Join(out, ",")
}

// The Admin tab exists only for an admin account resolved from its
// linked key when the session started; digits past the last tab do
// nothing.
func TestAdminTabOnlyForAdminsSignedInByKey(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()

	// Bob, a customer, by his key: six tabs; 7 leads nowhere.
	bobKey, _ := store.ParseAuthorizedKey(bobKeyLine)
	e.c.Session.Key = &bobKey
	bob := e.bob
	var m tea.Model = New(e.c, &bob)
	m = drive(m, m.Init()())
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if strings.Contains(paneTitles(m), "Admin") {
		t.Fatalf("a customer has the tabs %s", paneTitles(m))
	}
	m = typeKeys(m, "7")
	if v := m.View(); strings.Contains(v, "Users · Orders") || !strings.Contains(v, "choose a service") {
		t.Fatalf("7 moved a customer somewhere:\n%s", v)
	}
	m.(*Model).Close()

	// The boss by password (the key not linked, or not used): no tab,
	// and the actor the session would use carries no key.
	e2 := newAdminEnv(t)
	e2.c.Session.Key = nil
	var pm tea.Model = New(e2.c, nil)
	pm = drive(pm, tea.WindowSizeMsg{Width: 80, Height: 24})
	pm = drive(pm, authDoneMsg{user: e2.boss})
	if strings.Contains(paneTitles(pm), "Admin") || pm.(*Model).c.viaKey() {
		t.Fatalf("a password sign-in has the tabs %s", paneTitles(pm))
	}
	if a := e2.c.actor(); a.Key != "" {
		t.Fatalf("a password session acts with a key: %+v", a)
	}
	if _, _, err := e2.store.AdminUsers(ctx, e2.c.actor(), "", 10); err == nil {
		t.Fatal("the store served a password session's admin request")
	}
	pm.(*Model).Close()
}

// Were the pane reached anyway (a session that is not an admin's, a
// role revoked while it is open), every action is refused by the store
// and changes nothing.
func TestAdminPaneActionsRefusedWithoutTheRole(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	m := e.dashboard()
	m = typeKeys(m, "7")
	m = press(m, "right", "right") // Numbers
	if !strings.Contains(m.View(), "Open numbers  2") {
		t.Fatalf("numbers section:\n%s", m.View())
	}
	if _, err := e.store.RevokeAdmin(ctx, "boss@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	// The keys still reach the pane before the session learns of it.
	m = typeKeys(m, "x")
	m = typeKeys(m, "refund")
	m = press(m, "enter")
	if r, _ := e.store.Reservation(ctx, e.bobRes[1].ID); r.State != store.ResReceived {
		t.Fatalf("a revoked admin force-cancelled: %+v", r)
	}
	if v := m.View(); !strings.Contains(v, "this needs an admin account") {
		t.Fatalf("no refusal shown:\n%s", v)
	}
	// Once the session hears of it, it ends: its admin powers are gone.
	var goodbye string
	e.c.Goodbye = func(reason string) { goodbye = reason }
	m = drive(m, eventMsg{event: store.Event{UserID: e.boss.ID, Kind: store.EventAccount}})
	if !strings.Contains(goodbye, "admin powers ended") {
		t.Fatalf("after the role change the session goes on (goodbye %q):\n%s", goodbye, m.View())
	}

	// A pane built for Bob's session, his key proved: refused too.
	bobKey, _ := store.ParseAuthorizedKey(bobKeyLine)
	c := *e.c
	c.Session = &Session{ID: "bob", Key: &bobKey}
	c.User, c.UserID = e.bob, e.bob.ID
	c.Standing = store.Standing{UserID: e.bob.ID, Key: bobKey.Fingerprint}
	p := newAdmin(&c)
	p.SetSize(76, 19)
	// Its lists cannot load (refused); give it one as if it had.
	open, _ := e.store.Reservation(ctx, e.bobRes[1].ID)
	p.sections[2].(*adminNumbers).res = []store.Reservation{open}
	var pane Component = p
	for _, msg := range []tea.Msg{keyMsg("right"), keyMsg("right"), keyMsg("x")} {
		pane, _ = pane.Update(msg)
	}
	for _, r := range "mine now" {
		pane, _ = pane.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	_, cmd := pane.Update(keyMsg("enter"))
	for _, msg := range runCmd(cmd) {
		pane, _ = pane.Update(msg)
	}
	if r, _ := e.store.Reservation(ctx, e.bobRes[1].ID); r.State != store.ResReceived {
		t.Fatalf("a customer force-cancelled: %+v", r)
	}
	if st := p.sections[2].(*adminNumbers).st; st.err != "this needs an admin account" {
		t.Fatalf("the customer was told %+v", st)
	}
	log, _ := e.store.AuditLog(ctx, 10)
	for _, a := range log {
		if a.Action == store.AuditForceCancel {
			t.Fatalf("audit row for a refused action: %+v", a)
		}
	}
	p.close()
}

// A live refresh that lands after the admin left a conversation or an
// account's page does not bring it back.
func TestAdminLateReloadsDoNotReopen(t *testing.T) {
	e := newAdminEnv(t)
	s := newAdminSupport(e.c)
	s.update(adminThreadMsg{thread: store.SupportThread{ID: e.thread}}) // opened
	s.update(keyMsg("esc"))
	s.update(adminThreadMsg{thread: store.SupportThread{ID: e.thread}, reload: true})
	if s.thread != nil {
		t.Fatal("a late refresh reopened the conversation")
	}
	u := newAdminUsers(e.c)
	u.update(adminPageMsg{page: store.UserPage{User: e.bob}})
	u.update(keyMsg("esc"))
	u.update(adminPageMsg{page: store.UserPage{User: e.bob}, reload: true})
	if u.page != nil {
		t.Fatal("a late refresh reopened the page")
	}
}
