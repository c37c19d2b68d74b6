package apiauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (*store.Store, int64, string) {
	t.Helper()
	st, err := store.Open(testdb.Path(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "alice@example.com", "correct horse battery", store.Origin{RemoteAddr: "test"})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, u.ID, "bot", store.Origin{RemoteAddr: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return st, u.ID, key
}

func request(method, target, body, addr string, header ...string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	r.RemoteAddr = addr
	return r
}

// The key is found in each of its four places and resolves to its
// account; a missing, wrong or revoked key is refused, the last one at
// once after its revocation.
func TestAuthenticateFindsTheKeyEverywhere(t *testing.T) {
	st, uid, key := setup(t)
	g := apiauth.New(st, apiauth.Config{})
	q := url.Values{"api_key": {key}}.Encode()
	for name, r := range map[string]*http.Request{
		"query":  request("GET", "/x?"+q, "", "192.0.2.1:1"),
		"form":   request("POST", "/x", q, "192.0.2.1:1"),
		"header": request("GET", "/x", "", "192.0.2.1:1", "X-ApiKey", key),
		"bearer": request("GET", "/x", "", "192.0.2.1:1", "Authorization", "Bearer "+key),
	} {
		c, err := g.Authenticate(r)
		if err != nil || c.UserID != uid || c.KeyName != "bot" {
			t.Errorf("%s: %+v %v", name, c, err)
		}
	}
	if _, err := g.Authenticate(request("GET", "/x", "", "192.0.2.1:1")); !errors.Is(err, apiauth.ErrNoKey) {
		t.Errorf("no key: %v", err)
	}
	wrong := strings.Repeat("A", store.APIKeyLen)
	if _, err := g.Authenticate(request("GET", "/x", "", "192.0.2.1:1", "X-ApiKey", wrong)); !errors.Is(err, apiauth.ErrBadKey) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := st.RevokeAPIKey(context.Background(), uid, "bot", store.Origin{RemoteAddr: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Authenticate(request("GET", "/x?"+q, "", "192.0.2.1:1")); !errors.Is(err, apiauth.ErrBadKey) {
		t.Errorf("revoked key: %v", err)
	}
}

// Past its burst a key is refused with the time to wait, from any
// address; another address with a key of its own is not held up, and
// once the wait is over the key is served again. An address over its own
// budget is refused before its key is looked at.
func TestLimitsPerKeyAndPerAddress(t *testing.T) {
	st, _, key := setup(t)
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	g := apiauth.New(st, apiauth.Config{PerKey: 1, KeyBurst: 2, PerAddr: 1, AddrBurst: 3, Now: c.Now})
	byKey := func(addr string) error {
		_, err := g.Authenticate(request("GET", "/x", "", addr, "X-ApiKey", key))
		return err
	}
	for i, addr := range []string{"192.0.2.1:1", "192.0.2.2:1"} {
		if err := byKey(addr); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	var lim *apiauth.LimitedError
	if err := byKey("192.0.2.3:1"); !errors.As(err, &lim) || lim.Scope != apiauth.ScopeKey ||
		lim.Wait <= 0 || lim.Wait > time.Second || lim.RetryAfterSeconds() != 1 {
		t.Fatalf("third request of the key: %v", err)
	}
	c.Add(time.Second)
	if err := byKey("192.0.2.3:1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}

	// One address: three requests (its burst), whatever their keys, then
	// refused without a lookup (a bad key is not even reported).
	bad := strings.Repeat("B", store.APIKeyLen)
	for range 3 {
		if _, err := g.Authenticate(request("GET", "/x", "", "198.51.100.9:1", "X-ApiKey", bad)); !errors.Is(err, apiauth.ErrBadKey) {
			t.Fatalf("bad key within the address's budget: %v", err)
		}
	}
	if _, err := g.Authenticate(request("GET", "/x", "", "198.51.100.9:2", "X-ApiKey", bad)); !errors.As(err, &lim) ||
		lim.Scope != apiauth.ScopeAddress {
		t.Fatalf("fourth request of the address: %v", err)
	}
	// An IPv6 /64 is one address.
	for i := range 3 {
		_, _ = g.Authenticate(request("GET", "/x", "", "[2001:db8::"+string(rune('1'+i))+"]:1"))
	}
	if _, err := g.Authenticate(request("GET", "/x", "", "[2001:db8::ff]:1")); !errors.As(err, &lim) {
		t.Fatalf("a fourth address of one /64: %v", err)
	}
	if n := g.Limited(); n[apiauth.ScopeKey] != 1 || n[apiauth.ScopeAddress] != 2 {
		t.Fatalf("refusals counted: %v", n)
	}
}

// The time to come back, written in whole seconds by the protocols, is
// never before the limiter's own: a client that waits until it is let in.
func TestRetryAtRoundsUp(t *testing.T) {
	at := time.Date(2026, 12, 7, 5, 19, 55, 976_000_000, time.UTC)
	for _, c := range []struct {
		wait time.Duration
		want time.Time
	}{
		{24 * time.Millisecond, time.Date(2026, 12, 7, 5, 19, 56, 0, time.UTC)},
		{25 * time.Millisecond, time.Date(2026, 12, 7, 5, 19, 57, 0, time.UTC)},
		{time.Second, time.Date(2026, 12, 7, 5, 19, 57, 0, time.UTC)},
	} {
		e := &apiauth.LimitedError{At: at, Wait: c.wait}
		if got := e.RetryAt(); !got.Equal(c.want) || got.Before(at.Add(c.wait)) {
			t.Errorf("wait %v: RetryAt %v, want %v", c.wait, got, c.want)
		}
	}
}
