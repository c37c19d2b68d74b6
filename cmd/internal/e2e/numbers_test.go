package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// reserve drives the Numbers pane, which must be in view: filter the
// services, take the first match and its cheapest country, confirm.
func reserve(t *testing.T, term *sshterm.Term, filter, service string) {
	t.Helper()
	expect(t, term, "choose a service")
	term.Type(filter)
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, service+" · choose a country")
	term.Press(sshterm.Enter)
	expect(t, term, "Reserve this number?")
	term.Type("y")
	expect(t, term, "Your "+service+" number")
}

// onlyOpen is the user's one open reservation.
func onlyOpen(t *testing.T, env *testenv.Env, userID int64) store.Reservation {
	t.Helper()
	rs := env.Reservations(userID)
	if len(rs) != 1 {
		t.Fatalf("%d open reservations, want 1", len(rs))
	}
	return rs[0]
}

// A person reserves a number and its code shows up by itself, in Numbers
// and in Inbox, rings the bell, and is copied with one key.
func TestReserveCodeArrivesWithoutKeyPress(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Second, false, 20*time.Minute))
	u, key := env.NewUser("buyer@example.com")
	env.Credit(u.ID, 500, "g1")
	term := env.Dial(t, key)
	expect(t, term, "$5.00")
	reserve(t, term, "tele", "Telegram")
	r := onlyOpen(t, env, u.ID)
	if got := env.Balance(u.ID); got != 500-r.PriceCents || !r.Simulated {
		t.Fatalf("balance %d after reserving %+v", got, r)
	}
	expect(t, term, "simulated")
	expect(t, term, r.Phone)
	// No key is pressed from here until the code is on screen.
	expect(t, term, "Code")
	r = onlyOpen(t, env, u.ID)
	code := r.LatestCode()
	if code == "" || r.State != store.ResReceived {
		t.Fatalf("after the SMS: %+v", r)
	}
	term.Type("2")
	expect(t, term, "Inbox · 1 open")
	expect(t, term, r.Messages[0].Body[:12])
	if term.Bells() == 0 {
		t.Error("no bell when the code arrived")
	}
	term.Type("c")
	expect(t, term, "copied to your clipboard")
	if got := term.Clipboard(); got != code {
		t.Fatalf("clipboard %q, want the code %q", got, code)
	}
	term.Type("n")
	expect(t, term, "Number "+r.Phone+" copied")
	if got := term.Clipboard(); got != r.Phone {
		t.Fatalf("clipboard %q, want the number %q", got, r.Phone)
	}
	term.Type("f")
	expect(t, term, "No more SMS will arrive")
	term.Type("y")
	expect(t, term, "No open numbers")
	term.Type("3")
	expect(t, term, "finished")
	if got := env.Balance(u.ID); got != 500-r.PriceCents {
		t.Fatalf("balance %d: a received number stays paid", got)
	}
}

// A number that never gets an SMS is refunded when its lifetime ends,
// while the person watches.
func TestNeverArrivingNumberRefundedAtExpiry(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 3*time.Second))
	u, key := env.NewUser("waiter@example.com")
	env.Credit(u.ID, 300, "g1")
	term := env.Dial(t, key)
	reserve(t, term, "whats", "WhatsApp")
	r := onlyOpen(t, env, u.ID)
	if env.Balance(u.ID) == 300 {
		t.Fatal("not debited")
	}
	term.Type("2")
	expect(t, term, "Inbox · 1 open")
	expect(t, term, "No open numbers")
	expect(t, term, "$3.00")
	got, err := env.Store().Reservation(context.Background(), r.ID)
	if err != nil || got.State != store.ResExpired || !got.Refunded {
		t.Fatalf("after the lifetime: %+v %v", got, err)
	}
	term.Type("3")
	expect(t, term, "refunded (expired)")
	if rep, err := env.Store().Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("ledger: %+v %v", rep, err)
	}
}

func TestCancelRefunds(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 10*time.Minute))
	u, key := env.NewUser("canceller@example.com")
	env.Credit(u.ID, 200, "g1")
	term := env.Dial(t, key)
	reserve(t, term, "goo", "Google")
	r := onlyOpen(t, env, u.ID)
	term.Type("2")
	expect(t, term, "Inbox · 1 open") // keys typed together arrive as one
	term.Type("x")
	expect(t, term, "You get "+tuiCents(r.PriceCents)+" back")
	term.Type("y")
	expect(t, term, "Cancelled "+r.Phone+": "+tuiCents(r.PriceCents)+" refunded")
	expect(t, term, "$2.00")
	if got := env.Balance(u.ID); got != 200 {
		t.Fatalf("balance %d after cancelling", got)
	}
}

func tuiCents(c int64) string { return fmt.Sprintf("$%d.%02d", c/100, c%100) }

