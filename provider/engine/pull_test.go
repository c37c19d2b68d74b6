package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// pullRig adds an SMS-Activate upstream (a pull provider) to a rig's
// store and clock, with its own engine.
func pullRig(t *testing.T, script fake.Script) (*rig, *fake.Server, *Engine, *provider.Router) {
	return pullRigWith(t, script, Config{})
}

// pullRigWith is pullRig with an engine configured by cfg.
func pullRigWith(t *testing.T, script fake.Script, cfg Config) (*rig, *fake.Server, *Engine, *provider.Router) {
	r := newRig(t, sim.Options{}, Config{})
	up := fake.New(fake.Options{})
	t.Cleanup(up.Close)
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(script)
	c, err := smsactivate.New(smsactivate.Config{BaseURL: up.URL, APIKey: up.APIKey(), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	router := provider.NewRouter(provider.RouterConfig{Now: r.clock.Now})
	router.Add(c, provider.Route{Enabled: true})
	cfg.Clock, cfg.Secrets = r.clock, map[string][]byte{"smsactivate": []byte("s3cret")}
	eng := New(r.st, router, cfg)
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return r, up, eng, router
}

func (r *rig) messages(u store.User, id int64) []store.Message {
	full, err := r.st.UserReservation(ctx, u.ID, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return full.Messages
}

func TestPullProviderPolledWithBackoff(t *testing.T) {
	r, up, eng, router := pullRig(t, fake.Script{CodeAfterPolls: 4, Text: "Telegram code: {code}"})
	u := r.user("pull@example.com", 1000)
	res, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	// Advance in small steps, letting each due poll run: each is due
	// after a growing wait.
	checks := func() int64 { return router.Stats()[0].ByOp["check"] }
	for i := 0; r.res(res.ID).State == store.ResActive; i++ {
		if i > 200 {
			t.Fatal("the code never came")
		}
		r.clock.Advance(time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	msgs := r.messages(u, res.ID)
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Body, "Telegram code: ") || msgs[0].Code == "" {
		t.Fatalf("messages %+v", msgs)
	}
	if n := checks(); n < 5 || n > 7 {
		t.Fatalf("%d checks to get the code after 4 waiting answers", n)
	}
	// Backoff: over the next 10 minutes polls slow down to the cap.
	start := checks()
	for range 120 {
		r.clock.Advance(5 * time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	eventually(t, "polls settle", func() bool { return checks() > start })
	if n := checks() - start; n > int64(10*time.Minute/(DefaultPollMax*8/10))+2 {
		t.Fatalf("%d polls in 10 minutes: no backoff", n)
	}
	for _, q := range up.Requests() {
		if strings.Contains(q.URL.RawQuery, "example.com") || strings.Contains(q.URL.RawQuery, fmt.Sprint(u.ID)+"&") {
			t.Fatalf("request carries user data: %s", q.URL)
		}
	}
}

func TestWebhookSignedStoresBadSignatureRefused(t *testing.T) {
	r, _, eng, _ := pullRig(t, fake.Script{Never: true})
	u := r.user("hook@example.com", 1000)
	res, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(WebhookPattern, eng.ServeWebhook)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := []byte(fmt.Sprintf(`{"activationId":%s,"service":"tg","text":"Your Telegram code 55123","code":"","country":16,"receivedAt":"2026-11-25 12:00:05"}`, res.ProviderRef))
	post := func(name, sig string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/provider/"+name, bytes.NewReader(body))
		req.Header.Set(provider.WebhookSignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("smsactivate", provider.SignWebhook([]byte("wrong"), body)); code != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d", code)
	}
	if code := post("smsactivate", ""); code != http.StatusUnauthorized {
		t.Fatalf("no signature: %d", code)
	}
	if code := post("nonesuch", provider.SignWebhook([]byte("s3cret"), body)); code != http.StatusNotFound {
		t.Fatalf("unknown provider: %d", code)
	}
	if msgs := r.messages(u, res.ID); len(msgs) != 0 {
		t.Fatalf("stored from a refused push: %+v", msgs)
	}
	for range 2 { // a retried push is stored once
		if code := post("smsactivate", provider.SignWebhook([]byte("s3cret"), body)); code != http.StatusOK {
			t.Fatalf("signed push: %d", code)
		}
	}
	msgs := r.messages(u, res.ID)
	if len(msgs) != 1 || msgs[0].Code != "55123" || r.res(res.ID).State != store.ResReceived {
		t.Fatalf("messages %+v", msgs)
	}
}

// A code an upstream hands over is untrusted text shown large: polled or
// pushed, only its ASCII letters, digits and dashes are kept; the SMS
// text is stored whole.
func TestUpstreamCodeKeptClean(t *testing.T) {
	const weird = "Ä12\u0085 345-x\x1b[31m"
	r, _, eng, _ := pullRig(t, fake.Script{CodeAfterPolls: 0, Code: weird, Text: "code {code}"})
	u := r.user("weird@example.com", 1000)
	polled, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; r.res(polled.ID).State == store.ResActive; i++ {
		if i > 200 {
			t.Fatal("the code never came")
		}
		r.clock.Advance(time.Second)
		time.Sleep(2 * time.Millisecond)
	}
	if msgs := r.messages(u, polled.ID); len(msgs) != 1 || msgs[0].Code != "12345-x31m" || msgs[0].Body != "code "+weird {
		t.Fatalf("polled: %+v", msgs)
	}

	pushed, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(WebhookPattern, eng.ServeWebhook)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, code := range []string{"\u009b2J\u00a0G-7731", "ＡＢＣ"} {
		body := []byte(fmt.Sprintf(`{"activationId":%s,"text":"Your code is 55123","code":%q,"receivedAt":""}`,
			pushed.ProviderRef, code))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/provider/smsactivate", bytes.NewReader(body))
		req.Header.Set(provider.WebhookSignatureHeader, provider.SignWebhook([]byte("s3cret"), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("push: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	msgs := r.messages(u, pushed.ID)
	if len(msgs) != 2 || msgs[0].Code != "2JG-7731" || msgs[1].Code != "55123" { // ＡＢＣ: nothing usable, the text's
		t.Fatalf("pushed: %+v", msgs)
	}
}

// A run of random reservations, cancels, finishes, SMS and expiries: the
// ledger holds and every refund matches an ended-without-SMS reservation.
func TestLedgerHoldsAfterRandomRun(t *testing.T) {
	r := newRig(t, sim.Options{Seed: 7, SMSDelay: 2 * time.Minute, Jitter: 2 * time.Minute, NeverShare: 0.3},
		Config{Lifetime: 6 * time.Minute, CancelGuard: time.Minute, MaxOpen: 1000})
	rng := rand.New(rand.NewPCG(1, 2))
	users := make([]store.User, 10)
	for i := range users {
		users[i] = r.user(fmt.Sprintf("u%d@example.com", i), 100_000)
	}
	var ids []int64
	owner := map[int64]store.User{}
	price := r.price("telegram", "gb")
	for len(ids) < 1000 {
		u := users[rng.IntN(len(users))]
		res, err := r.eng.Reserve(ctx, u.ID, "telegram", "gb", price)
		if errors.Is(err, ErrPriceChanged) { // the sim's prices drift
			price = r.price("telegram", "gb")
			res, err = r.eng.Reserve(ctx, u.ID, "telegram", "gb", price)
		}
		if err != nil {
			t.Fatal(err)
		}
		ids, owner[res.ID] = append(ids, res.ID), u
		switch rng.IntN(4) {
		case 0:
			id := ids[rng.IntN(len(ids))]
			r.eng.Cancel(ctx, owner[id].ID, id)
		case 1:
			id := ids[rng.IntN(len(ids))]
			r.eng.Finish(ctx, owner[id].ID, id)
		}
		r.clock.Advance(time.Duration(rng.IntN(3000)) * time.Millisecond)
	}
	r.clock.Advance(10 * time.Minute)
	eventually(t, "every reservation ended", func() bool {
		open, _ := r.st.AllOpenReservations(ctx)
		return len(open) == 0
	})
	paid := map[int64]int64{}
	for _, id := range ids {
		res := r.res(id)
		refund := res.State == store.ResCancelled || res.State == store.ResExpired || res.State == store.ResFailed
		if res.Refunded != refund {
			t.Fatalf("reservation %+v: refunded=%v", res, res.Refunded)
		}
		if !refund {
			paid[res.UserID] += res.PriceCents
		}
	}
	for _, u := range users {
		if b := r.balance(u); b != 100_000-paid[u.ID] {
			t.Fatalf("user %d balance %d, want %d", u.ID, b, 100_000-paid[u.ID])
		}
	}
	r.checkLedger()
}

// BenchmarkReserve measures the whole reserve path: checks, the buy from
// sim, and the reservation with its debit on a real SQLite file.
func BenchmarkReserve(b *testing.B) {
	r := newRig(b, sim.Options{NeverShare: 1}, Config{MaxOpen: 1 << 30, Lifetime: time.Hour})
	u := r.user("bench@example.com", 1<<40)
	price := r.price("telegram", "gb")
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.eng.Reserve(ctx, u.ID, "telegram", "gb", price); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reservations/s")
}
