package smsactivate_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

var ctx = context.Background()

func setup(t *testing.T, opt fake.Options, mod func(*smsactivate.Config)) (*smsactivate.Client, *fake.Server) {
	t.Helper()
	up := fake.New(opt)
	t.Cleanup(func() {
		assertPrivate(t, up)
		up.Close()
	})
	cfg := smsactivate.Config{BaseURL: up.URL, APIKey: up.APIKey()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := smsactivate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, up
}

// assertPrivate checks every captured request carries the key and
// protocol parameters only: nothing that could identify a user.
func assertPrivate(t *testing.T, up *fake.Server) {
	t.Helper()
	allowed := map[string]bool{"api_key": true, "action": true, "service": true, "country": true,
		"maxPrice": true, "id": true, "status": true, "rent_time": true, "operator": true, "page": true}
	for _, r := range up.Requests() {
		if r.Method != http.MethodGet || r.URL.Path != "/stubs/handler_api.php" || len(r.Body) != 0 {
			t.Errorf("request %s %s with %d body bytes", r.Method, r.URL, len(r.Body))
		}
		q := r.URL.Query()
		if q.Get("api_key") == "" || q.Get("action") == "" {
			t.Errorf("request %s without the key", r.URL)
		}
		for k, v := range q {
			if !allowed[k] || len(v) != 1 {
				t.Errorf("request %s sends %s=%v", r.URL.Path, k, v)
			}
		}
		for h := range r.Header {
			switch h {
			case "User-Agent", "Accept-Encoding":
			default:
				t.Errorf("request sends header %s", h)
			}
		}
	}
}

func TestBalanceAndCurrency(t *testing.T) {
	c, _ := setup(t, fake.Options{Balance: "50.30"}, func(c *smsactivate.Config) { c.CurrencyRate = 11_000 })
	got, err := c.Balance(ctx)
	if err != nil || got != 553_300 {
		t.Fatalf("balance %d, %v", got, err)
	}
}

func TestCatalogue(t *testing.T) {
	for _, strs := range []bool{false, true} {
		c, up := setup(t, fake.Options{StringNumbers: strs}, nil)
		up.SetPrice("tg", "16", "0.85", 120)
		up.SetPrice("wa", "0", "12", 0)
		up.SetPrice("zz", "16", "1", 5)  // unknown service: skipped
		up.SetPrice("tg", "999", "1", 5) // unknown country: skipped
		up.SetPrice("tg", "12", "1", 5)  // USA virtual: not sold
		offers, err := c.Catalogue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[provider.Offer]bool{
			{Service: "telegram", Country: "gb", Cost: 850_000, Stock: 120}:  true,
			{Service: "whatsapp", Country: "ru", Cost: 12_000_000, Stock: 0}: true,
		}
		if len(offers) != len(want) {
			t.Fatalf("strings %v: offers %+v", strs, offers)
		}
		for _, o := range offers {
			if !want[o] {
				t.Errorf("unexpected offer %+v", o)
			}
		}
	}
}

func TestFullLife(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("tg", "16", "0.50", 3)
	up.SetScript(fake.Script{CodeAfterPolls: 1, Text: "Telegram code: {code}\n\nDo not give this code to anyone!"})
	n, err := c.Buy(ctx, "telegram", "gb", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(n.Phone, "+44") || n.Cost != 500_000 || n.Ref == "" || !n.ExpiresAt.IsZero() {
		t.Fatalf("number %+v", n)
	}
	st, err := c.Check(ctx, n.Ref)
	if err != nil || st.State != provider.Waiting || len(st.Messages) != 0 {
		t.Fatalf("first poll %+v, %v", st, err)
	}
	st, err = c.Check(ctx, n.Ref)
	if err != nil || st.State != provider.Received || len(st.Messages) != 1 {
		t.Fatalf("second poll %+v, %v", st, err)
	}
	first := st.Messages[0]
	if first.Code == "" || provider.ExtractCode(first.Text) != first.Code || !strings.HasPrefix(first.Text, "Telegram code: ") {
		t.Fatalf("message %+v", first)
	}
	again, _ := c.Check(ctx, n.Ref)
	if again.Messages[0].ID != first.ID {
		t.Error("re-poll changed the message id")
	}
	if err := c.Again(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	st, err = c.Check(ctx, n.Ref) // STATUS_WAIT_RETRY:<previous code>
	if err != nil || st.State != provider.Received || len(st.Messages) != 1 || st.Messages[0].ID != first.ID {
		t.Fatalf("retry poll %+v, %v", st, err)
	}
	st, _ = c.Check(ctx, n.Ref)
	if len(st.Messages) != 1 || st.Messages[0].ID == first.ID || st.Messages[0].Code == first.Code {
		t.Fatalf("second code %+v", st)
	}
	if err := c.Finish(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	if state, _, _ := up.Status(n.Ref); state != "finish" {
		t.Errorf("upstream state %s", state)
	}
}

func TestRetryWithoutCode(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("wa", "0", "0.3", 1)
	up.SetScript(fake.Script{CodeAfterPolls: 0, RetryBare: true, Text: "WhatsApp code {code}"})
	n, _ := c.Buy(ctx, "whatsapp", "ru", 0)
	c.Check(ctx, n.Ref)
	c.Again(ctx, n.Ref)
	up.Respond("getStatus", "STATUS_WAIT_RETRY", 1)
	if st, err := c.Check(ctx, n.Ref); err != nil || st.State != provider.Received || len(st.Messages) != 0 {
		t.Fatalf("%+v, %v", st, err)
	}
	up.Respond("getStatus", "STATUS_WAIT_RETRY:123456", 1)
	st, err := c.Check(ctx, n.Ref)
	if err != nil || len(st.Messages) != 1 || st.Messages[0].Code != "123456" {
		t.Fatalf("%+v, %v", st, err)
	}
}

func TestCancelAndRefund(t *testing.T) {
	c, up := setup(t, fake.Options{Balance: "10"}, nil)
	up.SetPrice("go", "43", "2", 5)
	up.SetScript(fake.Script{Never: true})
	n, err := c.Buy(ctx, "google", "de", 0)
	if err != nil || !strings.HasPrefix(n.Phone, "+49") {
		t.Fatalf("%+v, %v", n, err)
	}
	if up.Balance() != 8_000_000 {
		t.Fatalf("balance after buy %d", up.Balance())
	}
	if err := c.Cancel(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Check(ctx, n.Ref); st.State != provider.Cancelled || up.Balance() != 10_000_000 {
		t.Fatalf("after cancel %+v, balance %d", st, up.Balance())
	}
}

func TestUpstreamRules(t *testing.T) {
	c, up := setup(t, fake.Options{Balance: "1"}, nil)
	up.SetPrice("tg", "0", "0.5", 5)
	up.SetScript(fake.Script{CancelLocked: true, Never: true})
	n, _ := c.Buy(ctx, "telegram", "ru", 0)
	if err := c.Cancel(ctx, n.Ref); !errors.Is(err, provider.ErrEarlyCancel) || !strings.Contains(err.Error(), "EARLY_CANCEL_DENIED") {
		t.Errorf("locked cancel: %v", err)
	}
	if err := c.Again(ctx, n.Ref); !errors.Is(err, provider.ErrBadState) {
		t.Errorf("again before a code: %v", err)
	}
	if _, err := c.Check(ctx, "999"); !errors.Is(err, provider.ErrUnknownActivation) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := c.Check(ctx, "12x"); !errors.Is(err, provider.ErrUnknownActivation) {
		t.Errorf("malformed id: %v", err)
	}
	c.Buy(ctx, "telegram", "ru", 0)
	if _, err := c.Buy(ctx, "telegram", "ru", 0); !errors.Is(err, provider.ErrNoBalance) {
		t.Errorf("no money left: %v", err)
	}
	if _, err := c.Buy(ctx, "telegram", "aq", 0); !errors.Is(err, provider.ErrBadService) {
		t.Errorf("unmapped country: %v", err)
	}
	bad, _ := smsactivate.New(smsactivate.Config{BaseURL: up.URL, APIKey: "wrong"})
	if _, err := bad.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "BAD_KEY") {
		t.Errorf("bad key: %v", err)
	}
}

func TestPriceCap(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("ig", "22", "0.40", 5)
	if _, err := c.Buy(ctx, "instagram", "in", 390_000); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("over cap: %v", err)
	}
	for _, r := range up.Requests() {
		if r.URL.Query().Get("action") == "getNumber" {
			t.Fatal("bought above the cap")
		}
	}
	n, err := c.Buy(ctx, "instagram", "in", 400_000)
	if err != nil || n.Cost != 400_000 {
		t.Fatalf("at cap: %+v, %v", n, err)
	}
	last := up.Requests()[len(up.Requests())-1].URL.Query()
	if last.Get("action") != "getNumber" || last.Get("maxPrice") != "0.4" {
		t.Errorf("maxPrice not sent: %v", last)
	}
}

func TestNumberV2(t *testing.T) {
	c, up := setup(t, fake.Options{}, func(c *smsactivate.Config) { c.NumberV2 = true })
	up.SetPrice("ds", "187", "0.25", 5)
	n, err := c.Buy(ctx, "discord", "us", 0)
	if err != nil || n.Cost != 250_000 || !strings.HasPrefix(n.Phone, "+1") {
		t.Fatalf("%+v, %v", n, err)
	}
	if _, err := c.Buy(ctx, "discord", "us", 200_000); !errors.Is(err, provider.ErrMaxPrice) || !strings.Contains(err.Error(), "WRONG_MAX_PRICE") {
		t.Errorf("capped v2: %v", err)
	}
	up.Respond("getNumberV2", `{"status":"error","error":"NO_NUMBERS"}`, 1)
	if _, err := c.Buy(ctx, "discord", "us", 0); !errors.Is(err, provider.ErrNoNumbers) {
		t.Errorf("json error: %v", err)
	}
	// upstream ignores the cap: the number is cancelled at once
	up.Respond("getNumberV2", `{"activationId":"`+n.Ref+`","phoneNumber":"12015550123","activationCost":"9.99"}`, 1)
	up.SetScript(fake.Script{Never: true})
	if _, err := c.Buy(ctx, "discord", "us", 300_000); !errors.Is(err, provider.ErrMaxPrice) {
		t.Errorf("charged over cap: %v", err)
	}
}

// TestErrorWords: every word of the protocol doc §1.6 (and garbage) maps
// to the right typed error, keeping the word in the message.
func TestErrorWords(t *testing.T) {
	cases := []struct {
		answer string
		want   error
	}{
		{"NO_NUMBERS", provider.ErrNoNumbers},
		{"NO_BALANCE", provider.ErrNoBalance},
		{"NO_BALANCE_FORWARD", provider.ErrNoBalance},
		{"BAD_KEY", provider.ErrUnavailable},
		{"BAD_ACTION", provider.ErrUnavailable},
		{"BAD_SERVICE", provider.ErrBadService},
		{"BAD_STATUS", provider.ErrBadState},
		{"WRONG_ACTIVATION_ID", provider.ErrUnknownActivation},
		{"NO_ACTIVATION", provider.ErrUnknownActivation},
		{"INVALID_ACTIVATION_ID", provider.ErrUnknownActivation},
		{"EARLY_CANCEL_DENIED", provider.ErrEarlyCancel},
		{"BANNED", provider.ErrUnavailable},
		{"BANNED:2025-01-01 12:00:00", provider.ErrUnavailable},
		{"WRONG_MAX_PRICE:12.5", provider.ErrMaxPrice},
		{"MAX_PRICE_EXCEEDED", provider.ErrMaxPrice},
		{"ERROR_SQL", provider.ErrUnavailable},
		{"ACCOUNT_INACTIVE", provider.ErrNoNumbers},
		{"WRONG_SECURITY", provider.ErrBadState},
		{"WRONG_OPERATOR", provider.ErrBadService},
		{"OPERATORS_NOT_FOUND", provider.ErrNoNumbers},
		{"SERVICE_UNAVAILABLE_REGION", provider.ErrUnavailable},
		{"SOME_NEW_WORD", provider.ErrUnavailable},
		{"<html><body>502 Bad Gateway</body></html>", provider.ErrUnavailable},
		{"", provider.ErrUnavailable},
		{"status_ok:1234", provider.ErrUnavailable},
		{"STATUS_OK:", provider.ErrUnavailable},
		{"STATUS_OK", provider.ErrUnavailable},
		{"STATUS_WAIT_CODEX", provider.ErrUnavailable},
	}
	c, up := setup(t, fake.Options{}, nil)
	for _, tc := range cases {
		up.Respond("getStatus", tc.answer, 1)
		_, err := c.Check(ctx, "12345")
		if !errors.Is(err, tc.want) {
			t.Errorf("getStatus %q: err %v, want %v", tc.answer, err, tc.want)
			continue
		}
		if word := strings.SplitN(tc.answer, ":", 2)[0]; len(tc.answer) < 40 && !strings.Contains(err.Error(), word) {
			t.Errorf("getStatus %q: error %q lost the word", tc.answer, err)
		}
	}
}

func TestMalformedNumbers(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("tg", "0", "0.5", 50)
	for _, answer := range []string{
		"ACCESS_NUMBER:abc:79036839671", "ACCESS_NUMBER:-5:79036839671", "ACCESS_NUMBER:0:79036839671",
		"ACCESS_NUMBER:1:2:3", "ACCESS_NUMBER:12608620", "ACCESS_NUMBER:12608620:4479036839671",
		"ACCESS_NUMBER:12608620:7903", "ACCESS_NUMBER:1.5:79036839671", "ACCESS_NUMBER:12608620:+7903683967a",
	} {
		up.Respond("getNumber", answer, 1)
		if _, err := c.Buy(ctx, "telegram", "ru", 0); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("getNumber %q: %v", answer, err)
		}
	}
	for _, answer := range []string{"ACCESS_BALANCE:abc", "ACCESS_BALANCE:", "ACCESS_BALANCE 5", "5.00"} {
		up.Respond("getBalance", answer, 1)
		if _, err := c.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("getBalance %q: %v", answer, err)
		}
	}
	for _, answer := range []string{`{"16":{"tg":{"cost":"x","count":1}}}`, `{"16":{"tg":{"cost":1,"count":-1}}}`, `[1,2]`, `{"16":5}`} {
		up.Respond("getPrices", answer, 1)
		if _, err := c.Catalogue(ctx); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("getPrices %q: %v", answer, err)
		}
	}
	for _, answer := range []string{"ACCESS_CANCEL_NOW", "OK", "access_cancel"} {
		up.Respond("setStatus", answer, 1)
		if err := c.Cancel(ctx, "12608621"); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("setStatus %q: %v", answer, err)
		}
	}
}

