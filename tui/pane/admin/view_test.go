package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/tuitest"
)

func TestViewAdminPane(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	m := e.Dashboard()
	m = tuitest.Type(m, "8")
	tuitest.Golden(t, "admin_users_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "down", "enter")
	tuitest.Golden(t, "admin_userpage_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "b")
	m = tuitest.Type(m, "chargeback")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "admin_userpage_banned_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "c")
	m = tuitest.Type(m, "-2.5")
	m = tuitest.Press(m, "tab")
	m = tuitest.Type(m, "double top-up")
	tuitest.Golden(t, "admin_adjust_form_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	m = tuitest.Type(m, "]")
	m = tuitest.Type(m, "[[")
	tuitest.Golden(t, "admin_userpage_audit_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "esc", "right")
	tuitest.Golden(t, "admin_orders_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "admin_numbers_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "x")
	tuitest.Golden(t, "admin_force_cancel_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "code never came")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "admin_numbers_cancelled_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "admin_providers_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "admin_prices_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right")
	tuitest.Golden(t, "admin_support_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	m = tuitest.Type(m, "w")
	m = tuitest.Type(m, "Refunded: try another country.")
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "admin_support_thread_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "esc", "right")
	tuitest.Golden(t, "admin_audit_80x24", m.View(), 80, 24)

	// What the screens said happened, happened, with its audit rows.
	ctx := context.Background()
	bob, _ := e.Store.UserByID(ctx, e.Bob.ID)
	if !bob.Banned() || bob.BanReason != "chargeback" || bob.BalanceCents != 1000-e.BobRes[0].PriceCents-250 {
		t.Fatalf("bob after the walk: %+v", bob)
	}
	if n, _ := e.Store.UnreadSupport(ctx, e.Bob.ID); n != 1 {
		t.Fatalf("bob's unread replies: %d", n)
	}
	log, _ := e.Store.AuditLog(ctx, 50)
	var actions []string
	for _, a := range log {
		actions = append(actions, string(a.Action))
	}
	want := "support.reply reservation.cancel debit ban users.view users.search"
	if strings.Join(actions, " ") != want {
		t.Fatalf("audit: %s\nwant %s", strings.Join(actions, " "), want)
	}
	if rep, err := e.Store.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

func TestViewAdminPricesAndProviders(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	m := e.Dashboard()
	m = tuitest.Type(m, "8")
	m = tuitest.Press(m, "left", "left", "left", "left") // Mail, Audit, Support, Prices
	m = tuitest.Type(m, "/")
	m = tuitest.Type(m, "telegram")
	m = tuitest.Press(m, "enter")
	m = tuitest.Type(m, "m")
	m = tuitest.Press(m, "tab", "tab", "ctrl+u")
	m = tuitest.Type(m, "2")
	tuitest.Golden(t, "admin_markup_form_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	tuitest.Golden(t, "admin_prices_override_80x24", m.View(), 80, 24)
	for _, o := range e.Eng.Offers(context.Background()) {
		if o.Service == "telegram" && o.Country == "gb" && o.SellCents <= e.BobRes[0].PriceCents {
			t.Fatalf("telegram/gb still sells at %d after a ×2 override (was %d at ×1.5)", o.SellCents,
				e.BobRes[0].PriceCents)
		}
	}
	m = tuitest.Press(m, "esc", "left")
	m = tuitest.Type(m, "e")
	tuitest.Golden(t, "admin_provider_confirm_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "y")
	if len(e.Eng.Offers(context.Background())) != 0 {
		t.Fatal("sim still sells after being switched off")
	}
}

// "Switch off sim?" does what it said even when another admin switched
// sim off meanwhile and the list was reloaded: y never switches it on.
func TestAdminProviderQuestionKeepsItsWord(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	m := e.Dashboard()
	m = tuitest.Type(m, "8")
	m = tuitest.Press(m, "left", "left", "left", "left", "left") // … Providers
	m = tuitest.Type(m, "e")
	if v := m.View(); !strings.Contains(v, "Switch off sim?") {
		t.Fatalf("no question:\n%s", v)
	}
	other := store.Actor{UserID: e.Boss.ID, Key: e.BossKey.Fingerprint}
	if err := e.Eng.SetProviderEnabled(context.Background(), other, "sim", false); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Type(m, "18") // away and back: the section reloads
	if v := m.View(); !strings.Contains(v, "Switch off sim?") {
		t.Fatalf("the question changed after the reload:\n%s", v)
	}
	m = tuitest.Type(m, "y")
	if len(e.Eng.Offers(context.Background())) != 0 {
		t.Fatalf("y on \"Switch off sim?\" switched it back on:\n%s", m.View())
	}
}

// The live support inbox keeps the cursor on the conversation chosen when
// a newer one arrives above it: enter opens the chosen one.
func TestAdminSupportCursorStaysOnItsThread(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	ctx := context.Background()
	write := func(email, text string) {
		u, err := e.Store.CreateUser(ctx, email, "correct horse", store.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.WriteSupport(ctx, u.ID, text); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Minute) // newer threads sort first
	}
	e.Clock.Advance(time.Minute)
	write("carol@example.com", "Carol's question")
	m := e.Dashboard()
	m = tuitest.Type(m, "8")
	m = tuitest.Press(m, "left", "left", "left") // Mail, Audit, Support
	m = tuitest.Press(m, "down")
	if v := m.View(); !strings.Contains(v, "▸ #1") {
		t.Fatalf("bob's thread not selected:\n%s", v)
	}
	write("dave@example.com", "Dave's question")
	m = tuitest.Type(m, "18") // away and back: the inbox reloads
	m = tuitest.Press(m, "enter")
	if v := m.View(); !strings.Contains(v, "My Telegram number never got its code") {
		t.Fatalf("enter opened another conversation:\n%s", v)
	}
}

// The Mail section counts the outbox and lists the mails given up, with
// the mail server's last answer; enter opens the account. Looking is
// audited: the list names addresses.
func TestViewAdminMail(t *testing.T) {
	e := tuitest.NewAdminEnv(t)
	ctx := context.Background()
	for {
		m, ok, err := e.Store.ClaimMail(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if m.UserID == e.Bob.ID && m.Kind == store.MailKeyLinked {
			err = e.Store.GiveUpMail(ctx, m.ID, m.Attempt, "550 5.1.1 <bob@example.com>: mailbox unavailable")
		} else {
			err = e.Store.MailSent(ctx, m.ID, m.Attempt, "subject")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	m := e.Dashboard()
	m = tuitest.Type(m, "8")
	m = tuitest.Press(m, "left")
	tuitest.Golden(t, "admin_mail_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	if v := m.View(); !strings.Contains(v, "bob@example.com  #2") {
		t.Fatalf("enter did not open bob's page:\n%s", v)
	}
	log, _ := e.Store.AuditLog(ctx, 5)
	if len(log) < 2 || log[0].Action != store.AuditUserView || log[1].Action != store.AuditMailFailed ||
		log[1].ActorID != e.Boss.ID {
		t.Fatalf("the look at failed mails is not audited: %+v", log)
	}
}
