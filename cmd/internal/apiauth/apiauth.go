// Package apiauth says who an HTTP API request comes from, and whether
// it may be served now. Every HTTP API of WantSMS (the SMS-Activate
// compatible /stubs/handler_api.php, the JSON /v1) authenticates through
// it, so a key, a revocation and a limit mean the same everywhere.
//
// A request brings its API key (made with `api-key create` or in the
// dashboard's Account pane) in one of these places, looked at in this
// order: the header "Authorization: Bearer KEY", the header
// "X-ApiKey: KEY", the parameter api_key (query string, or the form of a
// POST). The key resolves to its account through the store
// (store.ResolveAPIKey): an unknown or revoked key, or one of a deleted
// account, is refused at once; a suspended account's key is accepted,
// and the engine refuses what a suspended account may not do, as in the
// dashboard.
//
// Two token buckets (golang.org/x/time/rate) guard each request: one per
// remote address (an IPv4 address, an IPv6 /64: store/netaddr), checked
// before the key is even looked up, and one per key. A refused request is
// told how long to wait (*LimitedError): each protocol answers it in its
// own words.
//
// Use from a handler:
//
//	g := apiauth.New(st, apiauth.Config{})      // once, at start
//	c, err := g.Authenticate(r)                  // per request
//	var lim *apiauth.LimitedError
//	switch {
//	case errors.As(err, &lim):                   // wait lim.Wait (lim.RetryAt())
//	case errors.Is(err, apiauth.ErrNoKey):       // no key at all
//	case errors.Is(err, apiauth.ErrBadKey):      // unknown, revoked, deleted
//	case err != nil:                             // the database failed
//	}
//	// c.UserID is the account; scope every query to it.
//	g.Count("sms-activate", "ok")                // for /metrics, once per request
//
// May import from this repository: store, store/metrics, store/netaddr.
package apiauth

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
	"github.com/wantsms/wantsms/store/netaddr"
)

// Default limits. A client polling getStatus every second for each of
// its ten open numbers (the engine's default open limit) makes 10
// requests a second: a key gets twice that, with bursts of 40. An address
// may carry several keys (a team behind one NAT): it gets five keys'
// worth.
const (
	DefaultPerKey    = 20
	DefaultKeyBurst  = 40
	DefaultPerAddr   = 100
	DefaultAddrBurst = 200
)

// Config sets the limits; zero values take the defaults.
type Config struct {
	PerKey    float64 // requests per second per key
	KeyBurst  int     // requests a key may make at once
	PerAddr   float64 // requests per second per remote address
	AddrBurst int     // requests an address may make at once
	// Now is the limiters' clock (default time.Now).
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.PerKey <= 0 {
		c.PerKey = DefaultPerKey
	}
	if c.KeyBurst <= 0 {
		c.KeyBurst = DefaultKeyBurst
	}
	if c.PerAddr <= 0 {
		c.PerAddr = DefaultPerAddr
	}
	if c.AddrBurst <= 0 {
		c.AddrBurst = DefaultAddrBurst
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Errors of Authenticate (besides *LimitedError and a database failure).
var (
	// ErrNoKey: the request brought no key at all.
	ErrNoKey = errors.New("no API key: send it as api_key, X-ApiKey or Authorization: Bearer")
	// ErrBadKey: the key is unknown, revoked, or of a deleted account;
	// which of them is never told.
	ErrBadKey = store.ErrAPIKeyInvalid
)

// Scopes of a limit, in LimitedError and in Limited's counts.
const (
	ScopeAddress = "address"
	ScopeKey     = "key"
)

// LimitedError refuses a request over its limit: the caller may try
// again after Wait.
type LimitedError struct {
	Scope string        // ScopeAddress or ScopeKey
	Wait  time.Duration // at least a millisecond
	At    time.Time     // when the request was refused
}

func (e *LimitedError) Error() string {
	return fmt.Sprintf("too many requests from this %s: try again in %s", e.Scope, e.Wait.Round(time.Millisecond))
}

// RetryAt is when the caller may try again, rounded up to the second:
// the protocols write it in whole seconds, and a client that waits until
// the time written must not come back too early.
func (e *LimitedError) RetryAt() time.Time {
	t := e.At.Add(e.Wait)
	if t.Truncate(time.Second).Equal(t) {
		return t
	}
	return t.Truncate(time.Second).Add(time.Second)
}

// RetryAfterSeconds is Wait in whole seconds, rounded up, at least 1: the
// value of an HTTP Retry-After header.
func (e *LimitedError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.Wait.Seconds())))
}

// Caller is who a request comes from.
type Caller struct {
	UserID  int64  // the account: every query is scoped to it
	KeyID   int64  // the API key it brought
	KeyName string // the key's name, as its owner named it (untrusted text)
}