// Clones of the protocol word the number they hand out in their own ways:
// every form that names an activation and a phone of the country asked
// for is a number.
func TestCloneNumberForms(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		c, up := setup(t, fake.Options{}, func(c *smsactivate.Config) { c.NumberV2 = v2 })
		up.SetPrice("tg", "0", "0.5", 50)
		for _, d := range []fake.Dialect{{}, {PlusPhone: true}, {Spaces: true}, {LowerCase: true}, {Extra: "0.50"},
			{PlusPhone: true, Spaces: true, LowerCase: true, Extra: "any"}} {
			up.SetDialect(d)
			n, err := c.Buy(ctx, "telegram", "ru", 0)
			if err != nil || !strings.HasPrefix(n.Phone, "+7") || len(n.Phone) != 12 || n.Cost != 500_000 {
				t.Errorf("v2 %v, %+v: %+v %v", v2, d, n, err)
				continue
			}
			if state, _, ok := up.Status(n.Ref); !ok || state != "wait" {
				t.Errorf("v2 %v, %+v: activation %s is %q upstream", v2, d, n.Ref, state)
			}
		}
	}
}

// An answer that names an activation we cannot use (here a phone from no
// country we asked for) is refused, and the activation is cancelled
// upstream at once, refunded there: nothing is paid for nothing.
func TestUnusableNumberGivenBack(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		var log bytes.Buffer
		c, up := setup(t, fake.Options{Balance: "10"}, func(c *smsactivate.Config) {
			c.NumberV2, c.Log = v2, slog.New(slog.NewTextHandler(&log, nil))
		})
		up.SetPrice("tg", "0", "0.5", 50)
		up.SetDialect(fake.Dialect{ForeignPhone: true, PlusPhone: true})
		_, err := c.Buy(ctx, "telegram", "ru", 0)
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("v2 %v: %v", v2, err)
		}
		last := up.Requests()[len(up.Requests())-1].URL.Query()
		if last.Get("action") != "setStatus" || last.Get("status") != "8" {
			t.Fatalf("v2 %v: no cancel after an unusable number; last request %v", v2, last)
		}
		if state, _, _ := up.Status(last.Get("id")); state != "cancel" || up.Balance() != 10_000_000 {
			t.Fatalf("v2 %v: activation %s is %q upstream, balance %d", v2, last.Get("id"), state, up.Balance())
		}
		if !strings.Contains(log.String(), "gave back an activation we cannot use") ||
			!strings.Contains(log.String(), "ref="+last.Get("id")) {
			t.Fatalf("v2 %v: not logged: %s", v2, log.String())
		}
	}
	// A cancel the upstream refuses (too early) is said in the error.
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("tg", "0", "0.5", 50)
	up.SetDialect(fake.Dialect{ForeignPhone: true})
	up.SetScript(fake.Script{CancelLocked: true})
	if _, err := c.Buy(ctx, "telegram", "ru", 0); !errors.Is(err, provider.ErrUnavailable) ||
		!errors.Is(err, provider.ErrEarlyCancel) {
		t.Fatalf("refused give-back: %v", err)
	}
}

