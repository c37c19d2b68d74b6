package smsactivate_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate"
)

// answers is an in-memory upstream: the first request gets first, every
// later one rest. It lets the fuzzer write whatever an upstream could
// answer without a socket per input, and records what was asked with
// what answer.
type answers struct {
	first, rest string
	mu          sync.Mutex
	calls       []call
}

type call struct {
	query  url.Values
	answer string
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	a.mu.Lock()
	body := a.rest
	if len(a.calls) == 0 {
		body = a.first
	}
	a.calls = append(a.calls, call{r.URL.Query(), body})
	a.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r,
		Body: io.NopCloser(strings.NewReader(body))}, nil
}

// FuzzAnswers feeds every call of the client an arbitrary answer (the
// first request one, the rest another, for calls that make two): none may
// panic, every failure is a typed error, and what is accepted is sane. A
// buy gives either a usable number, the one its answer named, or an error
// and a cancel (setStatus 8) of every activation its answer named.
// Seeds: the protocol's real answers, clones' variants of them
// (testdata/fuzz/FuzzAnswers too).
func FuzzAnswers(f *testing.F) {
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "ACCESS_NUMBER:12608621:447700900123")
	f.Add(`{"16":{"tg":{"cost":"12.5","count":"0"}}}`, "NO_NUMBERS")
	f.Add("STATUS_OK:73519", "FULL_SMS:Your code is 73519")
	f.Add("STATUS_WAIT_RETRY:1234", "")
	f.Add("ACCESS_BALANCE:100.25", "ACCESS_CANCEL")
	f.Add(`{"activationId":"77","phoneNumber":"447700900123","activationCost":"0.50"}`, "ACCESS_CANCEL")
	f.Add(`{"status":"error","error":"NO_BALANCE"}`, "BAD_KEY")
	f.Add("WRONG_MAX_PRICE:0.75", "EARLY_CANCEL_DENIED")
	// Clones: '+', spaces, lower case, more fields, words we do not know.
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "ACCESS_NUMBER:12608621:+447700900123")
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "access_number : 12608621 : +44 7700 900123 : 0.5")
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "ACCESS_NUMBER:12608621:79036839671")
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "ACCESS_NUMBER:12608621")
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "NO_NUMBERS_RIGHT_NOW")
	f.Add(`{"activationid":77,"phonenumber":"+447700900123","activationcost":0.5,"extra":[1]}`, "ACCESS_CANCEL")
	f.Add(`{"activationId":77,"phoneNumber":"+1 201 555 0123","activationCost":"0.50"}`, "EARLY_CANCEL_DENIED")
	f.Add(`{"status":"error","error":"WHATEVER","activationId":77}`, "ACCESS_CANCEL")
	// The rent actions' answers.
	f.Add(`{"countries":{"16":16},"operators":{"0":"any"},"services":{"tg":{"cost":1.5,"quant":"7"}}}`,
		`{"status":"success","phone":{"id":1049,"endDate":"2026-12-02T12:00:00","number":"447700900123"}}`)
	f.Add(`{"status":"success","quantity":"2","values":{"0":{"phoneFrom":"Bank","text":"code 1234",`+
		`"service":"tg","date":"2026-11-25 12:01:00"},"1":{"phoneFrom":"X","text":"code 5678","date":"bad"}}}`,
		`{"status":"success","quantity":"3","values":{}}`)
	f.Add(`{"status":"error","message":"STATUS_WAIT_CODE"}`, `{"status":"error","message":"CANT_CANCEL"}`)
	f.Add(`{"status":"error","message":"RENT_DIE"}`, `{"status":"success"}`)
	f.Add(`{"status":"success","quantity":"999999999999","values":{"0":{}}}`, `{"status":"error","message":"INCORECT_STATUS"}`)
	f.Fuzz(func(t *testing.T, first, rest string) {
		for _, v2 := range []bool{false, true} {
			up := &answers{first: first, rest: rest}
			n, err := fuzzClientOn(t, up, v2).Buy(ctx, "telegram", "gb", 1_000_000)
			checkNumber(t, first, rest, n, err)
			checkGivenBack(t, up, n, err)
		}
		checkCalls(t, first, rest)
	})
}

// checkGivenBack: a buy that failed cancelled every activation its answer
// named; one that succeeded took the activation named.
func checkGivenBack(t *testing.T, up *answers, n provider.Number, err error) {
	t.Helper()
	up.mu.Lock()
	defer up.mu.Unlock()
	named, cancelled := map[string]bool{}, map[string]bool{}
	for _, c := range up.calls {
		switch c.query.Get("action") {
		case "getNumber", "getNumberV2":
			if id, ok := namedIn(c.answer); ok {
				named[id] = true
			}
		case "setStatus":
			if c.query.Get("status") == "8" {
				cancelled[c.query.Get("id")] = true
			}
		}
	}
	if err == nil {
		if len(named) != 1 || !named[n.Ref] || len(cancelled) != 0 {
			t.Fatalf("bought %+v; answers named %v, cancelled %v", n, named, cancelled)
		}
		return
	}
	for id := range named {
		if !cancelled[id] {
			t.Fatalf("buy failed (%v) without cancelling activation %s its answer named; calls %+v", err, id, up.calls)
		}
	}
}