// Both sessions of the owner see the SMS arrive; another person never
// sees it.
func TestTwoSessionsSeeTheMessageAnotherUserDoesNot(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(2*time.Second, false, 20*time.Minute))
	u, key := env.NewUser("two@example.com")
	_, otherKey := env.NewUser("other@example.com")
	env.Credit(u.ID, 500, "g1")
	one, two, other := env.Dial(t, key), env.Dial(t, key), env.Dial(t, otherKey)
	for _, term := range []*sshterm.Term{two, other} {
		openPane(t, term, "Inbox", "No open numbers")
		expect(t, term, "No open numbers")
	}
	reserve(t, one, "disc", "Discord")
	r := onlyOpen(t, env, u.ID)
	expect(t, two, r.Phone)
	expect(t, one, "Code")
	r = onlyOpen(t, env, u.ID)
	spaced := r.LatestCode()
	if len(spaced) == 6 {
		spaced = spaced[:3] + " " + spaced[3:]
	}
	expect(t, two, spaced)
	screen := other.Screen()
	if strings.Contains(screen, r.Phone) || strings.Contains(screen, spaced) || !strings.Contains(screen, "No open numbers") {
		t.Fatalf("another user's screen:\n%s", screen)
	}
}

func TestSimRefusedNextToLivePayments(t *testing.T) {
	cfg := service.Config{DataDir: t.TempDir(), SSHAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0"}
	cfg.Numbers.StripeSecretKey = "sk_live_123"
	if _, err := service.Start(cfg); !errors.Is(err, service.ErrSimWithLivePayments) {
		t.Fatalf("start: %v", err)
	}
	testenv.Start(t, func(c *service.Config) {
		c.Numbers.StripeSecretKey, c.Numbers.AllowSimWithLivePayments = "sk_live_123", true
	})
	testenv.Start(t, func(c *service.Config) { c.Numbers.StripeSecretKey = "sk_test_123" })
}

// An SMS-Activate-protocol provider chosen by configuration: numbers come
// from it, and an SMS it pushes to the webhook reaches the screen.
func TestSMSActivateProviderWithWebhook(t *testing.T) {
	up := fake.New(fake.Options{})
	defer up.Close()
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(fake.Script{Never: true})
	secret := "hook secret"
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = up.URL, up.APIKey()
		c.Numbers.WebhookSecret = secret
	})
	u, key := env.NewUser("real@example.com")
	env.Credit(u.ID, 500, "g1")
	term := env.Dial(t, key)
	reserve(t, term, "tele", "Telegram")
	r := onlyOpen(t, env, u.ID)
	if r.Provider != "smsactivate" || r.Simulated || r.PriceCents != 75 {
		t.Fatalf("reservation %+v: want smsactivate at 0.50 × 1.5", r)
	}
	body := []byte(fmt.Sprintf(`{"activationId":%s,"service":"tg","text":"Telegram code: 73519","code":"73519","country":16,"receivedAt":"2026-11-25 12:00:00"}`, r.ProviderRef))
	post := func(sig string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+env.Svc.HTTPAddr()+"/webhooks/provider/smsactivate", bytes.NewReader(body))
		req.Header.Set(provider.WebhookSignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(provider.SignWebhook([]byte("not the secret"), body)); code != http.StatusUnauthorized {
		t.Fatalf("forged push: %d", code)
	}
	if got := onlyOpen(t, env, u.ID); len(got.Messages) != 0 {
		t.Fatal("a forged push was stored")
	}
	if code := post(provider.SignWebhook([]byte(secret), body)); code != http.StatusOK {
		t.Fatalf("signed push: %d", code)
	}
	expect(t, term, "│  73519")
	for _, q := range up.Requests() {
		if strings.Contains(q.URL.String(), "real@example.com") || strings.Contains(q.URL.String(), "user") {
			t.Fatalf("request to the provider carries user data: %s", q.URL)
		}
	}
}

// After a restart the service resumes open numbers: the simulator forgot
// the waiting one, so it is refunded; nothing is left open or unpaid.
func TestRestartResumesOpenNumbers(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 10*time.Minute))
	u, key := env.NewUser("restart@example.com")
	env.Credit(u.ID, 400, "g1")
	term := env.Dial(t, key)
	reserve(t, term, "uber", "Uber")
	r := onlyOpen(t, env, u.ID)
	term.Close()
	env.Restart()
	again := env.Dial(t, key)
	openPane(t, again, "History", "refunded (failed)")
	got, err := env.Store().Reservation(context.Background(), r.ID)
	if err != nil || got.State != store.ResFailed || !got.Refunded || env.Balance(u.ID) != 400 {
		t.Fatalf("after the restart: %+v %v, balance %d", got, err, env.Balance(u.ID))
	}
}
