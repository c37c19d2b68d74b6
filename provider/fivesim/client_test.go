package fivesim_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/fivesim"
	"github.com/wantsms/wantsms/provider/fivesim/fake"
)

var ctx = context.Background()

func setup(t *testing.T, opt fake.Options, mod func(*fivesim.Config)) (*fivesim.Client, *fake.Server) {
	t.Helper()
	up := fake.New(opt)
	t.Cleanup(func() {
		assertPrivate(t, up)
		up.Close()
	})
	cfg := fivesim.Config{BaseURL: up.BaseURL(), Token: up.Token()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := fivesim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, up
}

// assertPrivate: only the token (and not on guest calls), Accept, and
// protocol query parameters ever go upstream.
func assertPrivate(t *testing.T, up *fake.Server) {
	t.Helper()
	allowed := map[string]bool{"maxPrice": true, "country": true, "product": true}
	for _, r := range up.Requests() {
		if r.Method != http.MethodGet || len(r.Body) != 0 || !strings.HasPrefix(r.URL.Path, "/v1/") {
			t.Errorf("request %s %s", r.Method, r.URL)
		}
		for k := range r.URL.Query() {
			if !allowed[k] {
				t.Errorf("request %s sends %s", r.URL.Path, k)
			}
		}
		guest := strings.HasPrefix(r.URL.Path, "/v1/guest/")
		if auth := r.Header.Get("Authorization"); (auth != "") == guest {
			t.Errorf("%s: Authorization %q", r.URL.Path, auth)
		}
		for h := range r.Header {
			switch h {
			case "User-Agent", "Accept-Encoding", "Accept", "Authorization":
			default:
				t.Errorf("request sends header %s", h)
			}
		}
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("%s without Accept: application/json", r.URL.Path)
		}
	}
}

func TestCatalogue(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("england", "telegram", "virtual8", "0.9", 10)
	up.SetPrice("england", "telegram", "virtual12", "0.7", 5)
	up.SetPrice("england", "telegram", "virtual4", "0.5", 0) // cheapest, no stock
	up.SetPrice("russia", "whatsapp", "mts", "0.2", 0)
	up.SetPrice("england", "aliexpress", "virtual8", "0.1", 9) // unknown product
	up.SetPrice("atlantis", "telegram", "any", "0.1", 9)       // unknown country
	offers, err := c.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[provider.Offer]bool{
		{Service: "telegram", Country: "gb", Cost: 700_000, Stock: 15}: true,
		{Service: "whatsapp", Country: "ru", Cost: 200_000, Stock: 0}:  true,
	}
	if len(offers) != 2 || !want[offers[0]] || !want[offers[1]] {
		t.Fatalf("offers %+v", offers)
	}
	q, err := c.Quote(ctx, "telegram", "gb")
	if err != nil || q.Cost != 700_000 || q.Stock != 15 {
		t.Fatalf("quote %+v, %v", q, err)
	}
	last := up.Requests()[len(up.Requests())-1].URL.Query()
	if last.Get("country") != "england" || last.Get("product") != "telegram" {
		t.Errorf("quote query %v", last)
	}
}

