package billing

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing/blockonomicsfake"
)

const (
	btcKey    = "bk_test_key"
	btcSecret = "cb-secret-0123456789abcdef0123456789"
)

func newTestBlockonomics(t *testing.T, cfg BlockonomicsConfig) (*Blockonomics, *blockonomicsfake.Fake) {
	t.Helper()
	fake := blockonomicsfake.New(btcKey)
	t.Cleanup(fake.Close)
	if cfg.APIKey == "" {
		cfg.APIKey, cfg.CallbackSecret = btcKey, btcSecret
	}
	cfg.APIBase = fake.URL
	b, err := NewBlockonomics(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b, fake
}

func TestPrice(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{})
	cases := map[string]int64{
		blockonomicsfake.DefaultPrice: 786685,
		"97123.456":                   9712346,
		"97123.454":                   9712345,
		"1.005":                       101, // as a float64, 1.005*100 is 100.49999…
		"100000":                      10000000,
		" 42.1 ":                      4210,
	}
	for raw, want := range cases {
		fake.SetPrice(raw)
		got, err := b.Price(context.Background())
		if err != nil || got != want {
			t.Errorf("price %s: %d, %v; want %d", raw, got, err, want)
		}
	}
	r := fake.Requests()[0]
	if r.Method != http.MethodGet || r.Path != "/api/price" || r.Query.Get("currency") != "USD" || r.Authorization != "" {
		t.Errorf("request = %+v", r)
	}
}

func TestPriceBad(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{})
	for _, raw := range []string{`null`, `"7866.85"`, `"garbage"`, `1e5`, `-5`, `0`, `0.5`, `{}`, `[1]`, `true`, `1e999999999`, `99999999999999999999`} {
		fake.SetPrice(raw)
		if got, err := b.Price(context.Background()); err == nil {
			t.Errorf("price %s accepted as %d", raw, got)
		} else if raw == "null" && !errors.Is(err, ErrNoPrice) {
			t.Errorf("null: %v, want ErrNoPrice", err)
		}
	}
	fake.FailWith(http.StatusOK, `{}`)
	if _, err := b.Price(context.Background()); !errors.Is(err, ErrNoPrice) {
		t.Errorf("no price field: %v", err)
	}
	fake.FailWith(http.StatusOK, `<html>`)
	if _, err := b.Price(context.Background()); err == nil {
		t.Error("HTML body accepted")
	}
}

func TestNewAddress(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{MatchCallback: "https://wantsms.example/btc"})
	a1, err1 := b.NewAddress(context.Background())
	a2, err2 := b.NewAddress(context.Background())
	if err1 != nil || err2 != nil || a1 == a2 || !strings.HasPrefix(a1, "bc1q") {
		t.Fatalf("addresses %q %q, %v %v", a1, a2, err1, err2)
	}
	if got := fake.Addresses(); len(got) != 2 || got[0] != a1 || got[1] != a2 {
		t.Errorf("fake handed out %v", got)
	}
	for _, r := range fake.Requests() {
		if r.Method != http.MethodPost || r.Path != "/api/new_address" || r.Authorization != "Bearer "+btcKey ||
			r.Body != "" || r.Query.Get("match_callback") != "https://wantsms.example/btc" {
			t.Errorf("request = %+v", r)
		}
	}
}

func TestNewAddressErrors(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{})
	cases := []struct {
		code       int
		body, want string
	}{
		{500, `{"error":{"message":"Gap Limit Error"}}`, "Gap Limit Error"},
		{400, `{"message":"Could not generate new address"}`, "Could not generate new address"},
		{502, "<html>\x1b[31mBad gateway</html>", "<html> [31mBad gateway</html>"},
		{503, ``, "no message"},
	}
	for _, c := range cases {
		fake.FailWith(c.code, c.body)
		_, err := b.NewAddress(context.Background())
		var be *BlockonomicsError
		if !errors.As(err, &be) || be.StatusCode != c.code || be.Message != c.want {
			t.Errorf("HTTP %d %q: %v", c.code, c.body, err)
		}
	}
	fake.FailWith(http.StatusOK, `{"address":"not an address!"}`)
	if a, err := b.NewAddress(context.Background()); err == nil {
		t.Errorf("garbage address accepted: %q", a)
	}
}

func TestNewAddressWrongKey(t *testing.T) {
	fake := blockonomicsfake.New(btcKey)
	defer fake.Close()
	b, err := NewBlockonomics(BlockonomicsConfig{APIKey: "wrong", CallbackSecret: btcSecret, APIBase: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.NewAddress(context.Background())
	var be *BlockonomicsError
	if !errors.As(err, &be) || be.StatusCode != http.StatusUnauthorized || be.Message != "Invalid API key" {
		t.Fatalf("err = %v", err)
	}
	if len(fake.Addresses()) != 0 {
		t.Fatal("address handed out to a wrong key")
	}
	var off Blockonomics
	if _, err := off.NewAddress(context.Background()); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
}

func TestBlockonomicsTimeouts(t *testing.T) {
	b, fake := newTestBlockonomics(t, BlockonomicsConfig{Timeout: 50 * time.Millisecond})
	fake.SetDelay(time.Minute)
	_, err := b.NewAddress(context.Background())
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("client timeout: %v", err)
	}
	b2, fake2 := newTestBlockonomics(t, BlockonomicsConfig{})
	fake2.SetDelay(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := b2.Price(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: %v", err)
	}
}

func TestBlockonomicsConfig(t *testing.T) {
	bad := []BlockonomicsConfig{
		{APIKey: btcKey},
		{CallbackSecret: btcSecret},
		{APIKey: btcKey, CallbackSecret: btcSecret, PriceLock: time.Minute},
		{APIKey: btcKey, CallbackSecret: btcSecret, PriceLock: 3 * time.Hour},
		{APIKey: btcKey, CallbackSecret: btcSecret, APIBase: "blockonomics.co"},
	}
	for i, c := range bad {
		if _, err := NewBlockonomics(c); err == nil {
			t.Errorf("case %d accepted: %+v", i, c)
		}
	}
	b, err := NewBlockonomics(BlockonomicsConfig{})
	if err != nil || b.Configured() || b.PriceLock() != DefaultPriceLock || b.cfg.APIBase != DefaultBlockonomicsBase {
		t.Errorf("defaults: %+v, %v", b, err)
	}
}
