package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider/sim"
	fake "github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// reserveBody is the purchase the idempotency tests send.
var reserveBody = map[string]any{"service": "telegram", "country": "gb"}

// debits counts an account's reservation debits in the ledger.
func debits(t *testing.T, env *testenv.Env, userID int64) int {
	t.Helper()
	return ledgerRows(t, env, userID, store.LedgerReserve)
}

// ledgerRows counts an account's ledger rows of a kind.
func ledgerRows(t *testing.T, env *testenv.Env, userID int64, kind store.LedgerKind) int {
	t.Helper()
	rows, err := env.Store().Ledger(context.Background(), userID, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// reserveWithKey reserves with an Idempotency-Key; it must answer want.
func reserveWithKey(t *testing.T, c *apiClient, key string, body any, want int) (apiAnswer, resJSON) {
	t.Helper()
	a := c.do("POST", "/v1/reservations", body, "Idempotency-Key", key)
	var r resJSON
	if a.status != want || (want == 201 && json.Unmarshal(a.body, &r) != nil) {
		t.Fatalf("reserve with key %q: %d %s, want %d", key, a.status, a.body, want)
	}
	return a, r
}

// A purchase sent again with its Idempotency-Key after the first answer
// (a client whose first try timed out) is not made again: the same
// reservation comes back, byte for byte, marked as replayed, with one
// debit. The key with another body or route is refused; a malformed key
// too; a refusal spends no key; without a key every request buys.
func TestAPIIdempotentRetryBuysOnce(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	u, _ := env.NewUser("retrier@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))

	first, r := reserveWithKey(t, c, "order-7f3a", reserveBody, 201)
	if first.header.Get(replayed) != "" {
		t.Fatalf("the first answer says %s", replayed)
	}
	// Sent again, its JSON written in another order: the same request.
	again, r2 := reserveWithKey(t, c, "order-7f3a", json.RawMessage(`{"service":"telegram","country":"gb"}`), 201)
	if r2.ID != r.ID || !bytes.Equal(again.body, first.body) || again.header.Get(replayed) != "true" ||
		again.header.Get("Location") != resPath(r.ID, "") || again.header.Get("ETag") != first.header.Get("ETag") {
		t.Fatalf("retry: %s %v\nfirst: %s", again.body, again.header, first.body)
	}
	if d, b, open := debits(t, env, u.ID), c.balance(), len(env.Reservations(u.ID)); d != 1 || b != 500-r.PriceCents ||
		open != 1 {
		t.Fatalf("after the retry: %d debits, balance %d, %d open; want one purchase", d, b, open)
	}

	a := c.do("POST", "/v1/reservations", map[string]any{"service": "whatsapp"}, "Idempotency-Key", "order-7f3a")
	if a.status != 422 || a.errorCode() != "idempotency_key_reused" {
		t.Fatalf("the key with another body: %d %s", a.status, a.body)
	}
	a = c.do("POST", "/v1/topups", map[string]any{"method": "card", "amount_cents": 1000}, "Idempotency-Key",
		"order-7f3a")
	if a.status != 422 || a.errorCode() != "idempotency_key_reused" {
		t.Fatalf("the key on another route: %d %s", a.status, a.body)
	}
	for _, bad := range []string{"", strings.Repeat("k", 256), "clé", "a\tb"} {
		a := c.do("POST", "/v1/reservations", reserveBody, "Idempotency-Key", bad)
		if a.status != 400 || a.errorCode() != "idempotency_key_invalid" {
			t.Errorf("key %q: %d %s", bad, a.status, a.body)
		}
	}
	reserveWithKey(t, c, strings.Repeat("k", 255), reserveBody, 201)

	// A refusal bought nothing: the key stays free for the same request.
	poor, _ := env.NewUser("poor@example.com")
	env.Credit(poor.ID, 1, "p1")
	cp := newAPIClient(t, env, env.NewAPIKey(t, poor.ID, "bot"))
	if a, _ := reserveWithKey(t, cp, "poor-1", reserveBody, 402); a.errorCode() != "insufficient_funds" {
		t.Fatalf("poor: %s", a.body)
	}
	env.Credit(poor.ID, 500, "p2")
	if a, _ := reserveWithKey(t, cp, "poor-1", reserveBody, 201); a.header.Get(replayed) != "" {
		t.Fatal("the refusal was kept as the key's answer")
	}

	// Without a key, each request is a purchase of its own.
	c.ok("POST", "/v1/reservations", reserveBody, 201, nil)
	c.ok("POST", "/v1/reservations", reserveBody, 201, nil)
	if d := debits(t, env, u.ID); d != 4 {
		t.Fatalf("%d debits, want 4: one per key and one per request without", d)
	}
}

const replayed = "Idempotent-Replayed"

// A key is the account's own: another account sending the same key and
// body makes its own purchase, and each replays its own.
func TestAPIIdempotencyKeysAreTheAccounts(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	alice, _ := env.NewUser("alice@example.com")
	bob, _ := env.NewUser("bob@example.com")
	env.Credit(alice.ID, 500, "a1")
	env.Credit(bob.ID, 500, "b1")
	ca := newAPIClient(t, env, env.NewAPIKey(t, alice.ID, "bot"))
	cb := newAPIClient(t, env, env.NewAPIKey(t, bob.ID, "bot"))

	_, ra := reserveWithKey(t, ca, "shared-key", reserveBody, 201)
	b, rb := reserveWithKey(t, cb, "shared-key", reserveBody, 201)
	if rb.ID == ra.ID || b.header.Get(replayed) != "" {
		t.Fatalf("bob got alice's answer: %s", b.body)
	}
	if _, again := reserveWithKey(t, cb, "shared-key", reserveBody, 201); again.ID != rb.ID {
		t.Fatalf("bob's replay: %d, want his %d", again.ID, rb.ID)
	}
	if _, again := reserveWithKey(t, ca, "shared-key", reserveBody, 201); again.ID != ra.ID {
		t.Fatalf("alice's replay: %d, want her %d", again.ID, ra.ID)
	}
	if debits(t, env, alice.ID) != 1 || debits(t, env, bob.ID) != 1 {
		t.Fatal("want one purchase per account")
	}
}

// buyGate stands before an SMS-Activate upstream and holds each purchase
// (getNumber) until opened, telling when one arrives.
type buyGate struct {
	URL     string
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBuyGate(t *testing.T, upstream string) *buyGate {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	g := &buyGate{arrived: make(chan struct{}, 8), release: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.URL.Query().Get("action"); a == "getNumber" || a == "getNumberV2" {
			g.arrived <- struct{}{}
			<-g.release
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(g.open) // before the server closes: a held purchase ends
	g.URL = srv.URL
	return g
}

func (g *buyGate) open() { g.once.Do(func() { close(g.release) }) }

// waitArrival waits for a purchase to reach the gate.
func (g *buyGate) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(testenv.Wait):
		t.Fatal("no purchase reached the upstream")
	}
}

// Two identical requests with one key at the same time buy one number:
// while the first is buying upstream, the second answers 409
// idempotency_in_progress at once (it never reaches the upstream); once
// the first is answered, the same request gets its answer.
func TestAPIIdempotentConcurrentRequestsBuyOnce(t *testing.T) {
	up := fake.New(fake.Options{})
	t.Cleanup(up.Close)
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(fake.Script{Never: true})
	gate := newBuyGate(t, up.URL)
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = gate.URL, up.APIKey()
	})
	u, _ := env.NewUser("twice@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))

	first := make(chan apiAnswer, 1)
	go func() { first <- c.do("POST", "/v1/reservations", reserveBody, "Idempotency-Key", "same-moment") }()
	gate.waitArrival(t)
	second := make(chan apiAnswer, 1)
	go func() { second <- c.do("POST", "/v1/reservations", reserveBody, "Idempotency-Key", "same-moment") }()
	select {
	case a := <-second:
		if a.status != 409 || a.errorCode() != "idempotency_in_progress" {
			t.Errorf("the second request while the first buys: %d %s", a.status, a.body)
		}
	case <-gate.arrived:
		t.Error("the second request with the same key went to buy a number too")
	}
	gate.open()
	a := <-first
	var r resJSON
	if a.status != 201 || json.Unmarshal(a.body, &r) != nil {
		t.Fatalf("the first request: %d %s", a.status, a.body)
	}
	if _, again := reserveWithKey(t, c, "same-moment", reserveBody, 201); again.ID != r.ID {
		t.Fatalf("after the first answered: reservation %d, want %d", again.ID, r.ID)
	}
	bought := 0
	for _, req := range up.Requests() {
		if a := req.URL.Query().Get("action"); a == "getNumber" || a == "getNumberV2" {
			bought++
		}
	}
	if bought != 1 || debits(t, env, u.ID) != 1 || c.balance() != 500-r.PriceCents {
		t.Fatalf("%d numbers bought upstream, %d debits, balance %d; want one purchase", bought,
			debits(t, env, u.ID), c.balance())
	}
}

// A server that stopped between the purchase and its answer left the key
// naming what it bought: a retry after the lease gets that reservation
// (one debit), and before the lease is told to wait. A key held by a
// request that bought nothing is free after the lease.
func TestAPIIdempotentRetryAfterAServerStopped(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	u, _ := env.NewUser("stopped@example.com")
	env.Credit(u.ID, 500, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))
	_, r := reserveWithKey(t, c, "k-stopped", reserveBody, 201)

	// As the store holds a key between the purchase and its answer.
	env.ExecSQL(t, `UPDATE idempotency_keys SET status = NULL, answer = NULL, headers = NULL WHERE key = ?`,
		"k-stopped")
	if a, _ := reserveWithKey(t, c, "k-stopped", reserveBody, 409); a.errorCode() != "idempotency_in_progress" {
		t.Fatalf("within the lease: %s", a.body)
	}
	lease := int64(store.IdempotencyLease/time.Second) + 1
	env.ExecSQL(t, `UPDATE idempotency_keys SET created_at = created_at - ? WHERE key = ?`, lease, "k-stopped")
	for range 2 { // answered from the reservation, then from the answer kept
		a, again := reserveWithKey(t, c, "k-stopped", reserveBody, 201)
		if again.ID != r.ID || a.header.Get(replayed) != "true" || a.header.Get("Location") != resPath(r.ID, "") {
			t.Fatalf("after the lease: %s %v, want reservation %d replayed", a.body, a.header, r.ID)
		}
	}
	if debits(t, env, u.ID) != 1 {
		t.Fatal("the retry bought again")
	}

	env.ExecSQL(t, `INSERT INTO idempotency_keys (user_id, key, request, body_hash, created_at)
		VALUES (?, 'k-dead', 'POST /v1/reservations', x'00', unixepoch() - ?)`, u.ID, lease)
	if a, fresh := reserveWithKey(t, c, "k-dead", reserveBody, 201); fresh.ID == r.ID || a.header.Get(replayed) != "" {
		t.Fatalf("a dead claim: %s", a.body)
	}
	if debits(t, env, u.ID) != 2 {
		t.Fatal("want the dead claim's retry to buy")
	}
}

// A top-up sent again with its key opens one order and one Stripe
// Checkout session.
func TestAPIIdempotentTopUpOpensOnce(t *testing.T) {
	env := testenv.StartWithPayments(t)
	u, _ := env.NewUser("payer@example.com")
	c := newAPIClient(t, env.Env, env.NewAPIKey(t, u.ID, "bot"))
	body := map[string]any{"method": "card", "amount_cents": 1000}
	var orders [2]struct{ Order string }
	for i := range orders {
		a := c.do("POST", "/v1/topups", body, "Idempotency-Key", "topup-1")
		if a.status != 201 || json.Unmarshal(a.body, &orders[i]) != nil || (i == 1) != (a.header.Get(replayed) == "true") {
			t.Fatalf("top-up %d: %d %s %v", i, a.status, a.body, a.header)
		}
	}
	list, err := env.Store().Orders(context.Background(), u.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	sessions := 0
	for _, r := range env.StripeRequests() {
		if strings.Contains(r, "/v1/checkout/sessions") {
			sessions++
		}
	}
	if orders[1].Order != orders[0].Order || len(list) != 1 || sessions != 1 {
		t.Fatalf("orders %v, %d stored, %d Checkout sessions; want one", orders, len(list), sessions)
	}
}

// A rental and its extension sent again with their keys are paid once:
// the same rental comes back, one rent and one extension in the ledger.
func TestAPIIdempotentRentalAndExtensionPaidOnce(t *testing.T) {
	env := testenv.Start(t, rentalSim(sim.NewFakeClock(time.Now().Truncate(time.Second))))
	u, _ := env.NewUser("renter-twice@example.com")
	env.Credit(u.ID, 20_000, "g1")
	c := newAPIClient(t, env, env.NewAPIKey(t, u.ID, "bot"))
	buy := map[string]any{"service": "telegram", "country": "gb", "days": 1}
	var rented [2]apiRental
	for i := range rented {
		a := c.do("POST", "/v1/rentals", buy, "Idempotency-Key", "rent-1")
		if a.status != 201 || json.Unmarshal(a.body, &rented[i]) != nil || (i == 1) != (a.header.Get(replayed) == "true") {
			t.Fatalf("rent %d: %d %s %v", i, a.status, a.body, a.header)
		}
	}
	var extended [2]apiRental
	for i := range extended {
		a := c.do("POST", rentalPath(rented[0].ID, "extend"), map[string]any{"days": 7}, "Idempotency-Key", "ext-1")
		if a.status != 200 || json.Unmarshal(a.body, &extended[i]) != nil || (i == 1) != (a.header.Get(replayed) == "true") {
			t.Fatalf("extend %d: %d %s %v", i, a.status, a.body, a.header)
		}
	}
	var now apiRental
	c.ok("GET", rentalPath(rented[0].ID, ""), nil, 200, &now)
	if rented[1].ID != rented[0].ID || now.Days != 8 || len(now.Extensions) != 1 ||
		ledgerRows(t, env, u.ID, store.LedgerRent) != 1 || ledgerRows(t, env, u.ID, store.LedgerRentExtend) != 1 ||
		c.balance() != 20_000-now.PaidCents {
		t.Fatalf("rented %+v, now %+v, balance %d; want one rental extended once", rented, now, c.balance())
	}
}