func TestFullSMSVariants(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.Respond("getStatus", "STATUS_OK:4821", -1)
	up.Respond("getFullSms", "FULL_SMS:Your Uber code: 4821. Never share: this code", 1)
	st, err := c.Check(ctx, "77")
	if err != nil || st.Messages[0].Text != "Your Uber code: 4821. Never share: this code" || st.Messages[0].Code != "4821" {
		t.Fatalf("%+v, %v", st, err)
	}
	up.Respond("getFullSms", "STATUS_WAIT_CODE", 1) // no text yet: keep the code
	st2, err := c.Check(ctx, "77")
	if err != nil || st2.Messages[0].Text != "" || st2.Messages[0].ID != st.Messages[0].ID {
		t.Fatalf("%+v, %v", st2, err)
	}
	up.Respond("getFullSms", "GARBAGE", 1)
	if _, err := c.Check(ctx, "77"); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("garbage full SMS: %v", err)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	c, up := setup(t, fake.Options{}, func(c *smsactivate.Config) {
		c.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})
	up.SetDelay(time.Minute)
	_, err := c.Balance(ctx)
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("slow answer: %v", err)
	}
	if strings.Contains(err.Error(), up.APIKey()) || strings.Contains(err.Error(), "api_key") {
		t.Errorf("error leaks the key: %v", err)
	}
}

