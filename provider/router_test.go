package provider_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/fivesim"
	fsfake "github.com/wantsms/wantsms/provider/fivesim/fake"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate"
	safake "github.com/wantsms/wantsms/provider/smsactivate/fake"
)

var bg = context.Background()

// clock is a settable time source for the router.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type upstreams struct {
	sa  *safake.Server
	fs  *fsfake.Server
	clk *clock
	r   *provider.Router
}

// twoUpstreams: SMS-Activate sells Telegram in GB at 0.30, 5sim at 0.50.
func twoUpstreams(t *testing.T, saRoute, fsRoute provider.Route) *upstreams {
	t.Helper()
	u := &upstreams{sa: safake.New(safake.Options{}), fs: fsfake.New(fsfake.Options{}), clk: &clock{t: time.Unix(1_700_000_000, 0)}}
	t.Cleanup(u.sa.Close)
	t.Cleanup(u.fs.Close)
	u.sa.SetPrice("tg", "16", "0.30", 10)
	u.fs.SetPrice("england", "telegram", "virtual8", "0.50", 7)
	sa, err := smsactivate.New(smsactivate.Config{BaseURL: u.sa.URL, APIKey: u.sa.APIKey()})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := fivesim.New(fivesim.Config{BaseURL: u.fs.BaseURL(), Token: u.fs.Token()})
	if err != nil {
		t.Fatal(err)
	}
	u.r = provider.NewRouter(provider.RouterConfig{Markup: 20_000, Now: u.clk.Now})
	if err := u.r.Add(sa, saRoute); err != nil {
		t.Fatal(err)
	}
	if err := u.r.Add(fs, fsRoute); err != nil {
		t.Fatal(err)
	}
	return u
}

var on = provider.Route{Enabled: true}

func count(reqs int, f func(i int) bool) int {
	n := 0
	for i := range reqs {
		if f(i) {
			n++
		}
	}
	return n
}

func saBuys(s *safake.Server) int {
	r := s.Requests()
	return count(len(r), func(i int) bool { return r[i].URL.Query().Get("action") == "getNumber" })
}

func fsBuys(s *fsfake.Server) int {
	r := s.Requests()
	return count(len(r), func(i int) bool { return strings.HasPrefix(r[i].URL.Path, "/v1/user/buy/") })
}

func TestOffersPicksCheapestAndSumsStock(t *testing.T) {
	u := twoUpstreams(t, on, on)
	offers := u.r.Offers(bg)
	if len(offers) != 1 {
		t.Fatalf("offers %+v", offers)
	}
	want := provider.RoutedOffer{Service: "telegram", Country: "gb", Provider: "smsactivate", Cost: 300_000, SellCents: 60, Stock: 17}
	if offers[0] != want {
		t.Errorf("got %+v\nwant %+v", offers[0], want)
	}
}

func TestBuyCheapest(t *testing.T) {
	u := twoUpstreams(t, on, on)
	name, n, cost, err := u.r.Buy(bg, "telegram", "gb", 0)
	if err != nil || name != "smsactivate" || cost != 300_000 || !strings.HasPrefix(n.Phone, "+44") {
		t.Fatalf("%s %+v %d %v", name, n, cost, err)
	}
}

func TestFailoverOnNoNumbers(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.Respond("getNumber", "NO_NUMBERS", 1)
	name, n, cost, err := u.r.Buy(bg, "telegram", "gb", 0)
	if err != nil || name != "fivesim" || cost != 500_000 || n.ExpiresAt.IsZero() {
		t.Fatalf("%s %+v %d %v", name, n, cost, err)
	}
	st := u.r.Stats()
	if st[0].Provider != "smsactivate" || st[0].ErrorsByOp["buy"] != 1 || !strings.Contains(st[0].LastError, "NO_NUMBERS") {
		t.Errorf("stats %+v", st[0])
	}
	if st[1].ByOp["buy"] != 1 || st[1].Errors != 0 {
		t.Errorf("stats %+v", st[1])
	}
	// the sold-out pair is remembered until the next refresh
	if offers := u.r.Offers(bg); offers[0].Provider != "fivesim" || offers[0].Stock != 7 {
		t.Errorf("after failover %+v", offers)
	}
}