// Guard authenticates and limits requests. Safe for concurrent use.
type Guard struct {
	st    *store.Store
	cfg   Config
	addrs buckets
	keys  buckets
	tally metrics.Tally // refusals by scope
	reqs  metrics.Tally // requests by endpoint and outcome
}

// New makes a Guard.
func New(st *store.Store, cfg Config) *Guard {
	cfg = cfg.withDefaults()
	return &Guard{st: st, cfg: cfg,
		addrs: buckets{limit: rate.Limit(cfg.PerAddr), burst: cfg.AddrBurst},
		keys:  buckets{limit: rate.Limit(cfg.PerKey), burst: cfg.KeyBurst}}
}

// KeyOf is the API key a request brings ("" if none): the bearer token,
// else the X-ApiKey header, else the api_key parameter of the query or
// the form.
func KeyOf(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if scheme, tok, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	if k := r.Header.Get("X-ApiKey"); k != "" {
		return strings.TrimSpace(k)
	}
	return strings.TrimSpace(r.FormValue("api_key"))
}

// Authenticate finds who the request comes from and takes one request
// from its address's and its key's budgets. The address is checked
// first, so a flood of bad keys costs no lookups.
func (g *Guard) Authenticate(r *http.Request) (Caller, error) {
	now := g.cfg.Now()
	if wait, ok := g.addrs.take(netaddr.Group(r.RemoteAddr), now); !ok {
		return Caller{}, g.limited(ScopeAddress, wait, now)
	}
	key := KeyOf(r)
	if key == "" {
		return Caller{}, ErrNoKey
	}
	k, err := g.st.ResolveAPIKey(r.Context(), key)
	if err != nil {
		return Caller{}, err
	}
	if wait, ok := g.keys.take(fmt.Sprint(k.ID), now); !ok {
		return Caller{}, g.limited(ScopeKey, wait, now)
	}
	return Caller{UserID: k.UserID, KeyID: k.ID, KeyName: k.Name}, nil
}

func (g *Guard) limited(scope string, wait time.Duration, now time.Time) error {
	g.tally.Inc(scope)
	return &LimitedError{Scope: scope, Wait: max(wait, time.Millisecond), At: now}
}

// Limited counts the requests refused since start, by scope (ScopeAddress,
// ScopeKey; both always present), for /metrics.
func (g *Guard) Limited() map[string]int64 {
	out := g.tally.Snapshot()
	for _, s := range []string{ScopeAddress, ScopeKey} {
		out[s] += 0
	}
	return out
}

// Count counts one request answered by an API (endpoint: a short fixed
// name such as "sms-activate" or "v1") with its outcome (a fixed word:
// "ok", an error word or code; never anything a client chose freely),
// for /metrics.
func (g *Guard) Count(endpoint, outcome string) { g.reqs.Inc(endpoint + "\x00" + outcome) }

// Requests are the requests counted since start, by endpoint and outcome.
func (g *Guard) Requests() []Requests {
	snap := g.reqs.Snapshot()
	out := make([]Requests, 0, len(snap))
	for k, n := range snap {
		e, o, _ := strings.Cut(k, "\x00")
		out = append(out, Requests{Endpoint: e, Outcome: o, N: n})
	}
	slices.SortFunc(out, func(a, b Requests) int {
		return cmp.Or(cmp.Compare(a.Endpoint, b.Endpoint), cmp.Compare(a.Outcome, b.Outcome))
	})
	return out
}

// Requests is how many requests an endpoint answered with an outcome.
type Requests struct {
	Endpoint, Outcome string
	N                 int64
}

// idleAfter is how long a bucket nobody used is kept: long after it has
// filled up again, so dropping it forgives nothing.
const idleAfter = 10 * time.Minute

// buckets are token buckets by name, made on first use and dropped once
// idle.
type buckets struct {
	limit rate.Limit
	burst int

	mu    sync.Mutex
	m     map[string]*bucket
	swept time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// take takes one token from name's bucket at now, or says how long until
// there is one (and takes nothing).
func (b *buckets) take(name string, now time.Time) (time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]*bucket{}
	}
	if now.Sub(b.swept) > idleAfter {
		for n, e := range b.m {
			if now.Sub(e.used) > idleAfter {
				delete(b.m, n)
			}
		}
		b.swept = now
	}
	e := b.m[name]
	if e == nil {
		e = &bucket{lim: rate.NewLimiter(b.limit, b.burst)}
		b.m[name] = e
	}
	e.used = now
	res := e.lim.ReserveN(now, 1)
	if !res.OK() {
		return time.Hour, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}
