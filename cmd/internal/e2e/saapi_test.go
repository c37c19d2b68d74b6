package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

// saClient speaks to the SMS-Activate-compatible endpoint as a client
// program does: GET with the parameters in the query string, or POST with
// them in the form.
type saClient struct {
	t    *testing.T
	env  *testenv.Env
	key  string
	post bool
}

// call runs an action and returns the body; every answer is HTTP 200.
func (c saClient) call(action string, kv ...string) string {
	c.t.Helper()
	body, _ := c.callH(action, kv...)
	return body
}

// callH is call with the answer's headers.
func (c saClient) callH(action string, kv ...string) (string, http.Header) {
	c.t.Helper()
	q := url.Values{"api_key": {c.key}, "action": {action}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	var resp *http.Response
	var err error
	if c.post {
		resp, err = http.PostForm(c.env.URL("/stubs/handler_api.php"), q)
	} else {
		resp, err = http.Get(c.env.URL("/stubs/handler_api.php?" + q.Encode()))
	}
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d %q", action, resp.StatusCode, b)
	}
	return strings.TrimSuffix(string(b), "\n"), resp.Header
}

// want runs an action and checks its exact answer.
func (c saClient) want(want, action string, kv ...string) {
	c.t.Helper()
	if got := c.call(action, kv...); got != want {
		c.t.Fatalf("%s %v: got %q, want %q", action, kv, got, want)
	}
}

// number reserves with getNumber and returns the activation id.
func (c saClient) number(kv ...string) string {
	c.t.Helper()
	got := c.call("getNumber", kv...)
	m := regexp.MustCompile(`^ACCESS_NUMBER:(\d+):(\d+)$`).FindStringSubmatch(got)
	if m == nil {
		c.t.Fatalf("getNumber %v: %q", kv, got)
	}
	return m[1]
}

// saSim is the simulator on a clock that moves only when the test says:
// each number gets its SMS one second (of that clock) after it was
// bought, or after another SMS was asked for; cancel waits two minutes.
func saSim(clock *sim.FakeClock) func(*service.Config) {
	return func(c *service.Config) {
		c.Clock, c.Numbers.SimClock = clock.Now, clock
		c.Numbers.Providers = []string{"sim"}
		c.Numbers.SimSMSDelay, c.Numbers.SimJitter, c.Numbers.SimNeverSharePct = time.Second, 0, 0
		c.Numbers.Lifetime, c.Numbers.CancelGuard = 20*time.Minute, 2*time.Minute
	}
}