// namedIn is the activation id an answer names, by the protocol's forms
// as clones vary them: ACCESS_NUMBER:<id>:… (any case, spaces around
// fields), or JSON with an activationId.
func namedIn(answer string) (string, bool) {
	answer = strings.TrimSpace(answer)
	id := ""
	if fields := strings.Split(answer, ":"); len(fields) >= 2 &&
		strings.EqualFold(strings.TrimSpace(fields[0]), "access_number") {
		id = strings.TrimSpace(fields[1])
	} else if strings.HasPrefix(answer, "{") {
		var v struct {
			ActivationID provider.Numeric `json:"activationId"`
		}
		if json.Unmarshal([]byte(answer), &v) != nil {
			return "", false
		}
		id = string(v.ActivationID)
	}
	n, err := strconv.ParseUint(id, 10, 63)
	if err != nil || n == 0 || len(id) > 18 || !digitsOnly(id) {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}

func fuzzClient(t *testing.T, first, rest string, v2 bool) *smsactivate.Client {
	t.Helper()
	return fuzzClientOn(t, &answers{first: first, rest: rest}, v2)
}

func fuzzClientOn(t *testing.T, up *answers, v2 bool) *smsactivate.Client {
	t.Helper()
	c, err := smsactivate.New(smsactivate.Config{BaseURL: "http://upstream.invalid", APIKey: "k", NumberV2: v2,
		HTTPClient: &http.Client{Transport: up}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkNumber(t *testing.T, first, rest string, n provider.Number, err error) {
	t.Helper()
	if err != nil {
		if !provider.IsAnswerError(err) {
			t.Fatalf("buy with %q, %q: unclassified error %v", first, rest, err)
		}
		return
	}
	if !digitsOnly(n.Ref) || n.Ref[0] == '0' || !strings.HasPrefix(n.Phone, "+") || !digitsOnly(n.Phone[1:]) ||
		n.Cost < 0 || n.Cost > 1_000_000 {
		t.Fatalf("buy with %q, %q: accepted %+v", first, rest, n)
	}
}

// checkCalls runs every other call, each on a fresh upstream that answers
// first, then rest.
func checkCalls(t *testing.T, first, rest string) {
	t.Helper()
	offers, err := fuzzClient(t, first, rest, false).Catalogue(ctx)
	mustClassify(t, "catalogue", err)
	for _, o := range offers {
		if o.Cost < 0 || o.Stock < 0 || o.Service == "" || o.Country == "" {
			t.Fatalf("catalogue offer %+v", o)
		}
	}
	st, err := fuzzClient(t, first, rest, false).Check(ctx, "12608621")
	mustClassify(t, "check", err)
	for _, m := range st.Messages {
		if m.ID == "" {
			t.Fatalf("message without an id: %+v", m)
		}
	}
	_, err = fuzzClient(t, first, rest, false).Balance(ctx)
	mustClassify(t, "balance", err)
	mustClassify(t, "cancel", fuzzClient(t, first, rest, false).Cancel(ctx, "12608621"))
	_, err = fuzzClient(t, first, rest, false).Quote(ctx, "telegram", "gb")
	mustClassify(t, "quote", err)
	checkRentCalls(t, first, rest)
}

// checkRentCalls runs the rent actions, each on a fresh upstream: every
// failure typed, what is accepted sane (a rental with a usable number and
// id, SMS with ids and times).
func checkRentCalls(t *testing.T, first, rest string) {
	t.Helper()
	q, err := fuzzClient(t, first, rest, false).RentQuote(ctx, "telegram", "gb", 7)
	mustClassify(t, "rent quote", err)
	if q.Cost < 0 || q.Stock < 0 {
		t.Fatalf("rent quote %+v", q)
	}
	n, err := fuzzClient(t, first, rest, false).Rent(ctx, "telegram", "gb", 1, 5_000_000)
	mustClassify(t, "rent", err)
	if err == nil && (!digitsOnly(n.Ref) || n.Ref[0] == '0' || !strings.HasPrefix(n.Phone, "+") ||
		!digitsOnly(n.Phone[1:]) || n.Cost < 0 || n.Cost > 5_000_000) {
		t.Fatalf("rent with %q, %q: accepted %+v", first, rest, n)
	}
	st, err := fuzzClient(t, first, rest, false).RentCheck(ctx, "12608621")
	mustClassify(t, "rent check", err)
	for i, m := range st.Messages {
		if m.ID == "" || m.ReceivedAt.IsZero() {
			t.Fatalf("rent check message %d: %+v", i, m)
		}
	}
	_, err = fuzzClient(t, first, rest, false).ExtendRent(ctx, "12608621", 7)
	mustClassify(t, "extend", err)
	mustClassify(t, "rent cancel", fuzzClient(t, first, rest, false).CancelRent(ctx, "12608621"))
	mustClassify(t, "rent finish", fuzzClient(t, first, rest, false).FinishRent(ctx, "12608621"))
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
