package smsactivate_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/smsactivate"
)

// answers is an in-memory upstream: the first request gets first, every
// later one rest. It lets the fuzzer write whatever an upstream could
// answer without a socket per input.
type answers struct {
	first, rest string
	calls       atomic.Int32
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	body := a.rest
	if a.calls.Add(1) == 1 {
		body = a.first
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Request: r,
		Body: io.NopCloser(strings.NewReader(body))}, nil
}

// FuzzAnswers feeds every call of the client an arbitrary answer (the
// first request one, the rest another, for calls that make two): none may
// panic, every failure is a typed error, and what is accepted is sane.
// Seeds: the protocol's real answers (testdata/fuzz/FuzzAnswers too).
func FuzzAnswers(f *testing.F) {
	f.Add(`{"16":{"tg":{"cost":0.5,"count":3}}}`, "ACCESS_NUMBER:12608621:447700900123")
	f.Add(`{"16":{"tg":{"cost":"12.5","count":"0"}}}`, "NO_NUMBERS")
	f.Add("STATUS_OK:73519", "FULL_SMS:Your code is 73519")
	f.Add("STATUS_WAIT_RETRY:1234", "")
	f.Add("ACCESS_BALANCE:100.25", "ACCESS_CANCEL")
	f.Add(`{"activationId":"77","phoneNumber":"447700900123","activationCost":"0.50"}`, "ACCESS_CANCEL")
	f.Add(`{"status":"error","error":"NO_BALANCE"}`, "BAD_KEY")
	f.Add("WRONG_MAX_PRICE:0.75", "EARLY_CANCEL_DENIED")
	f.Fuzz(func(t *testing.T, first, rest string) {
		for _, v2 := range []bool{false, true} {
			c := fuzzClient(t, first, rest, v2)
			n, err := c.Buy(ctx, "telegram", "gb", 1_000_000)
			checkNumber(t, first, rest, n, err)
		}
		checkCalls(t, first, rest)
	})
}

func fuzzClient(t *testing.T, first, rest string, v2 bool) *smsactivate.Client {
	t.Helper()
	c, err := smsactivate.New(smsactivate.Config{BaseURL: "http://upstream.invalid", APIKey: "k", NumberV2: v2,
		HTTPClient: &http.Client{Transport: &answers{first: first, rest: rest}}})
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