func TestHTTPErrors(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	for _, code := range []int{500, 502, 503, 429, 404} {
		up.SetHTTPStatus(code)
		if _, err := c.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("HTTP %d: %v", code, err)
		}
	}
	up.Close()
	if _, err := c.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) || strings.Contains(err.Error(), up.APIKey()) {
		t.Errorf("server gone: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []smsactivate.Config{{BaseURL: "ftp://x", APIKey: "k"}, {BaseURL: "http://x"}, {BaseURL: "::", APIKey: "k"}} {
		if _, err := smsactivate.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	c, _ := smsactivate.New(smsactivate.Config{BaseURL: "https://api.example/", APIKey: "k"})
	if c.Name() != "smsactivate" {
		t.Error(c.Name())
	}
}

// Operators: getOperators names them, getNumbersStatus tells each one's
// stock, all at the pair's price; a country without operators has none;
// a purchase of one operator sends its name.
func TestOperators(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("tg", "16", "0.30", 10)
	up.SetOperatorStock("tg", "16", "vodafone", 4)
	up.SetOperatorStock("tg", "16", "ee", 0)
	up.SetOperatorStock("wa", "16", "o2", 9)
	ops, err := c.Operators(ctx, "telegram", "gb")
	want := []provider.OperatorOffer{{Operator: "ee", Cost: 300_000, Stock: 0}, {Operator: "o2", Cost: 300_000},
		{Operator: "vodafone", Cost: 300_000, Stock: 4}}
	if err != nil || len(ops) != 3 || ops[0] != want[0] || ops[1] != want[1] || ops[2] != want[2] {
		t.Fatalf("operators %+v %v", ops, err)
	}
	if ops, err := c.Operators(ctx, "telegram", "de"); err != nil || len(ops) != 0 {
		t.Fatalf("a country without operators: %+v %v", ops, err)
	}
	n, err := c.BuyOperator(ctx, "telegram", "gb", "vodafone", 0)
	if err != nil || n.Cost != 300_000 {
		t.Fatalf("buy: %+v %v", n, err)
	}
	reqs := up.Requests()
	if q := reqs[len(reqs)-1].URL.Query(); q.Get("operator") != "vodafone" {
		t.Fatalf("getNumber without the operator: %v", q)
	}
	if _, err := c.BuyOperator(ctx, "telegram", "gb", "ee", 0); !errors.Is(err, provider.ErrNoNumbers) {
		t.Fatalf("a sold-out operator: %v", err)
	}
	if _, err := c.BuyOperator(ctx, "telegram", "gb", "ee&x=1", 0); !errors.Is(err, provider.ErrBadService) {
		t.Fatalf("a malformed operator: %v", err)
	}
	up.Respond("getNumbersStatus", "BAD_KEY", 1)
	if _, err := c.Operators(ctx, "telegram", "gb"); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("a failing stock lookup: %v", err)
	}
}