// A whole activation through the endpoint, as an SMS-Activate client
// runs it, once with GET and once with POST: getBalance, getNumber,
// setStatus 1, getStatus until STATUS_OK:, getFullSms, another code
// (setStatus 3, STATUS_WAIT_RETRY:), setStatus 6; every state refuses
// what the protocol refuses in it, in its words.
func TestSMSActivateFullActivation(t *testing.T) {
	for _, post := range []bool{false, true} {
		t.Run(map[bool]string{false: "GET", true: "POST"}[post], func(t *testing.T) {
			clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
			env := testenv.Start(t, saSim(clock))
			u, _ := env.NewUser("bot@example.com")
			env.Credit(u.ID, 1000, "g1")
			c := saClient{t: t, env: env, key: env.NewAPIKey(t, u.ID, "bot"), post: post}

			c.want("ACCESS_BALANCE:10.00", "getBalance")
			body, hdr := c.callH("getNumber", "service", "tg", "country", "16")
			m := regexp.MustCompile(`^ACCESS_NUMBER:(\d+):(44\d+)$`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("getNumber: %q", body)
			}
			id := m[1]
			res, err := env.Store().UserReservation(context.Background(), u.ID, mustInt(t, id))
			if err != nil || res.Phone != "+"+m[2] || res.Service != "telegram" || res.Country != "gb" {
				t.Fatalf("the reservation behind %s: %+v %v", id, res, err)
			}
			price := fmt.Sprintf("%d.%02d", res.PriceCents/100, res.PriceCents%100)
			if hdr.Get("X-Price") != price {
				t.Fatalf("X-Price %q, want %q", hdr.Get("X-Price"), price)
			}
			left := 1000 - res.PriceCents
			c.want(fmt.Sprintf("ACCESS_BALANCE:%d.%02d", left/100, left%100), "getBalance")

			c.want("ACCESS_READY", "setStatus", "id", id, "status", "1")
			c.want("STATUS_WAIT_CODE", "getStatus", "id", id)
			c.want("STATUS_WAIT_CODE", "getFullSms", "id", id)
			c.want("BAD_STATUS", "setStatus", "id", id, "status", "6") // no code yet: cancel instead
			c.want("BAD_STATUS", "setStatus", "id", id, "status", "3") // no first code yet
			c.want("EARLY_CANCEL_DENIED", "setStatus", "id", id, "status", "8")
			c.want("EARLY_CANCEL_DENIED", "setStatus", "id", id, "status", "-1")
			active := c.call("getActiveActivations")
			if !strings.Contains(active, `"activationId":"`+id+`"`) || !strings.Contains(active, `"activationStatus":"1"`) ||
				!strings.Contains(active, `"phoneNumber":"`+m[2]+`"`) || !strings.Contains(active, `"serviceCode":"tg"`) ||
				!strings.Contains(active, `"countryCode":"16"`) || !strings.Contains(active, `"smsCode":null`) {
				t.Fatalf("getActiveActivations: %s", active)
			}

			clock.Advance(time.Second) // the SMS comes
			code := pollCode(t, c, id, "STATUS_OK:")
			if code != env.Reservations(u.ID)[0].LatestCode() {
				t.Fatalf("STATUS_OK:%s, the number's code is %q", code, env.Reservations(u.ID)[0].LatestCode())
			}
			full := c.call("getFullSms", "id", id)
			if !strings.HasPrefix(full, "FULL_SMS:") || !strings.Contains(full, code) {
				t.Fatalf("getFullSms: %q", full)
			}
			c.want("BAD_STATUS", "setStatus", "id", id, "status", "8") // a code came: it is paid
			c.want(fmt.Sprintf("ACCESS_BALANCE:%d.%02d", left/100, left%100), "getBalance")

			c.want("ACCESS_RETRY_GET", "setStatus", "id", id, "status", "3")
			c.want("STATUS_WAIT_RETRY:"+code, "getStatus", "id", id)
			c.want("STATUS_WAIT_RETRY:"+code, "getFullSms", "id", id)
			if a := c.call("getActiveActivations"); !strings.Contains(a, `"activationStatus":"3"`) ||
				!strings.Contains(a, `"smsCode":"`+code+`"`) {
				t.Fatalf("getActiveActivations while waiting for another code: %s", a)
			}
			clock.Advance(time.Second) // the second SMS comes
			second := pollCode(t, c, id, "STATUS_OK:")
			if rs := env.Reservations(u.ID); len(rs[0].Messages) != 2 || second != rs[0].LatestCode() {
				t.Fatalf("after the second SMS: %+v, STATUS_OK:%s", rs[0].Messages, second)
			}

			c.want("ACCESS_ACTIVATION", "setStatus", "id", id, "status", "6")
			c.want("ACCESS_ACTIVATION", "setStatus", "id", id, "status", "6") // again: done already
			c.want("STATUS_OK:"+second, "getStatus", "id", id)
			c.want("BAD_STATUS", "setStatus", "id", id, "status", "8")
			c.want("BAD_STATUS", "setStatus", "id", id, "status", "3")
			c.want("BAD_STATUS", "setStatus", "id", id, "status", "1")
			c.want(`{"status":"error","error":"NO_ACTIVATIONS"}`, "getActiveActivations")
			got, _ := env.Store().UserReservation(context.Background(), u.ID, mustInt(t, id))
			if got.State != store.ResFinished || got.Refunded {
				t.Fatalf("after setStatus 6: %+v", got)
			}
		})
	}
}

