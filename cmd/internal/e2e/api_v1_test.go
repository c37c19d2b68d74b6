package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/cmd/internal/v1api"
	"github.com/wantsms/wantsms/cmd/internal/v1api/openapicheck"
	"github.com/wantsms/wantsms/store"
)

// apiClient speaks the JSON API as a program would: a key in the
// Authorization header, JSON bodies. Every answer it receives is checked
// against the OpenAPI document (strictly: no undocumented field), so the
// document and the server cannot drift apart unnoticed.
type apiClient struct {
	t   *testing.T
	env *testenv.Env
	key string
	doc *openapicheck.Doc
}

var (
	apiDocOnce sync.Once
	apiDoc     *openapicheck.Doc
	apiDocErr  error
)

func newAPIClient(t *testing.T, env *testenv.Env, key string) *apiClient {
	t.Helper()
	apiDocOnce.Do(func() {
		raw, err := v1api.Document()
		if err != nil {
			apiDocErr = err
			return
		}
		apiDoc, apiDocErr = openapicheck.Parse(raw)
		if apiDoc != nil {
			apiDoc.Strict = true
		}
	})
	if apiDocErr != nil {
		t.Fatal(apiDocErr)
	}
	return &apiClient{t: t, env: env, key: key, doc: apiDoc}
}

// apiAnswer is one answer: status, headers, body.
type apiAnswer struct {
	status int
	header http.Header
	body   []byte
}

// errorCode is the code of an error answer ("" for none).
func (a apiAnswer) errorCode() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(a.body, &e)
	return e.Error.Code
}

func (a apiAnswer) errorMessage() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal(a.body, &e)
	return e.Error.Message
}

// do sends a request with the client's key; body, when not nil, goes as
// JSON. Extra headers come in pairs.
func (c *apiClient) do(method, path string, body any, headers ...string) apiAnswer {
	c.t.Helper()
	return c.doContext(context.Background(), method, path, body, headers...)
}

func (c *apiClient) doContext(ctx context.Context, method, path string, body any, headers ...string) apiAnswer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.env.URL(path), rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return apiAnswer{}
		}
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	a := apiAnswer{status: resp.StatusCode, header: resp.Header, body: raw}
	if tmpl := c.template(method, path); tmpl != "" {
		if err := c.doc.CheckResponse(method, tmpl, a.status, a.body); err != nil {
			c.t.Errorf("answer not as documented: %v\n%s", err, raw)
		}
	} else if err := c.doc.ValidateJSON(c.doc.Schema("Error"), a.body); a.status < 400 || err != nil {
		c.t.Errorf("%s %s matches no documented operation, and answered %d %s (%v)", method, path, a.status, raw, err)
	}
	return a
}

// template is the documented path a concrete path matches.
func (c *apiClient) template(method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	for _, op := range c.doc.Operations() {
		ts := strings.Split(op.Path, "/")
		if op.Method != method || len(ts) != len(segs) {
			continue
		}
		match := true
		for i := range ts {
			if ts[i] != segs[i] && !strings.HasPrefix(ts[i], "{") {
				match = false
			}
		}
		if match {
			return op.Path
		}
	}
	return ""
}

// ok sends a request that must answer want, and decodes its body into v
// (when not nil).
func (c *apiClient) ok(method, path string, body any, want int, v any) apiAnswer {
	c.t.Helper()
	a := c.do(method, path, body)
	if a.status != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, a.status, a.body, want)
	}
	if v != nil {
		if err := json.Unmarshal(a.body, v); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return a
}

// refused sends a request that must answer status with the error code,
// and returns the answer.
func (c *apiClient) refused(method, path string, body any, status int, code string) apiAnswer {
	c.t.Helper()
	a := c.do(method, path, body)
	if a.status != status || a.errorCode() != code || a.errorMessage() == "" {
		c.t.Fatalf("%s %s: %d %s, want %d %s", method, path, a.status, a.body, status, code)
	}
	return a
}

