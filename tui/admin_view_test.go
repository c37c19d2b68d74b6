package tui

import (
	"context"
	mathrand "math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
)

// Fixed keys, so that fingerprints in golden files do not change.
const (
	bossKeyLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDdZt0AjEg+O2GeBHAt4TNQtTSzRB6vdfwXoa1fLlpbq boss"
	bobKeyLine  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINFJ8rAy0QnhoYqRIcM/BQtOAwaRS4zbXy0RsgyDJf0q bob"
)

// adminEnv is a view env with the engine, an admin who proved a linked
// key, and Bob, a customer with some history.
type adminEnv struct {
	*viewEnv
	eng      *engine.Engine
	boss     store.User
	bossKey  store.KeySpec
	bob      store.User
	bobRes   []store.Reservation
	bobOrder store.Order
	thread   int64
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	e := &adminEnv{viewEnv: newViewEnv(t)}
	// Order numbers drawn from a fixed source: screens are reproducible.
	st, err := store.Open(filepath.Join(t.TempDir(), "admin.db"), store.Options{Clock: e.store.Now,
		Rand: mathrand.NewChaCha8([32]byte{'a', 'd', 'm', 'i', 'n'})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store, e.c.Deps.Store = st, st
	e.eng = withNumbers(t, e.viewEnv)
	e.c.Deps.Operations = e.eng
	ctx := context.Background()
	o := store.Origin{RemoteAddr: "198.51.100.4:50312", ClientVersion: "SSH-2.0-OpenSSH_9.6"}
	e.boss, e.bossKey = e.account("boss@example.com", bossKeyLine, o)
	if _, _, err := st.GrantAdmin(ctx, "boss@example.com", store.KeySpec{Fingerprint: e.bossKey.Fingerprint}, "test"); err != nil {
		t.Fatal(err)
	}
	e.boss, _ = st.UserByID(ctx, e.boss.ID)
	e.bob, _ = e.account("bob@example.com", bobKeyLine, o)
	if _, err := st.Move(ctx, store.Movement{UserID: e.bob.ID, AmountCents: 1000, Kind: store.LedgerGrant,
		Reference: "g-bob", Note: "welcome"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"telegram", "gb"}, {"whatsapp", "br"}} {
		r, err := e.eng.Reserve(ctx, e.bob.ID, p[0], p[1], 300)
		if err != nil {
			t.Fatal(err)
		}
		e.bobRes = append(e.bobRes, r)
	}
	if _, err := st.AddMessage(ctx, e.bobRes[1].ID, store.NewMessage{ProviderID: "1", Sender: "WhatsApp",
		Body: "Your WhatsApp code: 482-913", Code: "482913"}); err != nil {
		t.Fatal(err)
	}
	e.bobOrder, err = st.CreateOrder(ctx, store.NewOrder{UserID: e.bob.ID, Processor: store.ProcessorStripe,
		AmountCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	if e.bobOrder, err = st.AttachCheckout(ctx, e.bobOrder.Number, store.CheckoutRef{SessionID: "cs_test_a1B2c3",
		URL: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3", ExpiresAt: st.Now().Add(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	m, err := st.WriteSupport(ctx, e.bob.ID, "My Telegram number never got its code. Can I have my credits back?")
	if err != nil {
		t.Fatal(err)
	}
	e.thread = m.ThreadID
	return e
}

func (e *adminEnv) account(email, keyLine string, o store.Origin) (store.User, store.KeySpec) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.CreateUser(ctx, email, "correct horse", o)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.MarkEmailVerified(ctx, email, "test"); err != nil {
		e.t.Fatal(err)
	}
	spec, err := store.ParseAuthorizedKey(keyLine)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.LinkKey(ctx, u.ID, spec, "", o); err != nil {
		e.t.Fatal(err)
	}
	return u, spec
}

// dashboard opens the boss's dashboard as a session that proved the key.
func (e *adminEnv) dashboard() tea.Model {
	e.t.Helper()
	e.c.Session.Key, e.c.Session.AdminKey = &e.bossKey, true
	e.c.Session.Origin = store.Origin{RemoteAddr: "203.0.113.8:41000"}
	u := e.boss
	m := New(e.c, &u)
	e.t.Cleanup(m.Close)
	var tm tea.Model = m
	tm = drive(tm, m.Init()())
	return drive(tm, tea.WindowSizeMsg{Width: 80, Height: 24})
}

func TestViewAdminPane(t *testing.T) {
	e := newAdminEnv(t)
	m := e.dashboard()
	m = typeKeys(m, "7")
	golden(t, "admin_users_80x24", m.View(), 80, 24)
	m = press(m, "down", "enter")
	golden(t, "admin_userpage_80x24", m.View(), 80, 24)
	m = typeKeys(m, "b")
	m = typeKeys(m, "chargeback")
	m = press(m, "enter")
	golden(t, "admin_userpage_banned_80x24", m.View(), 80, 24)
	m = typeKeys(m, "c")
	m = typeKeys(m, "-2.5")
	m = press(m, "tab")
	m = typeKeys(m, "double top-up")
	golden(t, "admin_adjust_form_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	m = typeKeys(m, "]")
	m = typeKeys(m, "[[")
	golden(t, "admin_userpage_audit_80x24", m.View(), 80, 24)
	m = press(m, "esc", "right")
	golden(t, "admin_orders_80x24", m.View(), 80, 24)
	m = press(m, "right")
	golden(t, "admin_numbers_80x24", m.View(), 80, 24)
	m = typeKeys(m, "x")
	golden(t, "admin_force_cancel_80x24", m.View(), 80, 24)
	m = typeKeys(m, "code never came")
	m = press(m, "enter")
	golden(t, "admin_numbers_cancelled_80x24", m.View(), 80, 24)
	m = press(m, "right")
	golden(t, "admin_providers_80x24", m.View(), 80, 24)
	m = press(m, "right")
	golden(t, "admin_prices_80x24", m.View(), 80, 24)
	m = press(m, "right")
	golden(t, "admin_support_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	m = typeKeys(m, "w")
	m = typeKeys(m, "Refunded: try another country.")
	m = press(m, "enter")
	golden(t, "admin_support_thread_80x24", m.View(), 80, 24)
	m = press(m, "esc", "right")
	golden(t, "admin_audit_80x24", m.View(), 80, 24)

	// What the screens said happened, happened, with its audit rows.
	ctx := context.Background()
	bob, _ := e.store.UserByID(ctx, e.bob.ID)
	if !bob.Banned() || bob.BanReason != "chargeback" || bob.BalanceCents != 1000-e.bobRes[0].PriceCents-250 {
		t.Fatalf("bob after the walk: %+v", bob)
	}
	if n, _ := e.store.UnreadSupport(ctx, e.bob.ID); n != 1 {
		t.Fatalf("bob's unread replies: %d", n)
	}
	log, _ := e.store.AuditLog(ctx, 50)
	var actions []string
	for _, a := range log {
		actions = append(actions, string(a.Action))
	}
	want := "support.reply reservation.cancel debit ban users.view users.search"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit: %s\nwant %s", strings.Join(actions, " "), want)
	}
	if rep, err := e.store.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func TestViewAdminPricesAndProviders(t *testing.T) {
	e := newAdminEnv(t)
	m := e.dashboard()
	m = typeKeys(m, "7")
	m = press(m, "left", "left", "left")
	m = typeKeys(m, "/")
	m = typeKeys(m, "telegram")
	m = press(m, "enter")
	m = typeKeys(m, "m")
	m = press(m, "tab", "tab", "ctrl+u")
	m = typeKeys(m, "2")
	golden(t, "admin_markup_form_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	golden(t, "admin_prices_override_80x24", m.View(), 80, 24)
	for _, o := range e.eng.Offers(context.Background()) {
		if o.Service == "telegram" && o.Country == "gb" && o.SellCents <= e.bobRes[0].PriceCents {
			t.Fatalf("telegram/gb still sells at %d after a ×2 override (was %d at ×1.5)", o.SellCents,
				e.bobRes[0].PriceCents)
		}
	}
	m = press(m, "esc", "left")
	m = typeKeys(m, "e")
	golden(t, "admin_provider_confirm_80x24", m.View(), 80, 24)
	m = typeKeys(m, "y")
	if len(e.eng.Offers(context.Background())) != 0 {
		t.Fatal("sim still sells after being switched off")
	}
}

// The person's side: writing to support, and a reply marked unread in
// the tab, live, until the pane is opened.
func TestViewSupportPane(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	bobKey, _ := store.ParseAuthorizedKey(bobKeyLine)
	e.c.Session.Key = &bobKey
	bob, _ := e.store.UserByID(ctx, e.bob.ID)
	m := New(e.c, &bob)
	t.Cleanup(m.Close)
	var tm tea.Model = drive(m, m.Init()())
	tm = drive(tm, tea.WindowSizeMsg{Width: 80, Height: 24})
	tm = typeKeys(tm, "6")
	tm = typeKeys(tm, "w")
	tm = typeKeys(tm, "Also: can I pay in euros?")
	golden(t, "support_writing_80x24", tm.View(), 80, 24)
	tm = press(tm, "enter")
	tm = typeKeys(tm, "1")
	admin := store.Actor{UserID: e.boss.ID, Key: e.bossKey.Fingerprint}
	if _, err := e.store.ReplySupport(ctx, admin, e.thread, "Yes: cards in any currency are charged in dollars."); err != nil {
		t.Fatal(err)
	}
	// The hub's event, as the session's subscription delivers it.
	tm = drive(tm, eventMsg{event: store.Event{UserID: bob.ID, Kind: store.EventSupport, Ref: e.thread}})
	if titles := paneTitles(tm); !strings.Contains(titles, "Support (1)") {
		t.Fatalf("tabs after a reply: %s", titles)
	}
	tm = typeKeys(tm, "6")
	golden(t, "support_80x24", tm.View(), 80, 24)
	if n, _ := e.store.UnreadSupport(ctx, bob.ID); n != 0 || strings.Contains(paneTitles(tm), "(1)") {
		t.Fatalf("after reading: %d unread, tabs %s", n, paneTitles(tm))
	}
}

// "Switch off sim?" does what it said even when another admin switched
// sim off meanwhile and the list was reloaded: y never switches it on.
func TestAdminProviderQuestionKeepsItsWord(t *testing.T) {
	e := newAdminEnv(t)
	m := e.dashboard()
	m = typeKeys(m, "7")
	m = press(m, "left", "left", "left", "left")
	m = typeKeys(m, "e")
	if v := m.View(); !strings.Contains(v, "Switch off sim?") {
		t.Fatalf("no question:\n%s", v)
	}
	other := store.Actor{UserID: e.boss.ID, Key: e.bossKey.Fingerprint}
	if err := e.eng.SetProviderEnabled(context.Background(), other, "sim", false); err != nil {
		t.Fatal(err)
	}
	m = typeKeys(m, "17") // away and back: the section reloads
	if v := m.View(); !strings.Contains(v, "Switch off sim?") {
		t.Fatalf("the question changed after the reload:\n%s", v)
	}
	m = typeKeys(m, "y")
	if len(e.eng.Offers(context.Background())) != 0 {
		t.Fatalf("y on \"Switch off sim?\" switched it back on:\n%s", m.View())
	}
}

// The live support inbox keeps the cursor on the conversation chosen when
// a newer one arrives above it: enter opens the chosen one.
func TestAdminSupportCursorStaysOnItsThread(t *testing.T) {
	e := newAdminEnv(t)
	ctx := context.Background()
	write := func(email, text string) {
		u, err := e.store.CreateUser(ctx, email, "correct horse", store.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.WriteSupport(ctx, u.ID, text); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute) // newer threads sort first
	}
	e.clock.Advance(time.Minute)
	write("carol@example.com", "Carol's question")
	m := e.dashboard()
	m = typeKeys(m, "7")
	m = press(m, "left", "left")
	m = press(m, "down")
	if v := m.View(); !strings.Contains(v, "▸ #1") {
		t.Fatalf("bob's thread not selected:\n%s", v)
	}
	write("dave@example.com", "Dave's question")
	m = typeKeys(m, "17") // away and back: the inbox reloads
	m = press(m, "enter")
	if v := m.View(); !strings.Contains(v, "My Telegram number never got its code") {
		t.Fatalf("enter opened another conversation:\n%s", v)
	}
}