// pollCode polls getStatus as clients do until the answer starts with
// prefix, and returns what follows it.
func pollCode(t *testing.T, c saClient, id, prefix string) string {
	t.Helper()
	var got string
	eventually(t, func() bool {
		got = c.call("getStatus", "id", id)
		return strings.HasPrefix(got, prefix)
	})
	return strings.TrimPrefix(got, prefix)
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A cancel: refused in the early-cancel guard, then done and refunded in
// full, which the balance shows; the number's status is STATUS_CANCEL,
// cancelling again says so again, and finishing it is refused. -1 cancels
// too; a number that expired reads as cancelled.
func TestSMSActivateCancelRefunds(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, stillSim(clock, 2*time.Minute))
	u, _ := env.NewUser("bot@example.com")
	env.Credit(u.ID, 1000, "g1")
	c := saClient{t: t, env: env, key: env.NewAPIKey(t, u.ID, "bot"), post: true}

	id := c.number("service", "wa", "country", "16")
	c.want("EARLY_CANCEL_DENIED", "setStatus", "id", id, "status", "8")
	if b := env.Balance(u.ID); b >= 1000 {
		t.Fatalf("not debited: %d", b)
	}
	clock.Advance(2 * time.Minute)
	c.want("ACCESS_CANCEL", "setStatus", "id", id, "status", "8")
	c.want("ACCESS_BALANCE:10.00", "getBalance")
	c.want("STATUS_CANCEL", "getStatus", "id", id)
	c.want("STATUS_CANCEL", "getFullSms", "id", id)
	c.want("ACCESS_CANCEL", "setStatus", "id", id, "status", "8") // again: cancelled already, refunded once
	c.want("ACCESS_BALANCE:10.00", "getBalance")
	c.want("BAD_STATUS", "setStatus", "id", id, "status", "6")
	c.want("BAD_STATUS", "setStatus", "id", id, "status", "1")

	other := c.number("service", "tg", "country", "16")
	clock.Advance(2 * time.Minute)
	c.want("ACCESS_CANCEL", "setStatus", "id", other, "status", "-1")
	c.want("ACCESS_BALANCE:10.00", "getBalance")
	if b := env.Balance(u.ID); b != 1000 {
		t.Fatalf("balance %d after two refunds", b)
	}

	// A number that ended without an SMS (its lifetime over) was given
	// back and refunded: it reads as cancelled, and cancelling it says so.
	late := c.number("service", "tg", "country", "16")
	clock.Advance(21 * time.Minute)
	eventually(t, func() bool { return c.call("getStatus", "id", late) == "STATUS_CANCEL" })
	c.want("ACCESS_CANCEL", "setStatus", "id", late, "status", "8")
	c.want("ACCESS_BALANCE:10.00", "getBalance")
}

