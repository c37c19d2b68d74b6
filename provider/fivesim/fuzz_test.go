package fivesim_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/fivesim"
)

// answers is an in-memory 5sim: the first request gets status and first,
// every later one 200 and rest, so the fuzzer writes whatever 5sim could
// answer without a socket per input. It records the paths asked for.
type answers struct {
	status      int
	first, rest string
	mu          sync.Mutex
	paths       []string
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	status, body := http.StatusOK, a.rest
	if len(a.paths) == 0 {
		status, body = a.status, a.first
	}
	a.paths = append(a.paths, r.URL.Path)
	a.mu.Unlock()
	return &http.Response{StatusCode: status, Header: http.Header{}, Request: r,
		Body: io.NopCloser(strings.NewReader(body))}, nil
}

// FuzzAnswers feeds every call of the client an arbitrary answer: none
// may panic, every failure is a typed error, and what is accepted is
// sane. A buy gives either a usable number, the order its answer named,
// or an error and a cancel of the order its answer named. Seeds: 5sim's
// real answers and variants of them (testdata/fuzz/FuzzAnswers too).
func FuzzAnswers(f *testing.F) {
	order := `{"id":11631253,"phone":"+447700900123","operator":"virtual8","product":"telegram","price":0.9,` +
		`"status":"RECEIVED","expires":"2026-11-25T12:15:00.000Z","sms":[],"created_at":"2026-11-25T12:00:00Z",` +
		`"country":"england"}`
	f.Add(200, order, order)
	f.Add(200, strings.Replace(order, `"sms":[]`, `"sms":[{"id":3,"created_at":"2026-11-25T12:01:00Z",`+
		`"date":"2026-11-25T12:01:00Z","sender":"Telegram","text":"Telegram code 73519","code":"73519"}]`, 1), "")
	f.Add(200, `{"england":{"telegram":{"virtual8":{"cost":0.9,"count":12,"rate":99}}}}`, "")
	f.Add(200, `{"england":{"telegram":{"virtual8":null,"virtual4":{"cost":"1.5","count":"0"}}}}`, "")
	f.Add(200, `{"1day":{"Category":"hosting","Qty":3,"Price":0.9},"telegram":{"Category":"activation","Qty":1,"Price":0.5}}`, "")
	f.Add(200, strings.Replace(order, `"product":"telegram"`, `"product":"1day"`, 1),
		`{"Data":[{"id":1,"created_at":"2026-11-25T12:01:00Z","sender":"Bank","text":"code 1234","code":"1234"}],"Total":1}`)
	f.Add(400, "no free phones", "")
	f.Add(400, `{"message":"not enough user balance"}`, "")
	f.Add(404, "order not found", "")
	f.Add(200, `{"id":1,"email":"x@example.com","balance":12.5,"rating":96}`, "")
	f.Add(200, `{"id":1,"phone":"+447700900123","price":99,"status":"RECEIVED","expires":"2026-11-25T12:15:00Z"}`,
		`{"id":1,"status":"CANCELED"}`)
	// Variants: no '+', spaces, lower case, more fields, unknown words,
	// and orders no one can use.
	f.Add(200, strings.Replace(order, `"+447700900123"`, `"447700900123"`, 1), "")
	f.Add(200, strings.Replace(strings.Replace(order, `"+447700900123"`, `"+44 7700 900123"`, 1), "RECEIVED",
		"received", 1), "")
	f.Add(200, strings.Replace(order, `"country":"england"}`, `"country":"england","extra":{"a":[1]}}`, 1), "")
	f.Add(200, strings.Replace(order, `"+447700900123"`, `"+79036839671"`, 1), `{"id":11631253,"status":"CANCELED"}`)
	f.Add(200, strings.Replace(order, "RECEIVED", "FROZEN", 1), "order not found")
	f.Add(200, `{"id":"11631253","phone":true}`, "")
	f.Add(400, "no free phones today, try tomorrow", "")
	f.Add(400, "something new went wrong", "")
	f.Add(200, `"no free phones"`, "")
	f.Fuzz(func(t *testing.T, status int, first, rest string) {
		if status < 100 || status > 999 {
			status = 200
		}
		up := &answers{status: status, first: first, rest: rest}
		n, err := fuzzClientOn(t, up).Buy(ctx, "telegram", "gb", 1_000_000)
		if err != nil {
			mustClassify(t, "buy", err)
		} else if !strings.HasPrefix(n.Phone, "+") || !digitsOnly(n.Phone[1:]) || !digitsOnly(n.Ref) ||
			n.Ref[0] == '0' || n.Cost < 0 || n.Cost > 1_000_000 {
			t.Fatalf("buy with %d %q, %q: accepted %+v", status, first, rest, n)
		}
		checkGivenBack(t, up, n, err)
		checkCalls(t, status, first, rest)
	})
}