func TestFullLife(t *testing.T) {
	c, up := setup(t, fake.Options{Balance: "5"}, nil)
	up.SetPrice("germany", "google", "virtual21", "0.35", 3)
	up.SetScript(fake.Script{SMSAfterChecks: 1, Sender: "Google", Text: "G-{code} is your Google verification code."})
	before := time.Now()
	n, err := c.Buy(ctx, "google", "de", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(n.Phone, "+49") || n.Cost != 350_000 || n.ExpiresAt.Before(before.Add(14*time.Minute)) {
		t.Fatalf("number %+v", n)
	}
	if st, err := c.Check(ctx, n.Ref); err != nil || st.State != provider.Waiting || len(st.Messages) != 0 {
		t.Fatalf("first check %+v, %v", st, err)
	}
	st, err := c.Check(ctx, n.Ref)
	if err != nil || st.State != provider.Received || len(st.Messages) != 1 {
		t.Fatalf("second check %+v, %v", st, err)
	}
	m := st.Messages[0]
	if m.Sender != "Google" || m.Code == "" || provider.ExtractCode(m.Text) != m.Code || m.ReceivedAt.IsZero() {
		t.Fatalf("message %+v", m)
	}
	if err := c.Again(ctx, n.Ref); !errors.Is(err, provider.ErrNotSupported) {
		t.Errorf("again: %v", err)
	}
	id, _ := strconv.ParseInt(n.Ref, 10, 64)
	up.AddSMS(id, "Google", "G-112233 is your Google verification code.", "")
	st, _ = c.Check(ctx, n.Ref)
	if len(st.Messages) != 2 || st.Messages[0].ID != m.ID || st.Messages[1].Code != "112233" {
		t.Fatalf("more SMS %+v", st)
	}
	if err := c.Cancel(ctx, n.Ref); !errors.Is(err, provider.ErrBadState) || !strings.Contains(err.Error(), "order has sms") {
		t.Errorf("cancel after SMS: %v", err)
	}
	if err := c.Finish(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.Check(ctx, n.Ref); st.State != provider.Finished {
		t.Errorf("after finish %s", st.State)
	}
}

func TestCancelBanRefund(t *testing.T) {
	c, up := setup(t, fake.Options{Balance: "1"}, nil)
	up.SetPrice("russia", "telegram", "mts", "0.4", 5)
	up.SetScript(fake.Script{Never: true})
	n1, _ := c.Buy(ctx, "telegram", "ru", 0)
	n2, _ := c.Buy(ctx, "telegram", "ru", 0)
	if _, err := c.Buy(ctx, "telegram", "ru", 0); !errors.Is(err, provider.ErrNoBalance) {
		t.Errorf("third buy: %v", err)
	}
	if err := c.Cancel(ctx, n1.Ref); err != nil {
		t.Fatal(err)
	}
	if err := c.Ban(ctx, n2.Ref); err != nil {
		t.Fatal(err)
	}
	s1, _ := c.Check(ctx, n1.Ref)
	s2, _ := c.Check(ctx, n2.Ref)
	if s1.State != provider.Cancelled || s2.State != provider.Banned || up.Balance() != 1_000_000 {
		t.Errorf("%s %s balance %d", s1.State, s2.State, up.Balance())
	}
	if b, err := c.Balance(ctx); err != nil || b != 1_000_000 {
		t.Errorf("balance %d, %v", b, err)
	}
}

func TestPriceCap(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("usa", "discord", "virtual", "0.8", 5)
	n, err := c.Buy(ctx, "discord", "us", 900_000)
	if err != nil || n.Cost != 800_000 {
		t.Fatalf("%+v, %v", n, err)
	}
	if q := up.Requests()[0].URL.Query(); q.Get("maxPrice") != "0.9" {
		t.Errorf("maxPrice not sent: %v", q)
	}
	// 5sim ignoring the cap: the number is given straight back
	if _, err := c.Buy(ctx, "discord", "us", 500_000); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("over cap: %v", err)
	}
	reqs := up.Requests()
	if last := reqs[len(reqs)-1].URL.Path; !strings.HasPrefix(last, "/v1/user/cancel/") {
		t.Errorf("not cancelled: %s", last)
	}
}

// Orders worded otherwise (a phone without '+' or spaced, statuses in
// lower case, fields we do not know) are read all the same.
func TestOrderForms(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("england", "telegram", "virtual8", "0.9", 50)
	up.SetScript(fake.Script{SMSAfterChecks: 0, Text: "code {code}"})
	for _, d := range []fake.Dialect{{NoPlus: true}, {Spaces: true}, {LowerCase: true}, {Extra: "x"},
		{NoPlus: true, Spaces: true, LowerCase: true, Extra: "y"}} {
		up.SetDialect(d)
		n, err := c.Buy(ctx, "telegram", "gb", 0)
		if err != nil || !strings.HasPrefix(n.Phone, "+44") || strings.Contains(n.Phone, " ") {
			t.Errorf("%+v: %+v %v", d, n, err)
			continue
		}
		if st, err := c.Check(ctx, n.Ref); err != nil || st.State != provider.Received || len(st.Messages) != 1 {
			t.Errorf("%+v: check %+v %v", d, st, err)
		}
	}
}

// An order we cannot use (a phone from no country we asked for) is
// refused and cancelled at 5sim at once, refunded there.
func TestUnusableOrderCancelled(t *testing.T) {
	var log bytes.Buffer
	c, up := setup(t, fake.Options{Balance: "10"}, func(c *fivesim.Config) {
		c.Log = slog.New(slog.NewTextHandler(&log, nil))
	})
	up.SetPrice("england", "telegram", "virtual8", "0.9", 50)
	up.SetDialect(fake.Dialect{ForeignPhone: true})
	if _, err := c.Buy(ctx, "telegram", "gb", 0); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("unusable order: %v", err)
	}
	reqs := up.Requests()
	last := reqs[len(reqs)-1].URL.Path
	id, ok := strings.CutPrefix(last, "/v1/user/cancel/")
	if !ok {
		t.Fatalf("not cancelled: last request %s", last)
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	if st := up.OrderStatus(n); st != "CANCELED" || up.Balance() != 10_000_000 {
		t.Fatalf("order %s is %q at 5sim, balance %d", id, st, up.Balance())
	}
	if !strings.Contains(log.String(), "cancelled an order we cannot use") || !strings.Contains(log.String(), "ref="+id) {
		t.Fatalf("not logged: %s", log.String())
	}
}

func TestErrors(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("india", "tiktok", "jio", "0.1", 0)
	cases := []struct {
		status int
		body   string
		want   error
	}{
		{400, "no free phones", provider.ErrNoNumbers},
		{400, "not enough user balance", provider.ErrNoBalance},
		{400, "not enough rating", provider.ErrUnavailable},
		{400, "order expired", provider.ErrBadState},
		{400, "order has sms", provider.ErrBadState},
		{400, "hosting order", provider.ErrBadState},
		{400, "bad country", provider.ErrBadService},
		{400, "product is incorrect", provider.ErrBadService},
		{400, `{"message":"No free phones"}`, provider.ErrNoNumbers},
		{400, "something new", provider.ErrUnavailable},
		{401, "", provider.ErrUnavailable},
		{404, "not found", provider.ErrBadService},
		{429, "too many requests", provider.ErrUnavailable},
		{503, "offline", provider.ErrUnavailable},
		{500, "boom", provider.ErrUnavailable},
		{200, "<html>hello</html>", provider.ErrUnavailable},
		{200, "no free phones", provider.ErrNoNumbers},
		{200, `{"id":"x","phone":"+919000000001","price":0.1,"status":"RECEIVED","expires":"2025-01-01T00:00:00Z"}`, provider.ErrUnavailable},
		{200, `{"id":5,"phone":"+449000000001","price":0.1,"status":"RECEIVED","expires":"2025-01-01T00:00:00Z"}`, provider.ErrUnavailable},
		{200, `{"id":5,"phone":"+919000000001","price":"cheap","status":"RECEIVED","expires":"2025-01-01T00:00:00Z"}`, provider.ErrUnavailable},
		{200, `{"id":5,"phone":"+919000000001","price":0.1,"status":"RECEIVED","expires":"soon"}`, provider.ErrUnavailable},
	}
	for _, tc := range cases {
		up.Respond("/user/buy/", tc.status, tc.body, 1)
		_, err := c.Buy(ctx, "tiktok", "in", 0)
		if !errors.Is(err, tc.want) {
			t.Errorf("buy answered %d %q: %v, want %v", tc.status, tc.body, err, tc.want)
		}
	}
	if _, err := c.Buy(ctx, "tiktok", "in", 0); !errors.Is(err, provider.ErrNoNumbers) {
		t.Errorf("real no stock: %v", err)
	}
	if _, err := c.Check(ctx, "424242"); !errors.Is(err, provider.ErrUnknownActivation) {
		t.Errorf("unknown order: %v", err)
	}
	if _, err := c.Check(ctx, "abc"); !errors.Is(err, provider.ErrUnknownActivation) {
		t.Errorf("malformed ref: %v", err)
	}
	up.Respond("/user/check/", 200, `{"id":7,"status":"WEIRD","sms":[]}`, 1)
	if _, err := c.Check(ctx, "7"); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("unknown status: %v", err)
	}
	for status, want := range map[string]provider.State{"PENDING": provider.Waiting, "TIMEOUT": provider.Expired, "CANCELED": provider.Cancelled, "BANNED": provider.Banned, "FINISHED": provider.Finished} {
		up.Respond("/user/check/", 200, `{"id":7,"status":"`+status+`","sms":null}`, 1)
		if st, err := c.Check(ctx, "7"); err != nil || st.State != want {
			t.Errorf("%s: %+v, %v", status, st, err)
		}
	}
	bad, _ := fivesim.New(fivesim.Config{BaseURL: up.BaseURL(), Token: "wrong"})
	if _, err := bad.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad token: %v", err)
	}
}