func TestFailoverOnUnavailable(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.r.Refresh(bg)
	u.sa.SetHTTPStatus(503)
	if name, _, _, err := u.r.Buy(bg, "telegram", "gb", 0); err != nil || name != "fivesim" {
		t.Fatalf("%s %v", name, err)
	}
}

func TestNoFailoverOnOtherErrors(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.Respond("getNumber", "NO_BALANCE", 1)
	if _, _, _, err := u.r.Buy(bg, "telegram", "gb", 0); !errors.Is(err, provider.ErrNoBalance) {
		t.Fatalf("err %v", err)
	}
	if fsBuys(u.fs) != 0 {
		t.Error("fell over on NO_BALANCE")
	}
}

func TestAllFail(t *testing.T) {
	u := twoUpstreams(t, on, on)
	u.sa.Respond("getNumber", "NO_NUMBERS", 1)
	u.fs.Respond("/user/buy/", 503, "offline", 1)
	_, _, _, err := u.r.Buy(bg, "telegram", "gb", 0)
	if !errors.Is(err, provider.ErrNoNumbers) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("err %v", err)
	}
	if _, _, _, err := u.r.Buy(bg, "whatsapp", "gb", 0); !errors.Is(err, provider.ErrNoNumbers) {
		t.Fatalf("nobody sells it: %v", err)
	}
}

func TestDisabledProviderSkipped(t *testing.T) {
	u := twoUpstreams(t, provider.Route{Enabled: false}, on)
	if offers := u.r.Offers(bg); offers[0].Provider != "fivesim" || offers[0].Stock != 7 {
		t.Fatalf("offers %+v", offers)
	}
	name, _, _, err := u.r.Buy(bg, "telegram", "gb", 0)
	if err != nil || name != "fivesim" || len(u.sa.Requests()) != 0 {
		t.Fatalf("%s %v, %d requests to the disabled one", name, err, len(u.sa.Requests()))
	}
	if err := u.r.SetEnabled("smsactivate", true); err != nil {
		t.Fatal(err)
	}
	if name, _, _, _ := u.r.Buy(bg, "telegram", "gb", 0); name != "smsactivate" {
		t.Errorf("re-enabled provider not used: %s", name)
	}
	if err := u.r.SetEnabled("nope", true); err == nil {
		t.Error("unknown provider enabled")
	}
}

func TestCapRespected(t *testing.T) {
	u := twoUpstreams(t, on, on)
	// markup ×2: 0.30 sells for 60 cents, 0.50 for 100
	if _, _, _, err := u.r.Buy(bg, "telegram", "gb", 59); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("below every price: %v", err)
	}
	if saBuys(u.sa)+fsBuys(u.fs) != 0 {
		t.Fatal("bought above the cap")
	}
	// the cheap one is sold out: the dear one is above the cap, so no buy
	u.sa.Respond("getNumber", "NO_NUMBERS", 1)
	if _, _, _, err := u.r.Buy(bg, "telegram", "gb", 80); !errors.Is(err, provider.ErrNoNumbers) {
		t.Fatalf("err %v", err)
	}
	if fsBuys(u.fs) != 0 {
		t.Fatal("bought above the cap on failover")
	}
	reqs := u.sa.Requests()
	if q := reqs[len(reqs)-1].URL.Query(); q.Get("maxPrice") != "0.4" {
		t.Errorf("cost cap not passed on: %v", q)
	}
	// smsactivate is sold out in the cache; 5sim sells at exactly the cap
	if name, _, cost, err := u.r.Buy(bg, "telegram", "gb", 100); err != nil || name != "fivesim" || cost != 500_000 {
		t.Fatalf("at the cap: %s %d %v", name, cost, err)
	}
	if q := u.fs.Requests()[len(u.fs.Requests())-1].URL.Query(); q.Get("maxPrice") != "0.5" {
		t.Errorf("cost cap not passed to 5sim: %v", q)
	}
}