// checkGivenBack: a buy that failed cancelled the order its answer named;
// one that succeeded took that order.
func checkGivenBack(t *testing.T, up *answers, n provider.Number, err error) {
	t.Helper()
	up.mu.Lock()
	defer up.mu.Unlock()
	named, ok := "", false
	if up.status == http.StatusOK {
		named, ok = namedIn(up.first)
	}
	cancelled := slices.Contains(up.paths, "/v1/user/cancel/"+named)
	switch {
	case err == nil && (!ok || n.Ref != named || len(up.paths) != 1):
		t.Fatalf("bought %+v; the answer named %q; calls %v", n, named, up.paths)
	case err != nil && ok && !cancelled:
		t.Fatalf("buy failed (%v) without cancelling order %s its answer named; calls %v", err, named, up.paths)
	}
}

// namedIn is the order id a buy's JSON answer names.
func namedIn(answer string) (string, bool) {
	var o struct {
		ID provider.Numeric `json:"id"`
	}
	if json.Unmarshal([]byte(answer), &o) != nil {
		return "", false
	}
	id := string(o.ID)
	n, err := strconv.ParseUint(id, 10, 63)
	if err != nil || n == 0 || len(id) > 18 || !digitsOnly(id) {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

// checkCalls runs every other call, each on a fresh upstream.
func checkCalls(t *testing.T, status int, first, rest string) {
	t.Helper()
	offers, err := fuzzClient(t, status, first, rest).Catalogue(ctx)
	mustClassify(t, "catalogue", err)
	for _, o := range offers {
		if o.Cost < 0 || o.Stock < 0 || o.Service == "" || o.Country == "" {
			t.Fatalf("catalogue offer %+v", o)
		}
	}
	st, err := fuzzClient(t, status, first, rest).Check(ctx, "11631253")
	mustClassify(t, "check", err)
	for _, m := range st.Messages {
		if m.ID == "" {
			t.Fatalf("message without an id: %+v", m)
		}
	}
	if st.State == provider.Waiting && len(st.Messages) > 0 {
		t.Fatalf("waiting with messages: %+v", st)
	}
	_, err = fuzzClient(t, status, first, rest).Balance(ctx)
	mustClassify(t, "balance", err)
	mustClassify(t, "cancel", fuzzClient(t, status, first, rest).Cancel(ctx, "11631253"))
	_, err = fuzzClient(t, status, first, rest).Quote(ctx, "telegram", "gb")
	mustClassify(t, "quote", err)
	checkHostingCalls(t, status, first, rest)
}

// checkHostingCalls runs the hosting (rental) calls, each on a fresh
// upstream: every failure typed, what is accepted sane.
func checkHostingCalls(t *testing.T, status int, first, rest string) {
	t.Helper()
	q, err := fuzzClient(t, status, first, rest).RentQuote(ctx, "telegram", "gb", 1)
	mustClassify(t, "rent quote", err)
	if q.Cost < 0 || q.Stock < 0 {
		t.Fatalf("rent quote %+v", q)
	}
	n, err := fuzzClient(t, status, first, rest).Rent(ctx, "telegram", "gb", 1, 5_000_000)
	mustClassify(t, "rent", err)
	if err == nil && (!strings.HasPrefix(n.Phone, "+") || !digitsOnly(n.Phone[1:]) || !digitsOnly(n.Ref) ||
		n.Ref[0] == '0' || n.Cost < 0 || n.Cost > 5_000_000) {
		t.Fatalf("rent with %d %q, %q: accepted %+v", status, first, rest, n)
	}
	st, err := fuzzClient(t, status, first, rest).RentCheck(ctx, "11631253")
	mustClassify(t, "rent check", err)
	for _, m := range st.Messages {
		if m.ID == "" {
			t.Fatalf("message without an id: %+v", m)
		}
	}
	mustClassify(t, "rent finish", fuzzClient(t, status, first, rest).FinishRent(ctx, "11631253"))
}

func fuzzClient(t *testing.T, status int, first, rest string) *fivesim.Client {
	t.Helper()
	return fuzzClientOn(t, &answers{status: status, first: first, rest: rest})
}

func fuzzClientOn(t *testing.T, up *answers) *fivesim.Client {
	t.Helper()
	c, err := fivesim.New(fivesim.Config{BaseURL: "http://upstream.invalid/v1", Token: "t",
		HTTPClient: &http.Client{Transport: up}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustClassify(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil && !provider.IsAnswerError(err) {
		t.Fatalf("%s: unclassified error %v", call, err)
	}
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
