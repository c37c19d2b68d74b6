package fivesim_test

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/fivesim"
)

// answers is an in-memory 5sim: the first request gets status and first,
// every later one 200 and rest, so the fuzzer writes whatever 5sim could
// answer without a socket per input.
type answers struct {
	status      int
	first, rest string
	calls       atomic.Int32
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	status, body := http.StatusOK, a.rest
	if a.calls.Add(1) == 1 {
		status, body = a.status, a.first
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Request: r,
		Body: io.NopCloser(strings.NewReader(body))}, nil
}

// FuzzAnswers feeds every call of the client an arbitrary answer: none
// may panic, every failure is a typed error, and what is accepted is
// sane. Seeds: 5sim's real answers (testdata/fuzz/FuzzAnswers too).
func FuzzAnswers(f *testing.F) {
	order := `{"id":11631253,"phone":"+447700900123","operator":"virtual8","product":"telegram","price":0.9,` +
		`"status":"RECEIVED","expires":"2026-11-25T12:15:00.000Z","sms":[],"created_at":"2026-11-25T12:00:00Z",` +
		`"country":"england"}`
	f.Add(200, order, order)
	f.Add(200, strings.Replace(order, `"sms":[]`, `"sms":[{"id":3,"created_at":"2026-11-25T12:01:00Z",`+
		`"date":"2026-11-25T12:01:00Z","sender":"Telegram","text":"Telegram code 73519","code":"73519"}]`, 1), "")
	f.Add(200, `{"england":{"telegram":{"virtual8":{"cost":0.9,"count":12,"rate":99}}}}`, "")
	f.Add(200, `{"england":{"telegram":{"virtual8":null,"virtual4":{"cost":"1.5","count":"0"}}}}`, "")
	f.Add(400, "no free phones", "")
	f.Add(400, `{"message":"not enough user balance"}`, "")
	f.Add(404, "order not found", "")
	f.Add(200, `{"id":1,"email":"x@example.com","balance":12.5,"rating":96}`, "")
	f.Add(200, `{"id":1,"phone":"+447700900123","price":99,"status":"RECEIVED","expires":"2026-11-25T12:15:00Z"}`,
		`{"id":1,"status":"CANCELED"}`)
	f.Fuzz(func(t *testing.T, status int, first, rest string) {
		if status < 100 || status > 999 {
			status = 200
		}
		n, err := fuzzClient(t, status, first, rest).Buy(ctx, "telegram", "gb", 1_000_000)
		if err != nil {
			mustClassify(t, "buy", err)
		} else if !strings.HasPrefix(n.Phone, "+") || !digitsOnly(n.Phone[1:]) || !digitsOnly(n.Ref) ||
			n.Ref[0] == '0' || n.Cost < 0 || n.Cost > 1_000_000 {
			t.Fatalf("buy with %d %q, %q: accepted %+v", status, first, rest, n)
		}
		checkCalls(t, status, first, rest)
	})
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
}

func fuzzClient(t *testing.T, status int, first, rest string) *fivesim.Client {
	t.Helper()
	c, err := fivesim.New(fivesim.Config{BaseURL: "http://upstream.invalid/v1", Token: "t",
		HTTPClient: &http.Client{Transport: &answers{status: status, first: first, rest: rest}}})
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