func TestCacheRefresh(t *testing.T) {
	u := twoUpstreams(t, on, on)
	prices := func() int {
		r := u.sa.Requests()
		return count(len(r), func(i int) bool { return r[i].URL.Query().Get("action") == "getPrices" })
	}
	u.r.Offers(bg)
	u.r.Offers(bg)
	if prices() != 1 {
		t.Fatalf("%d fetches within the cache age", prices())
	}
	u.clk.Add(provider.DefaultRefreshEvery)
	u.sa.SetPrice("tg", "16", "0.70", 10)
	if offers := u.r.Offers(bg); prices() != 2 || offers[0].Provider != "fivesim" {
		t.Fatalf("%d fetches, offers %+v", prices(), offers)
	}
	u.sa.SetPrice("tg", "16", "0.20", 10)
	if err := u.r.Refresh(bg); err != nil || prices() != 3 || u.r.Offers(bg)[0].Provider != "smsactivate" {
		t.Fatalf("refresh on demand: %v, %d", err, prices())
	}
	u.clk.Add(provider.DefaultRefreshEvery)
	u.sa.SetHTTPStatus(500) // a failing refresh keeps the old offers
	if offers := u.r.Offers(bg); offers[0].Provider != "smsactivate" {
		t.Fatalf("stale offers lost: %+v", offers)
	}
	if st := u.r.Stats()[0]; st.ErrorsByOp["catalogue"] != 1 || st.LastErrorAt != u.clk.Now() {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimit(t *testing.T) {
	u := twoUpstreams(t, provider.Route{Enabled: true, Limit: provider.Rate{Every: time.Hour, Burst: 2}}, on)
	ctx, cancel := context.WithTimeout(bg, time.Minute)
	defer cancel()
	p, _ := u.r.Provider("smsactivate")
	if _, err := p.Balance(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Balance(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "rate limit") {
		t.Fatalf("third call within the hour: %v", err)
	}
	if n := len(u.sa.Requests()); n != 2 {
		t.Fatalf("%d requests reached upstream", n)
	}
	// buying fails over to 5sim, which has no limit
	if name, _, _, err := u.r.Buy(ctx, "telegram", "gb", 0); err != nil || name != "fivesim" {
		t.Fatalf("%s %v", name, err)
	}
	u.clk.Add(time.Hour)
	if _, err := p.Balance(ctx); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
}

func TestProviderWrapper(t *testing.T) {
	r := provider.NewRouter(provider.RouterConfig{})
	s := sim.New(sim.Options{})
	defer s.Close()
	if err := r.Add(s, on); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(s, on); err == nil {
		t.Error("duplicate name accepted")
	}
	p, ok := r.Provider("sim")
	if !ok {
		t.Fatal("no sim")
	}
	if u, ok := p.(interface{ Unwrap() provider.Provider }); !ok || u.Unwrap() != s {
		t.Error("cannot reach the sim underneath")
	}
	if _, ok := p.(provider.Banner); !ok {
		t.Error("wrapper hides Ban")
	}
	if _, ok := r.Provider("nope"); ok {
		t.Error("unknown provider found")
	}
}

func TestConcurrentToggle(t *testing.T) {
	u := twoUpstreams(t, on, on)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				if i%2 == 0 {
					u.r.SetEnabled("fivesim", j%2 == 0)
				} else {
					u.r.Offers(bg)
					u.r.Stats()
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkRouterOffers(b *testing.B) {
	r := provider.NewRouter(provider.RouterConfig{Markup: 15_000})
	for _, name := range []string{"sim-a", "sim-b", "sim-c"} {
		s := sim.New(sim.Options{Name: name, Seed: int64(len(name) * int(name[4]))})
		b.Cleanup(func() { s.Close() })
		r.Add(s, on)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Offers(bg)) == 0 {
			b.Fatal("no offers")
		}
	}
}

// A price that rose upstream since the cached catalogue refuses the buy
// (the person never pays more than shown) and refreshes the catalogue,
// so the next look shows the new price instead of failing for a minute.
func TestRisenPriceRefreshesCatalogue(t *testing.T) {
	u := twoUpstreams(t, on, provider.Route{Enabled: false})
	if o := u.r.Offers(bg); o[0].SellCents != 60 {
		t.Fatalf("offers %+v", o)
	}
	u.sa.SetPrice("tg", "16", "0.40", 10)
	if _, _, _, err := u.r.Buy(bg, "telegram", "gb", 60); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("buy above the shown price: %v", err)
	}
	if o := u.r.Offers(bg); o[0].SellCents != 80 {
		t.Fatalf("offers after the refusal %+v, want the new price 80", o)
	}
	if _, _, _, err := u.r.Buy(bg, "telegram", "gb", 80); err != nil {
		t.Fatalf("buy at the new price: %v", err)
	}
}
