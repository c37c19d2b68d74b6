package account_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/tuitest"
)

// secretRE finds a signing secret on a screen: random, so goldens hold a
// placeholder of its length instead.
var secretRE = regexp.MustCompile(`whsec_[A-Za-z0-9_-]{43}`)

func masked(view string) string {
	return secretRE.ReplaceAllString(view, "whsec_"+strings.Repeat("x", 43))
}

// webhooksPage opens u's dashboard on Account → Webhooks.
func webhooksPage(e *tuitest.Env, u store.User) tea.Model {
	m := e.Open(&u)
	m = tuitest.Type(m, "5")
	return tuitest.Press(m, "right", "right", "right", "right") // activity, mail, API keys, webhooks
}

// fillAdd types a webhook's URL and a password into the open add form,
// leaving the format as it is, and submits.
func fillAdd(m tea.Model, url, password string) tea.Model {
	m = tuitest.Type(m, url)
	m = tuitest.Press(m, "tab", "tab")
	m = tuitest.Type(m, password)
	return tuitest.PressAndWait(m, "enter")
}

// A webhook is added on the Webhooks page with the password (a wrong one
// adds nothing); the secret it made shows once, until the page is left;
// the list shows the last deliveries and what the receiver answered;
// removing asks first. Each change is in the sign-in activity.
func TestViewWebhooksPage(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	m := tuitest.Type(webhooksPage(e, u), "a")
	tuitest.Golden(t, "account_webhook_add_80x24", m.View(), 80, 24)
	m = fillAdd(m, "https://8.8.8.8/hooks/wantsms", "not my password")
	if v := m.View(); !strings.Contains(v, "current password is wrong") {
		t.Fatalf("a wrong password:\n%s", v)
	}
	if hooks, _ := e.Store.Webhooks(ctx, u.ID, 5); len(hooks) != 0 {
		t.Fatal("a webhook was added with a wrong password")
	}
	m = tuitest.Type(m, "correct horse")
	m = tuitest.PressAndWait(m, "enter")
	v := m.View()
	if !strings.Contains(v, "Webhook 1 added") || !secretRE.MatchString(v) {
		t.Fatalf("added:\n%s", v)
	}
	tuitest.Golden(t, "account_webhook_secret_80x24", masked(v), 80, 24)

	// Deliveries, as the worker records them: one answered, one to retry.
	hooks, _ := e.Store.Webhooks(ctx, u.ID, 5)
	if _, err := e.Store.TestWebhook(ctx, u.ID, hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	d, _, _ := e.Store.ClaimDelivery(ctx, time.Minute)
	e.Store.RecordAttempt(ctx, d.ID, d.Attempt, store.Attempt{Delivered: true, HTTPStatus: 200, Answer: "ok"})
	e.Clock.Advance(time.Minute)
	if _, err := e.Store.TestWebhook(ctx, u.ID, hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	d, _, _ = e.Store.ClaimDelivery(ctx, time.Minute)
	e.Store.RecordAttempt(ctx, d.ID, d.Attempt, store.Attempt{HTTPStatus: 500, Answer: "Internal \x1b[31mServer Error",
		RetryAt: e.Clock.Now().Add(30 * time.Second)})
	m = tuitest.Drive(m, kitEvent(u.ID))
	if secretRE.MatchString(m.View()) == false {
		t.Fatal("the secret went before the page was left")
	}
	m = tuitest.Press(m, "left", "right")
	v = m.View()
	if secretRE.MatchString(v) {
		t.Fatalf("the secret is shown again:\n%s", v)
	}
	tuitest.Golden(t, "account_webhooks_80x24", v, 80, 24)
	if strings.Contains(v, "\x1b[31m") {
		t.Fatal("a receiver's answer reached the screen unsanitized")
	}

	m = tuitest.Type(m, "x")
	tuitest.Golden(t, "account_webhook_remove_80x24", m.View(), 80, 24)
	m = tuitest.Type(m, "n")
	if hooks, _ := e.Store.Webhooks(ctx, u.ID, 5); len(hooks) != 1 {
		t.Fatal("n removed the webhook")
	}
	m = tuitest.Type(m, "x")
	m = tuitest.PressAndWait(m, "y")
	if hooks, _ := e.Store.Webhooks(ctx, u.ID, 5); len(hooks) != 0 {
		t.Fatalf("y kept the webhook:\n%s", m.View())
	}
	events, _ := e.Store.SecurityEvents(ctx, u.ID, 10)
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, string(ev.Kind))
	}
	if got := strings.Join(kinds[:3], ","); got != "webhook_removed,webhook_added,signin_failed" {
		t.Fatalf("activity %v", kinds)
	}
}

// The removal answered yes removes the webhook it asked about, even when
// the list changed under the question; a webhook removed meanwhile closes
// the question instead.
func TestWebhookRemovalBoundToItsWebhook(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	var ids []int64
	for _, url := range []string{"https://8.8.8.8/one", "https://8.8.8.8/two", "https://8.8.8.8/three"} {
		w, err := e.Store.AddWebhook(ctx, u.ID, store.NewWebhook{URL: url}, origin)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, w.ID)
	}
	m := tuitest.Press(webhooksPage(e, u), "down", "down")
	m = tuitest.Type(m, "x") // about "three"
	if _, err := e.Store.RemoveWebhook(ctx, u.ID, ids[0], origin); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Drive(m, kitEvent(u.ID))
	if !strings.Contains(m.View(), "Remove webhook 3") {
		t.Fatalf("the question changed with the list:\n%s", m.View())
	}
	m = tuitest.PressAndWait(m, "y")
	hooks, _ := e.Store.Webhooks(ctx, u.ID, 5)
	if len(hooks) != 1 || hooks[0].ID != ids[1] {
		t.Fatalf("left %+v, want only webhook two", hooks)
	}
	m = tuitest.Type(m, "x") // about "two"
	if _, err := e.Store.RemoveWebhook(ctx, u.ID, ids[1], origin); err != nil {
		t.Fatal(err)
	}
	m = tuitest.Drive(m, kitEvent(u.ID))
	if v := m.View(); !strings.Contains(v, "Webhook 2 was removed meanwhile.") || strings.Contains(v, "Remove webhook") {
		t.Fatalf("the question outlived its webhook:\n%s", v)
	}
}

// A private address is refused at once, in words.
func TestWebhookToAPrivateAddressRefused(t *testing.T) {
	e := tuitest.New(t)
	ctx := context.Background()
	u := alice(t, e, true)
	m := fillAdd(tuitest.Type(webhooksPage(e, u), "a"), "http://localhost:8080/hook", "correct horse")
	if v := m.View(); !strings.Contains(v, "localhost resolves to 127.0.0.1, which is not a public address") {
		t.Fatalf("localhost:\n%s", v)
	}
	if hooks, _ := e.Store.Webhooks(ctx, u.ID, 5); len(hooks) != 0 {
		t.Fatal("a webhook to localhost was added")
	}
}