func TestSMSWithoutID(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("brazil", "uber", "claro", "0.05", 2)
	up.SetScript(fake.Script{SMSAfterChecks: 0, NoSMSID: true, Text: "Seu código do Uber é {code}. Não compartilhe."})
	n, _ := c.Buy(ctx, "uber", "br", 0)
	a, _ := c.Check(ctx, n.Ref)
	b, _ := c.Check(ctx, n.Ref)
	if len(a.Messages) != 1 || a.Messages[0].ID != b.Messages[0].ID || a.Messages[0].Code == "" {
		t.Fatalf("%+v %+v", a, b)
	}
}

func TestSlowAnswerTimesOut(t *testing.T) {
	c, up := setup(t, fake.Options{}, func(c *fivesim.Config) {
		c.HTTPClient = &http.Client{Timeout: 100 * time.Millisecond}
	})
	up.SetDelay(time.Minute)
	_, err := c.Balance(ctx)
	if !errors.Is(err, provider.ErrUnavailable) || strings.Contains(err.Error(), up.Token()) {
		t.Fatalf("slow answer: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := fivesim.New(fivesim.Config{}); err == nil {
		t.Error("no token accepted")
	}
	if _, err := fivesim.New(fivesim.Config{Token: "t", BaseURL: "5sim.net"}); err == nil {
		t.Error("bad URL accepted")
	}
	c, err := fivesim.New(fivesim.Config{Token: "t"})
	if err != nil || c.Name() != "fivesim" {
		t.Error(err)
	}
}

// Operators are the pair's operators in /guest/prices, each at its own
// cost and stock; a purchase of one names it in the path.
func TestOperators(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetPrice("england", "telegram", "virtual8", "0.50", 7)
	up.SetPrice("england", "telegram", "ee", "0.40", 0)
	ops, err := c.Operators(ctx, "telegram", "gb")
	want := []provider.OperatorOffer{{Operator: "ee", Cost: 400_000}, {Operator: "virtual8", Cost: 500_000, Stock: 7}}
	if err != nil || len(ops) != 2 || ops[0] != want[0] || ops[1] != want[1] {
		t.Fatalf("operators %+v %v", ops, err)
	}
	if ops, err := c.Operators(ctx, "telegram", "de"); err != nil || len(ops) != 0 {
		t.Fatalf("a pair not sold: %+v %v", ops, err)
	}
	n, err := c.BuyOperator(ctx, "telegram", "gb", "virtual8", 0)
	if err != nil || n.Cost != 500_000 {
		t.Fatalf("buy: %+v %v", n, err)
	}
	reqs := up.Requests()
	if p := reqs[len(reqs)-1].URL.Path; p != "/v1/user/buy/activation/england/virtual8/telegram" {
		t.Fatalf("bought at %s", p)
	}
	if _, err := c.BuyOperator(ctx, "telegram", "gb", "../any", 0); !errors.Is(err, provider.ErrBadService) {
		t.Fatalf("a malformed operator: %v", err)
	}
}
