package billing

import (
	"context"
	"errors"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestSatsAndCents(t *testing.T) {
	cases := []struct{ cents, price, sats, back int64 }{
		{2500, 786685, 317789, 2499}, // $25 at $7866.85: 317789.37 sats, which are worth $24.999…
		{200, 9712346, 2059, 199},
		{1, 3, 33333333, 0},    // 33333333.3 rounds down
		{2, 3, 66666667, 2},    // 66666666.7 rounds up
		{1, 2, 50000000, 1},    // exact
		{1, 200_000_000, 1, 2}, // half a sat rounds up; that sat is worth 2¢
		{50000, 100, 50000000000, 50000},
		{0, 786685, 0, 0},
		{-5, 786685, 0, 0},
		{5, 0, 0, 0},
	}
	for _, c := range cases {
		if got := SatsFor(c.cents, c.price); got != c.sats {
			t.Errorf("SatsFor(%d, %d) = %d, want %d", c.cents, c.price, got, c.sats)
		}
		if got := CentsFor(c.sats, c.price); got != c.back {
			t.Errorf("CentsFor(%d, %d) = %d, want %d", c.sats, c.price, got, c.back)
		}
	}
	if got := SatsFor(math.MaxInt64, 1); got != math.MaxInt64 {
		t.Errorf("overflow did not saturate: %d", got)
	}
	if got := CentsFor(math.MaxInt64, math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("overflow did not saturate: %d", got)
	}
}

// Round trips, checked against exact rational arithmetic: the sats are
// the nearest to the amount, and converting back loses at most one cent.
func TestSatsRoundTrip(t *testing.T) {
	for _, price := range []int64{100, 786685, 9712346, 12345678901, 1_000_000_000_000} {
		for cents := int64(1); cents <= 50000; cents += 97 {
			sats := SatsFor(cents, price)
			exact := new(big.Rat).SetFrac(big.NewInt(cents*SatsPerBTC), big.NewInt(price))
			diff := new(big.Rat).Sub(exact, new(big.Rat).SetInt64(sats))
			if diff.Abs(diff).Cmp(big.NewRat(1, 2)) > 0 {
				t.Fatalf("SatsFor(%d, %d) = %d, exact %s", cents, price, sats, exact.FloatString(3))
			}
			if back := CentsFor(sats, price); back > cents+price/SatsPerBTC || back < cents-1-price/SatsPerBTC {
				t.Fatalf("CentsFor(SatsFor(%d)) = %d at %d", cents, back, price)
			}
		}
	}
}

func TestFormatBTCAndURI(t *testing.T) {
	cases := map[int64]string{
		12345:         "0.00012345",
		0:             "0.00000000",
		100_000_000:   "1.00000000",
		2_100_000_001: "21.00000001",
		-1:            "-0.00000001",
	}
	for sats, want := range cases {
		if got := FormatBTC(sats); got != want {
			t.Errorf("FormatBTC(%d) = %q, want %q", sats, got, want)
		}
	}
	if got := PaymentURI("bc1qxyz", 12345); got != "bitcoin:bc1qxyz?amount=0.00012345" {
		t.Errorf("PaymentURI = %q", got)
	}
}

func TestCreditFor(t *testing.T) {
	q := NewQuote(2500, 786685)
	if q.ExpectedSats != 317789 {
		t.Fatalf("quote %+v", q)
	}
	cases := []struct {
		sats  int64
		cents int64
		note  string
	}{
		{317789, 2500, "paid as quoted"}, // worth 2499.99¢: the quote is honoured
		{0, 0, "nothing received"},
		{-3, 0, "nothing received"},
		{317788, 2500, "underpaid within 1%"},
		{314612, 2500, "underpaid within 1%"}, // 99.0003 %
		{314611, 2474, "underpaid: 0.00314611 sent for a 0.00317789 quote, $24.74 of $25.00 credited"},
		{158895, 1250, "underpaid:"},
		{317790, 2500, "overpaid"},
		{476684, 3750, "overpaid: 0.00476684 sent for a 0.00317789 quote, $37.50 credited"},
	}
	for _, c := range cases {
		cents, note := CreditFor(q, c.sats)
		if cents != c.cents || !strings.HasPrefix(note, c.note) {
			t.Errorf("CreditFor(%d) = %d %q; want %d %q…", c.sats, cents, note, c.cents, c.note)
		}
	}
}

// Crediting each new transaction with CreditFor(total) − CreditFor(before)
// is safe: the function never decreases, so no difference is negative, and
// two halves credit what one payment of their sum would.
func TestCreditForIsMonotonic(t *testing.T) {
	q := NewQuote(2500, 786685)
	prev := int64(-1)
	check := func(v int64) {
		c, _ := CreditFor(q, v)
		if c < prev {
			t.Fatalf("CreditFor(%d) = %d < %d before", v, c, prev)
		}
		prev = c
	}
	for v := int64(0); v < 314000; v += 97 {
		check(v)
	}
	for v := int64(314000); v <= 318000; v++ { // every sat across the slack edge and the quote
		check(v)
	}
	for v := int64(318001); v <= 2*q.ExpectedSats; v += 97 {
		check(v)
	}
	first, _ := CreditFor(q, 160000)
	total, _ := CreditFor(q, 317000)
	if first != 1258 || total != 2500 {
		t.Errorf("two-part payment: %d then %d", first, total)
	}
}

func callbackQuery(kv ...string) url.Values {
	q := url.Values{"secret": {btcSecret}, "status": {"2"}, "addr": {"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
		"value": {"317789"}, "txid": {strings.Repeat("ab", 32)}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<del>" {
			q.Del(kv[i])
		} else {
			q[kv[i]] = strings.Split(kv[i+1], "|")
		}
	}
	return q
}

func TestParseCallback(t *testing.T) {
	b, _ := newTestBlockonomics(t, BlockonomicsConfig{})
	c, err := b.ParseCallback(callbackQuery())
	want := Callback{Status: BTCConfirmed, Addr: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", Txid: strings.Repeat("ab", 32), ValueSats: 317789}
	if err != nil || c != want {
		t.Fatalf("%+v, %v", c, err)
	}
	c, err = b.ParseCallback(callbackQuery("status", "0", "rbf", "1", "txid", strings.Repeat("AB", 32), "value", "0"))
	if err != nil || !c.RBF || c.Status != BTCUnconfirmed || c.Txid != strings.Repeat("ab", 32) || c.ValueSats != 0 {
		t.Fatalf("%+v, %v", c, err)
	}
	if c, err = b.ParseCallback(callbackQuery("status", "-1", "rbf", "0")); err != nil || c.Status != BTCPaymentError || c.RBF {
		t.Fatalf("%+v, %v", c, err)
	}
}

func TestParseCallbackBadSecret(t *testing.T) {
	b, _ := newTestBlockonomics(t, BlockonomicsConfig{})
	for _, s := range []string{"<del>", "", "cb-secret-12", "cb-secret-1234", "CB-SECRET-123", btcSecret + "|" + btcSecret} {
		// Garbage elsewhere too: the secret is judged first.
		if _, err := b.ParseCallback(callbackQuery("secret", s, "status", "9")); !errors.Is(err, ErrBadSecret) {
			t.Errorf("secret %q: %v", s, err)
		}
	}
	var off Blockonomics
	if _, err := off.ParseCallback(callbackQuery("secret", "")); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestParseCallbackBadFields(t *testing.T) {
	b, _ := newTestBlockonomics(t, BlockonomicsConfig{})
	bad := [][]string{
		{"status", "<del>"}, {"status", "3"}, {"status", "-2"}, {"status", "two"}, {"status", "2|2"}, {"status", ""},
		{"addr", "<del>"}, {"addr", "bc1q"}, {"addr", "bc1q<script>alert(1)</script>xxxxxxxxxxxx"},
		{"txid", "<del>"}, {"txid", strings.Repeat("a", 63)}, {"txid", strings.Repeat("g", 64)},
		{"txid", strings.Repeat("\x10", 64)},
		{"value", "<del>"}, {"value", "-1"}, {"value", "1.5"}, {"value", "+5"}, {"value", "1e3"},
		{"value", "2100000000000001"}, {"value", "99999999999999999999"},
		{"rbf", "yes"}, {"rbf", "1|0"},
	}
	for _, kv := range bad {
		if c, err := b.ParseCallback(callbackQuery(kv...)); !errors.Is(err, ErrBadCallback) {
			t.Errorf("%s=%q: %+v, %v", kv[0], kv[1], c, err)
		}
	}
}

// The fake sends callbacks exactly as Blockonomics does, through real HTTP,
// keeping the query already on the callback URL.
func TestCallbackOverHTTP(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{})
	var mu sync.Mutex
	var got []Callback
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("store") != "main" {
			http.Error(w, "lost query", http.StatusBadRequest)
			return
		}
		c, err := b.ParseCallback(r.URL.Query())
		switch {
		case errors.Is(err, ErrBadSecret):
			http.Error(w, "forbidden", http.StatusForbidden)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		default:
			mu.Lock()
			got = append(got, c)
			mu.Unlock()
		}
	}))
	defer srv.Close()
	txid := strings.Repeat("0f", 32)
	addr := "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	steps := []struct {
		secret string
		status int
		rbf    bool
		want   int
	}{
		{btcSecret, BTCUnconfirmed, true, 200},
		{btcSecret, BTCConfirmed, false, 200},
		{"guess", BTCConfirmed, false, 403},
	}
	for _, s := range steps {
		code, err := fake.Callback(context.Background(), srv.URL+"/btc/callback?store=main", s.secret, s.status, addr, txid, 12345, s.rbf)
		if err != nil || code != s.want {
			t.Errorf("callback %+v: %d, %v", s, code, err)
		}
	}
	want := []Callback{{BTCUnconfirmed, addr, txid, 12345, true}, {BTCConfirmed, addr, txid, 12345, false}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("server saw %+v", got)
	}
}