// The error words, each where the protocol puts it; the lists in JSON, in
// the protocol's codes, at the prices and stock the SSH commands show.
func TestSMSActivateWordsAndLists(t *testing.T) {
	env := testenv.Start(t, frozenSim, func(c *service.Config) { c.Numbers.MaxOpen = 2 })
	u, sshKey := env.NewUser("bot@example.com")
	env.Credit(u.ID, 1000, "g1")
	key := env.NewAPIKey(t, u.ID, "bot")
	c := saClient{t: t, env: env, key: key}
	poor, _ := env.NewUser("poor@example.com")
	broke := saClient{t: t, env: env, key: env.NewAPIKey(t, poor.ID, "bot")}

	for _, cl := range []saClient{{t: t, env: env}, {t: t, env: env, key: strings.Repeat("x", 32)}} {
		cl.want("BAD_KEY", "getBalance")
	}
	c.want("BAD_ACTION", "getMoney")
	c.want("BAD_ACTION", "")
	c.want("BAD_SERVICE", "getNumber", "service", "zz", "country", "16")
	c.want("BAD_SERVICE", "getNumber", "country", "16")
	c.want("NO_NUMBERS", "getNumber", "service", "tg", "country", "9999")
	c.want("WRONG_OPERATOR", "getNumber", "service", "tg", "country", "16", "operator", "no such!")
	c.want("ERROR_SQL", "getNumber", "service", "tg", "country", "16", "maxPrice", "cheap")
	broke.want("NO_BALANCE", "getNumber", "service", "tg", "country", "16")
	c.want("INVALID_ACTIVATION_ID", "getStatus", "id", "abc")
	c.want("INVALID_ACTIVATION_ID", "setStatus", "status", "8")
	c.want("NO_ACTIVATION", "getStatus", "id", "424242")
	c.want("NO_ACTIVATION", "setStatus", "id", "424242", "status", "8")
	c.want(`{"status":"error","error":"NO_ACTIVATIONS"}`, "getActiveActivations")
	c.want(`{"status":"error","error":"BAD_SERVICE"}`, "getNumberV2", "service", "zz", "country", "16")

	// getPrices: the prices and stock `prices --json` shows, in dollars,
	// by SMS-Activate country id and service code.
	var cmdPrices struct{ Prices []priceRow }
	okJSON(t, env, sshKey, "prices --service telegram --country gb --json", &cmdPrices)
	if len(cmdPrices.Prices) != 1 {
		t.Fatalf("prices: %+v", cmdPrices)
	}
	p := cmdPrices.Prices[0]
	var prices map[string]map[string]struct {
		Cost  float64 `json:"cost"`
		Count int     `json:"count"`
	}
	mustJSON(t, c.call("getPrices", "service", "tg", "country", "16"), &prices)
	if got := prices["16"]["tg"]; len(prices) != 1 || int64(got.Cost*100+0.5) != p.PriceCents || got.Count != p.Stock {
		t.Fatalf("getPrices %+v, prices says %+v", prices, p)
	}
	mustJSON(t, c.call("getPrices"), &prices)
	if len(prices) < 5 || prices["16"]["wa"].Count == 0 {
		t.Fatalf("getPrices, all: %d countries", len(prices))
	}
	var status map[string]string
	mustJSON(t, c.call("getNumbersStatus", "country", "16"), &status)
	if status["tg_0"] != strconv.Itoa(p.Stock) {
		t.Fatalf("getNumbersStatus: %v", status)
	}
	var countries map[string]struct {
		ID      int    `json:"id"`
		Eng     string `json:"eng"`
		Visible int    `json:"visible"`
	}
	mustJSON(t, c.call("getCountries"), &countries)
	if gb := countries["16"]; gb.ID != 16 || gb.Eng != "United Kingdom" || gb.Visible != 1 || countries["0"].Eng != "Russia" {
		t.Fatalf("getCountries: %+v", countries)
	}

	// A cap below the price: each client gets the word it knows, the
	// SMS-Activate one with the price.
	under := fmt.Sprintf("%d.%02d", (p.PriceCents-1)/100, (p.PriceCents-1)%100)
	priceText := fmt.Sprintf("%d.%02d", p.PriceCents/100, p.PriceCents%100)
	c.want("WRONG_MAX_PRICE:"+priceText, "getNumber", "service", "tg", "country", "16", "maxPrice", under)
	c.want("MAX_PRICE_EXCEEDED", "getNumber", "service", "tg", "country", "16", "max_price", under)
	if rs := env.Reservations(u.ID); len(rs) != 0 {
		t.Fatalf("a refused getNumber reserved: %+v", rs)
	}

	// getNumberV2 at exactly the cap, through the X-ApiKey header.
	v2, hdr := c.callH("getNumberV2", "service", "tg", "country", "16", "maxPrice", priceText)
	var n struct {
		ActivationID       int64   `json:"activationId"`
		PhoneNumber        string  `json:"phoneNumber"`
		ActivationCost     float64 `json:"activationCost"`
		CountryCode        string  `json:"countryCode"`
		CanGetAnotherSms   bool    `json:"canGetAnotherSms"`
		ActivationTime     string  `json:"activationTime"`
		ActivationOperator string  `json:"activationOperator"`
	}
	mustJSON(t, v2, &n)
	rs := env.Reservations(u.ID)
	if len(rs) != 1 || n.ActivationID != rs[0].ID || "+"+n.PhoneNumber != rs[0].Phone || n.CountryCode != "16" ||
		int64(n.ActivationCost*100+0.5) != rs[0].PriceCents || !n.CanGetAnotherSms || n.ActivationOperator != "any" ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`).MatchString(n.ActivationTime) ||
		hdr.Get("X-Price") != priceText {
		t.Fatalf("getNumberV2: %s (%+v)", v2, rs)
	}
	// The same number in another account is nobody's there.
	broke.want("NO_ACTIVATION", "getStatus", "id", strconv.FormatInt(n.ActivationID, 10))
	broke.want("NO_ACTIVATION", "setStatus", "id", strconv.FormatInt(n.ActivationID, 10), "status", "8")
	c.want("BAD_STATUS", "setStatus", "id", strconv.FormatInt(n.ActivationID, 10), "status", "2")

	// The open-number limit (two here), in our own word.
	c.number("service", "wa", "country", "16")
	c.want("ACTIVATIONS_LIMIT", "getNumber", "service", "vi", "country", "16")

	// A suspended account reads its balance and its numbers, and may not
	// reserve, as in the dashboard.
	env.Ban(t, u.ID, "chargeback")
	c.want("ACCESS_BALANCE:"+fmt.Sprintf("%d.%02d", env.Balance(u.ID)/100, env.Balance(u.ID)%100), "getBalance")
	c.want("STATUS_WAIT_CODE", "getStatus", "id", strconv.FormatInt(n.ActivationID, 10))
	env.ExecSQL(t, `UPDATE reservations SET state = 'cancelled', ended_at = unixepoch() WHERE user_id = ?`, u.ID)
	c.want("BANNED", "getNumber", "service", "tg", "country", "16")
	c.want(`{"status":"error","error":"BANNED"}`, "getNumberV2", "service", "tg", "country", "16")

	// Only GET and POST.
	req, _ := http.NewRequest(http.MethodPut, env.URL("/stubs/handler_api.php?action=getBalance&api_key="+key), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("PUT: %d", resp.StatusCode)
	}
}

func mustJSON(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%v in %q", err, body)
	}
}

// The key is read from the header X-ApiKey and from a bearer token too,
// and a form posted as multipart is read as a urlencoded one is.
func TestSMSActivateKeyInHeaders(t *testing.T) {
	env := testenv.Start(t, frozenSim)
	u, _ := env.NewUser("bot@example.com")
	env.Credit(u.ID, 250, "g1")
	key := env.NewAPIKey(t, u.ID, "bot")
	for _, h := range [][2]string{{"X-ApiKey", key}, {"Authorization", "Bearer " + key}} {
		req, _ := http.NewRequest(http.MethodGet, env.URL("/stubs/handler_api.php?action=getBalance"), nil)
		req.Header.Set(h[0], h[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "ACCESS_BALANCE:2.50" {
			t.Fatalf("%s: %q", h[0], b)
		}
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"api_key": key, "action": "getBalance"} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	mw.Close()
	resp, err := http.Post(env.URL("/stubs/handler_api.php"), mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ACCESS_BALANCE:2.50" {
		t.Fatalf("multipart: %q", b)
	}
}

// A key revoked while its program polls fails at the next request.
func TestSMSActivateRevokedKeyFailsMidPoll(t *testing.T) {
	env := testenv.Start(t, stillSimNow())
	u, sshKey := env.NewUser("bot@example.com")
	env.Credit(u.ID, 1000, "g1")
	var made apiKeyJSON
	okJSON(t, env, sshKey, "api-key create poller --json", &made)
	c := saClient{t: t, env: env, key: made.Key}
	id := c.number("service", "tg", "country", "16")
	for range 3 {
		c.want("STATUS_WAIT_CODE", "getStatus", "id", id)
	}
	ok(t, env, sshKey, "api-key revoke poller")
	c.want("BAD_KEY", "getStatus", "id", id)
	c.want("BAD_KEY", "setStatus", "id", id, "status", "8")
}

// Over its budget, a key is answered in the protocol's words for an
// account barred for a while, with the time to try again, and a
// Retry-After header; /metrics counts requests and refusals.
func TestSMSActivateRateLimit(t *testing.T) {
	env := testenv.Start(t, frozenSim, func(c *service.Config) {
		c.API = apiauth.Config{PerKey: 0.001, KeyBurst: 3}
	})
	u, _ := env.NewUser("bot@example.com")
	c := saClient{t: t, env: env, key: env.NewAPIKey(t, u.ID, "bot")}
	for range 3 {
		c.want("ACCESS_BALANCE:0.00", "getBalance")
	}
	body, hdr := c.callH("getBalance")
	m := regexp.MustCompile(`^BANNED:'(\d{4}-\d\d-\d\d \d\d-\d\d-\d\d)'$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("over the limit: %q", body)
	}
	until, err := time.Parse("2006-01-02 15-04-05", m[1])
	retry, _ := strconv.Atoi(hdr.Get("Retry-After"))
	if err != nil || retry < 1 || until.Before(time.Now().Add(-time.Minute)) {
		t.Fatalf("BANNED until %q, Retry-After %q", m[1], hdr.Get("Retry-After"))
	}
	if again := c.call("getBalance"); !strings.HasPrefix(again, "BANNED:'") {
		t.Fatalf("still over the limit: %q", again)
	}
	// Another key is not held up by this one's budget.
	other := saClient{t: t, env: env, key: env.NewAPIKey(t, u.ID, "other")}
	other.want("ACCESS_BALANCE:0.00", "getBalance")

	resp, err := http.Get(env.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	fams, err := metrics.Parse(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sample := func(fam string, labels ...string) int64 {
		for _, s := range fams[fam].Samples {
			if fmt.Sprint(s.Labels) == fmt.Sprint(metrics.L(labels...)) {
				return s.Value
			}
		}
		return -1
	}
	if n := sample("wantsms_api_requests_total", "endpoint", "sms-activate", "outcome", "ok"); n != 4 {
		t.Errorf("ok requests: %d", n)
	}
	if n := sample("wantsms_api_requests_total", "endpoint", "sms-activate", "outcome", "rate_limited"); n != 2 {
		t.Errorf("rate-limited requests: %d", n)
	}
	if n := sample("wantsms_api_rate_limited_total", "scope", "key"); n != 2 {
		t.Errorf("rate-limited by key: %d", n)
	}
	if n := sample("wantsms_api_rate_limited_total", "scope", "address"); n != 0 {
		t.Errorf("rate-limited by address: %d", n)
	}
}

// Our own SMS-Activate client (the upstream adapter) works against our
// endpoint: the protocol we serve is the one we speak.
func TestSMSActivateOurOwnClient(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, saSim(clock))
	u, _ := env.NewUser("bot@example.com")
	env.Credit(u.ID, 1000, "g1")
	for _, v2 := range []bool{false, true} {
		cl, err := smsactivate.New(smsactivate.Config{BaseURL: env.URL(""), APIKey: env.NewAPIKey(t, u.ID,
			fmt.Sprint("client", v2)), NumberV2: v2})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		offers, err := cl.Catalogue(ctx)
		if err != nil || len(offers) == 0 {
			t.Fatalf("catalogue: %d %v", len(offers), err)
		}
		n, err := cl.Buy(ctx, "telegram", "gb", 0)
		if err != nil || !strings.HasPrefix(n.Phone, "+44") {
			t.Fatalf("buy: %+v %v", n, err)
		}
		st, err := cl.Check(ctx, n.Ref)
		if err != nil || st.State != provider.Waiting {
			t.Fatalf("check: %+v %v", st, err)
		}
		if err := cl.Cancel(ctx, n.Ref); err == nil || !strings.Contains(err.Error(), "EARLY_CANCEL_DENIED") {
			t.Fatalf("cancel within the guard: %v", err)
		}
		clock.Advance(time.Second)
		eventually(t, func() bool {
			st, err = cl.Check(ctx, n.Ref)
			return err == nil && st.State == provider.Received
		})
		if len(st.Messages) != 1 || st.Messages[0].Code == "" || !strings.Contains(st.Messages[0].Text, st.Messages[0].Code) {
			t.Fatalf("received: %+v", st)
		}
		if err := cl.Finish(ctx, n.Ref); err != nil {
			t.Fatal(err)
		}
		bal, err := cl.Balance(ctx)
		if err != nil || bal <= 0 {
			t.Fatalf("balance: %v %v", bal, err)
		}
	}
}