type apiBalance struct {
	BalanceCents int64  `json:"balance_cents"`
	DebtCents    int64  `json:"debt_cents"`
	Currency     string `json:"currency"`
}

func (c *apiClient) balance() int64 {
	c.t.Helper()
	var b apiBalance
	c.ok("GET", "/v1/balance", nil, 200, &b)
	return b.BalanceCents
}

func resPath(id int64, action string) string {
	p := fmt.Sprintf("/v1/reservations/%d", id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// The whole life of a number through the JSON API, as an integration
// would run it: the price, a reservation at most at that price, a long
// poll that answers when the SMS comes, the code, finish, the history.
// The answers are the SSH commands' JSON, field for field.
func TestAPIFullReservation(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Second, false, 20*time.Minute))
	u, sshKey := env.NewUser("integrator@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))

	if b := c.balance(); b != 500 {
		t.Fatalf("balance %d, want 500", b)
	}
	var prices struct{ Prices []priceRow }
	c.ok("GET", "/v1/prices?service=telegram&country=gb", nil, 200, &prices)
	var sshPrices struct{ Prices []priceRow }
	okJSON(t, env, sshKey, "prices --service telegram --country gb --json", &sshPrices)
	if len(prices.Prices) != 1 || fmt.Sprint(prices) != fmt.Sprint(sshPrices) {
		t.Fatalf("prices: API %+v, command %+v", prices, sshPrices)
	}
	price := prices.Prices[0].PriceCents

	var r resJSON
	a := c.ok("POST", "/v1/reservations", map[string]any{"service": "telegram", "country": "gb",
		"max_price_cents": price}, 201, &r)
	if r.State != "active" || r.PriceCents != price || r.Code != nil || a.header.Get("Location") != resPath(r.ID, "") {
		t.Fatalf("reserved: %+v, Location %q", r, a.header.Get("Location"))
	}
	if b := c.balance(); b != 500-price {
		t.Fatalf("balance %d after paying %d", b, price)
	}

	// Long poll with the ETag just received: it answers when the SMS
	// comes (the sim sends it about a second after the purchase).
	etag := a.header.Get("ETag")
	var got resJSON
	for got.Code == nil {
		a = c.do("GET", resPath(r.ID, "")+"?wait=60s", nil, "If-None-Match", etag)
		if a.status == 304 {
			continue
		}
		if a.status != 200 || json.Unmarshal(a.body, &got) != nil {
			t.Fatalf("long poll: %d %s", a.status, a.body)
		}
		etag = a.header.Get("ETag")
	}
	if got.State != "received" || len(got.Messages) != 1 || !strings.Contains(got.Messages[0].Text, *got.Code) {
		t.Fatalf("after the SMS: %+v", got)
	}
	viaSSH := ok(t, env, sshKey, fmt.Sprintf("status %d --json", r.ID))
	if !sameJSON(t, a.body, []byte(viaSSH)) {
		t.Fatalf("the API and the status command differ:\nAPI %s\nSSH %s", a.body, viaSSH)
	}
	// Nothing changed since: the same ETag gets 304 at once without a wait.
	if a := c.do("GET", resPath(r.ID, ""), nil, "If-None-Match", etag); a.status != 304 || len(a.body) != 0 {
		t.Fatalf("unchanged: %d %s", a.status, a.body)
	}
	var open struct{ Reservations []resJSON }
	c.ok("GET", "/v1/reservations", nil, 200, &open)
	if len(open.Reservations) != 1 || open.Reservations[0].ID != r.ID {
		t.Fatalf("open: %+v", open)
	}

	var finished resJSON
	c.ok("POST", resPath(r.ID, "finish"), nil, 200, &finished)
	if finished.State != "finished" || finished.EndedAt == nil || finished.Refunded {
		t.Fatalf("finish: %+v", finished)
	}
	var hist struct {
		Reservations []resJSON
		More         bool
	}
	c.ok("GET", "/v1/history?limit=5", nil, 200, &hist)
	if len(hist.Reservations) != 1 || hist.Reservations[0].ID != r.ID || hist.More {
		t.Fatalf("history: %+v", hist)
	}
	c.ok("GET", "/v1/reservations", nil, 200, &open)
	if len(open.Reservations) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	// An ended number answers a long poll at once: nothing more will change.
	if a := c.do("GET", resPath(r.ID, "")+"?wait=2m", nil); a.status != 200 {
		t.Fatalf("long poll on an ended number: %d %s", a.status, a.body)
	}
	if b := c.balance(); b != 500-price {
		t.Fatalf("balance %d at the end", b)
	}
	// The history keeps what the dashboard's keeps: a year, narrowed by since.
	c.ok("GET", "/v1/history?since="+time.Now().UTC().Add(24*time.Hour).Format(time.DateOnly), nil, 200, &hist)
	if len(hist.Reservations) != 0 {
		t.Fatalf("history since tomorrow: %+v", hist)
	}
	env.ExecSQL(t, `UPDATE reservations SET ended_at = unixepoch() - 366*86400 WHERE id = ?`, r.ID)
	c.ok("GET", "/v1/history", nil, 200, &hist)
	if len(hist.Reservations) != 0 {
		t.Fatalf("history shows a number ended over a year ago: %+v", hist)
	}
}

// A cancel refunds in full and the balance shows it; the engine's rules
// refuse in the dashboard's words, each under its own code.
func TestAPICancelRefundsAndRules(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	u, sshKey := env.NewUser("canceller@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))

	var r resJSON
	c.ok("POST", "/v1/reservations", map[string]any{"service": "whatsapp"}, 201, &r)
	if c.balance() != 500-r.PriceCents {
		t.Fatal("not debited")
	}
	c.refused("POST", resPath(r.ID, "finish"), nil, 409, "no_sms_yet")
	c.refused("POST", resPath(r.ID, "again"), nil, 409, "first_sms_not_yet")
	var cancelled resJSON
	c.ok("POST", resPath(r.ID, "cancel"), nil, 200, &cancelled)
	if cancelled.State != "cancelled" || !cancelled.Refunded || cancelled.EndedAt == nil {
		t.Fatalf("cancel: %+v", cancelled)
	}
	if b := c.balance(); b != 500 {
		t.Fatalf("balance %d after the refund, want 500", b)
	}
	a := c.refused("POST", resPath(r.ID, "cancel"), nil, 409, "reservation_ended")
	_, stderr, _ := env.Run(t, sshKey, fmt.Sprintf("cancel %d", r.ID))
	if stderr != "wantsms: "+a.errorMessage()+"\n" {
		t.Fatalf("API %q, command %q", a.errorMessage(), stderr)
	}

	// Refusals before any purchase.
	c.refused("POST", "/v1/reservations", map[string]any{"service": "nosuchservice"}, 400, "unknown_service")
	c.refused("POST", "/v1/reservations", map[string]any{"service": "telegram", "country": "zz"}, 400,
		"unknown_country")
	c.refused("POST", "/v1/reservations", map[string]any{"service": "telegram", "max_price": 10}, 400, "bad_request")
	c.refused("POST", "/v1/reservations", map[string]any{"service": "telegram", "max_price_cents": 1}, 409,
		"price_above_max")
	c.refused("POST", "/v1/reservations", map[string]any{"service": "telegram", "operator": "vodafone"}, 400,
		"bad_request")
	c.refused("GET", "/v1/history?limit=0", nil, 400, "bad_request")
	c.refused("GET", "/v1/prices?contry=gb", nil, 400, "bad_request")
	poor, _ := env.NewUser("poor@example.com")
	env.Credit(poor.ID, 1, "p1")
	cp := newAPIClient(t, env, env.NewAPIKey(t, poor.ID, "bot"))
	a = cp.refused("POST", "/v1/reservations", map[string]any{"service": "telegram"}, 402, "insufficient_funds")
	if !strings.HasPrefix(a.errorMessage(), "not enough credits: this number costs ") {
		t.Fatalf("insufficient funds: %q", a.errorMessage())
	}
	if len(env.Reservations(u.ID))+len(env.Reservations(poor.ID)) != 0 || c.balance() != 500 || cp.balance() != 1 {
		t.Fatal("a refused reservation left something behind")
	}
}

// The early-cancel guard refuses with its code, Retry-After and the
// engine's words, the same the command prints.
func TestAPICancelGuard(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute), func(c *service.Config) {
		c.Numbers.CancelGuard = 2 * time.Minute
	})
	u, sshKey := env.NewUser("hasty@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))
	var r resJSON
	c.ok("POST", "/v1/reservations", map[string]any{"service": "telegram", "country": "gb"}, 201, &r)
	a := c.refused("POST", resPath(r.ID, "cancel"), nil, 409, "cancel_too_early")
	var body struct {
		Error struct {
			RetryAfterSeconds int `json:"retry_after_seconds"`
		}
	}
	_ = json.Unmarshal(a.body, &body)
	if ra := a.header.Get("Retry-After"); ra == "" || ra != fmt.Sprint(body.Error.RetryAfterSeconds) ||
		body.Error.RetryAfterSeconds < 1 || body.Error.RetryAfterSeconds > 120 {
		t.Fatalf("Retry-After %q, body %s", ra, a.body)
	}
	if !strings.HasPrefix(a.errorMessage(), "a number can be cancelled 2 min after it was reserved: try again in ") {
		t.Fatalf("message %q", a.errorMessage())
	}
	_, stderr, status := env.Run(t, sshKey, fmt.Sprintf("cancel %d", r.ID))
	if status != 2 || !strings.HasPrefix(stderr, "wantsms: a number can be cancelled 2 min after it was reserved") {
		t.Fatalf("command: %d %q", status, stderr)
	}
	if c.balance() != 500-r.PriceCents || len(env.Reservations(u.ID)) != 1 {
		t.Fatal("the guard let something through")
	}
}

// A suspended account reads its balance and numbers, and is refused
// reserving and topping up, in the dashboard's words.
func TestAPISuspendedAccount(t *testing.T) {
	env := testenv.StartWithPayments(t, frozenSim)
	u, _ := env.NewUser("mallory@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env.Env, env.NewAPIKey(t, u.ID, "bot"))
	env.Ban(t, u.ID, "chargeback")
	if c.balance() != 500 {
		t.Fatal("balance")
	}
	want := "your account is suspended (chargeback): contact support"
	for _, req := range []struct {
		path string
		body any
	}{
		{"/v1/reservations", map[string]any{"service": "telegram"}},
		{"/v1/topups", map[string]any{"method": "card", "amount_cents": 1000}},
		{"/v1/topups", map[string]any{"method": "btc", "amount_cents": 1000}},
	} {
		if a := c.refused("POST", req.path, req.body, 403, "account_suspended"); a.errorMessage() != want {
			t.Fatalf("%s: %q", req.path, a.errorMessage())
		}
	}
	c.ok("GET", "/v1/history", nil, 200, nil)
	if len(env.Reservations(u.ID)) != 0 || env.Balance(u.ID) != 500 {
		t.Fatal("a suspended account reserved")
	}
}

// Another account's reservation and order answer 404, exactly as ids
// that never existed; without a key, or with a wrong or revoked one,
// nothing is answered but 401.
func TestAPIScopedToTheAccount(t *testing.T) {
	env := testenv.StartWithPayments(t, testenv.SimNumbers(0, true, 20*time.Minute))
	alice, _ := env.NewUser("alice@example.com")
	bob, _ := env.NewUser("bob@example.com")
	env.Credit(alice.ID, 500, "a1")
	env.Credit(bob.ID, 500, "b1")
	ca := newAPIClient(t, env.Env, env.NewAPIKey(t, alice.ID, "alice"))
	cb := newAPIClient(t, env.Env, env.NewAPIKey(t, bob.ID, "bob"))
	var r resJSON
	ca.ok("POST", "/v1/reservations", map[string]any{"service": "telegram"}, 201, &r)
	var order struct{ Order string }
	ca.ok("POST", "/v1/topups", map[string]any{"method": "card", "amount_cents": 1000}, 201, &order)

	never := cb.refused("GET", resPath(1<<40, ""), nil, 404, "reservation_not_found")
	for _, p := range []string{resPath(r.ID, ""), resPath(r.ID, "") + "?wait=5s"} {
		if a := cb.refused("GET", p, nil, 404, "reservation_not_found"); string(a.body) != string(never.body) {
			t.Fatalf("another account's number answers %s, one that never was %s", a.body, never.body)
		}
	}
	for _, act := range []string{"cancel", "finish", "again"} {
		if a := cb.refused("POST", resPath(r.ID, act), nil, 404, "reservation_not_found"); string(a.body) != string(never.body) {
			t.Fatalf("%s: %s", act, a.body)
		}
	}
	cb.refused("GET", "/v1/orders/"+order.Order, nil, 404, "order_not_found")
	var bobs struct{ Reservations []resJSON }
	cb.ok("GET", "/v1/reservations", nil, 200, &bobs)
	if len(bobs.Reservations) != 0 {
		t.Fatalf("bob sees %+v", bobs)
	}
	if rs := env.Reservations(alice.ID); len(rs) != 1 || rs[0].State != "active" || env.Balance(bob.ID) != 500 {
		t.Fatal("bob's requests changed alice's number or bob's balance")
	}

	anon := newAPIClient(t, env.Env, "")
	anon.refused("GET", "/v1/balance", nil, 401, "unauthorized")
	if a := anon.do("GET", "/v1/balance", nil); a.header.Get("WWW-Authenticate") == "" {
		t.Fatal("401 without WWW-Authenticate")
	}
	wrong := newAPIClient(t, env.Env, strings.Repeat("x", 32))
	wrong.refused("GET", "/v1/balance", nil, 401, "unauthorized")
	anon.refused("GET", "/v1/balance?api_key="+ca.key, nil, 401, "unauthorized")
	// X-ApiKey is taken as well as the bearer header.
	anon.key = ""
	if a := anon.do("GET", "/v1/balance", nil, "X-ApiKey", ca.key); a.status != 200 {
		t.Fatalf("X-ApiKey: %d %s", a.status, a.body)
	}
	if _, err := env.Store().RevokeAPIKey(t.Context(), alice.ID, "alice", store.Origin{RemoteAddr: "test"}); err != nil {
		t.Fatal(err)
	}
	ca.refused("GET", "/v1/balance", nil, 401, "unauthorized")
}

// The long poll answers at the reservation's change, through the live
// events (no polling); a client that leaves ends it, and the handler with
// its subscription is gone; a revoked key ends it at once; a wait without
// change answers 304 to a client that sent its ETag.
func TestAPILongPoll(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	u, _ := env.NewUser("poller@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))
	hub := env.Store().Hub()
	var r resJSON
	created := c.ok("POST", "/v1/reservations", map[string]any{"service": "telegram"}, 201, &r)

	// The change: a cancel from elsewhere answers the waiting poll.
	done := make(chan apiAnswer, 1)
	go func() { done <- c.do("GET", resPath(r.ID, "")+"?wait=2m", nil) }()
	waitSubscribers(t, hub, u.ID, 1)
	c.ok("POST", resPath(r.ID, "cancel"), nil, 200, nil)
	a := <-done
	var got resJSON
	if a.status != 200 || json.Unmarshal(a.body, &got) != nil || got.State != "cancelled" || !got.Refunded {
		t.Fatalf("long poll after the cancel: %d %s", a.status, a.body)
	}
	waitSubscribers(t, hub, u.ID, 0)

	// The client leaves: the handler ends and unsubscribes.
	c.ok("POST", "/v1/reservations", map[string]any{"service": "telegram"}, 201, &r)
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan struct{})
	go func() {
		defer close(left)
		c.doContext(ctx, "GET", resPath(r.ID, "")+"?wait=2m", nil)
	}()
	waitSubscribers(t, hub, u.ID, 1)
	cancel()
	<-left
	waitSubscribers(t, hub, u.ID, 0)

	// A wait that ends without a change: 304 with the ETag sent.
	a = c.do("GET", resPath(r.ID, ""), nil)
	if a = c.do("GET", resPath(r.ID, "")+"?wait=1", nil, "If-None-Match", a.header.Get("ETag")); a.status != 304 {
		t.Fatalf("no change: %d %s", a.status, a.body)
	}
	// An ETag of another version answers at once.
	if a = c.do("GET", resPath(r.ID, "")+"?wait=2m", nil, "If-None-Match", created.header.Get("ETag")); a.status != 200 {
		t.Fatalf("stale ETag: %d %s", a.status, a.body)
	}

	// A revoked key ends the poll at once.
	go func() { done <- c.do("GET", resPath(r.ID, "")+"?wait=2m", nil) }()
	waitSubscribers(t, hub, u.ID, 1)
	if _, err := env.Store().RevokeAPIKey(t.Context(), u.ID, "bot", store.Origin{RemoteAddr: "test"}); err != nil {
		t.Fatal(err)
	}
	if a := <-done; a.status != 401 || a.errorCode() != "unauthorized" {
		t.Fatalf("after the revoke: %d %s", a.status, a.body)
	}
	waitSubscribers(t, hub, u.ID, 0)

	// A shutdown answers the waiting poll at once, as the number stands,
	// rather than wait for it (Stop fails the test if the shutdown times
	// out).
	c.key = env.NewAPIKey(t, u.ID, "bot2")
	go func() { done <- c.do("GET", resPath(r.ID, "")+"?wait=2m", nil) }()
	waitSubscribers(t, hub, u.ID, 1)
	env.Stop()
	if a := <-done; a.status != 200 {
		t.Fatalf("at shutdown: %d %s", a.status, a.body)
	}
}

// waitSubscribers waits until the account has n live subscriptions (a
// long poll holds one while it waits).
func waitSubscribers(t *testing.T, hub interface{ Subscribers(int64) int }, userID int64, n int) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for hub.Subscribers(userID) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions, want %d", hub.Subscribers(userID), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Top-ups open as the Wallet opens them: a card link on our host and
// Stripe's page (stripe-mock), a Bitcoin address and amount (the fake
// Blockonomics); the orders answer where each stands.
func TestAPITopUps(t *testing.T) {
	env := testenv.StartWithPayments(t)
	u, sshKey := env.NewUser("payer@example.com")
	c := newAPIClient(t, env.Env, env.NewAPIKey(t, u.ID, "bot"))

	type order struct {
		Order  string
		Method string
		Status string
		Open   bool
		Card   *struct {
			PayLink     string `json:"pay_link"`
			CheckoutURL string `json:"checkout_url"`
		}
		BTC *struct {
			Address    string `json:"address"`
			AmountBTC  string `json:"amount_btc"`
			AmountSats int64  `json:"amount_sats"`
			PaymentURI string `json:"payment_uri"`
		}
	}
	var card order
	a := c.ok("POST", "/v1/topups", map[string]any{"method": "card", "amount_cents": 1000}, 201, &card)
	stored := env.LastOrder(t, u.ID)
	if card.Order != stored.Number || card.Method != "card" || card.Status != "created" || !card.Open ||
		card.Card == nil || card.BTC != nil || card.Card.PayLink != env.URL("/pay/"+stored.Number) ||
		card.Card.CheckoutURL != stored.CheckoutURL || card.Card.CheckoutURL == "" ||
		a.header.Get("Location") != "/v1/orders/"+stored.Number {
		t.Fatalf("card top-up: %+v, stored %+v", card, stored)
	}
	if again := c.ok("GET", "/v1/orders/"+card.Order, nil, 200, nil); !sameJSON(t, again.body, a.body) {
		t.Fatalf("the order reads %s, opened %s", again.body, a.body)
	}

	var btc order
	c.ok("POST", "/v1/topups", map[string]any{"method": "btc", "amount_cents": 2000}, 201, &btc)
	stored = env.LastOrder(t, u.ID)
	if btc.Method != "btc" || btc.BTC == nil || btc.Card != nil || btc.BTC.Address != stored.BTCAddress ||
		btc.BTC.AmountSats != stored.BTCExpectedSats || !strings.HasPrefix(btc.BTC.PaymentURI, "bitcoin:"+stored.BTCAddress) {
		t.Fatalf("btc top-up: %+v, stored %+v", btc, stored)
	}
	c.refused("POST", "/v1/topups", map[string]any{"method": "btc", "amount_cents": 2000}, 409, "bitcoin_topup_open")
	a = c.refused("POST", "/v1/topups", map[string]any{"method": "card", "amount_cents": 1}, 422, "bad_amount")
	_, stderr, _ := env.Run(t, sshKey, "topup card 0.01")
	if stderr != "wantsms: "+a.errorMessage()+"\n" {
		t.Fatalf("API %q, command %q", a.errorMessage(), stderr)
	}
	c.refused("POST", "/v1/topups", map[string]any{"method": "paypal", "amount_cents": 1000}, 400, "bad_request")

	// Paid: the order says so, the balance shows it.
	o, err := env.Store().OrderByNumber(t.Context(), card.Order)
	if err != nil {
		t.Fatal(err)
	}
	if code := env.StripeEvent(t, "evt_api_1", "checkout.session.completed", o, true); code != 200 {
		t.Fatalf("webhook: %d", code)
	}
	var orders struct{ Orders []order }
	c.ok("GET", "/v1/orders", nil, 200, &orders)
	if len(orders.Orders) != 2 || orders.Orders[1].Order != card.Order || orders.Orders[1].Status != "paid" ||
		orders.Orders[1].Open || orders.Orders[1].Card != nil || c.balance() != 1000 {
		t.Fatalf("after paying: %+v, balance %d", orders, c.balance())
	}
}

// Over its rate limit a key is answered 429 with Retry-After and the
// JSON error; /metrics counts the API's answers by outcome.
func TestAPIRateLimitAndMetrics(t *testing.T) {
	env := testenv.Start(t, frozenSim, func(c *service.Config) {
		c.API = apiauth.Config{PerKey: 0.001, KeyBurst: 2}
	})
	u, _ := env.NewUser("eager@example.com")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))
	c.balance()
	c.balance()
	a := c.refused("GET", "/v1/balance", nil, 429, "rate_limited")
	if ra := a.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	c.refused("GET", "/v1/nothing", nil, 404, "not_found")

	fams := scrape(t, env)
	for outcome, want := range map[string]int64{"ok": 2, "rate_limited": 1, "not_found": 1} {
		if got := value(t, fams, "wantsms_api_requests_total", "endpoint", "v1", "outcome", outcome); got != want {
			t.Errorf("wantsms_api_requests_total{endpoint=v1,outcome=%s} = %d, want %d", outcome, got, want)
		}
	}
	if got := value(t, fams, "wantsms_api_rate_limited_total", "scope", "key"); got != 1 {
		t.Errorf("wantsms_api_rate_limited_total{scope=key} = %d, want 1", got)
	}
}

// sameJSON reports whether two JSON documents hold the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}
