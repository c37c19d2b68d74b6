package sim

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newTestSim(t testing.TB, opt Options) (*Sim, *FakeClock) {
	t.Helper()
	clk := NewFakeClock(t0)
	opt.Clock = clk
	s := New(opt)
	t.Cleanup(func() { s.Close() })
	return s, clk
}

// inStock finds a pair with stock now.
func inStock(t testing.TB, s *Sim, service string) provider.Offer {
	t.Helper()
	offers, err := s.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range offers {
		if o.Service == service && o.Stock > 0 {
			return o
		}
	}
	t.Fatalf("no stock for %s", service)
	return provider.Offer{}
}

func TestCatalogue(t *testing.T) {
	s, clk := newTestSim(t, Options{Seed: 7})
	offers, _ := s.Catalogue(context.Background())
	svcs, ctrs := map[string]bool{}, map[string]bool{}
	for _, o := range offers {
		svcs[o.Service], ctrs[o.Country] = true, true
		if o.Cost <= 0 || o.Stock < 0 {
			t.Errorf("bad offer %+v", o)
		}
	}
	if len(svcs) < 20 || len(ctrs) < 10 {
		t.Fatalf("%d services, %d countries", len(svcs), len(ctrs))
	}
	again, _ := New(Options{Seed: 7, Clock: NewFakeClock(t0)}).Catalogue(context.Background())
	if !equalOffers(offers, again) {
		t.Error("same seed and time, different catalogue")
	}
	changed, soldOut := false, false
	for range 12 {
		clk.Advance(driftPeriod)
		later, _ := s.Catalogue(context.Background())
		changed = changed || !equalOffers(offers, later)
		for _, o := range later {
			soldOut = soldOut || o.Stock == 0
		}
	}
	if !changed || !soldOut {
		t.Errorf("market does not drift: changed %v, sold out seen %v", changed, soldOut)
	}
}

// A market held at one moment does not drift, and sells at that moment's
// prices: what a test reads is what it pays.
func TestMarketAtHoldsPrices(t *testing.T) {
	s, clk := newTestSim(t, Options{Seed: 7, MarketAt: t0})
	first, _ := s.Catalogue(context.Background())
	for range 12 {
		clk.Advance(driftPeriod)
		later, _ := s.Catalogue(context.Background())
		if !equalOffers(first, later) {
			t.Fatalf("held market drifted after %v", clk.Now().Sub(t0))
		}
	}
	o := inStock(t, s, "telegram")
	n, err := s.Buy(context.Background(), o.Service, o.Country, o.Cost)
	if err != nil || n.Cost != o.Cost {
		t.Fatalf("buy at the held price %v: %+v, %v", o.Cost, n, err)
	}
}

func equalOffers(a, b []provider.Offer) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// nsnLength is each country's mobile national number length (from the
// national numbering plans), independent of the plan tables.
var nsnLength = map[string][2]int{
	"us": {10, 10}, "ca": {10, 10}, "gb": {10, 10}, "de": {10, 11}, "fr": {9, 9}, "nl": {9, 9},
	"pl": {9, 9}, "es": {9, 9}, "it": {10, 10}, "ru": {10, 10}, "ua": {9, 9}, "kz": {10, 10},
	"tr": {10, 10}, "in": {10, 10}, "id": {10, 12}, "ph": {10, 10}, "vn": {9, 9}, "th": {9, 9},
	"br": {11, 11}, "mx": {10, 10},
}

func TestPhonesAreE164(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	if len(phonePlans) < 10 {
		t.Fatalf("%d countries", len(phonePlans))
	}
	for country := range phonePlans {
		c, ok := provider.LookupCountry(country)
		want, known := nsnLength[country]
		if !ok || !known {
			t.Fatalf("country %q not canonical or no length", country)
		}
		for range 200 {
			nsn := makePhone(rng, country)
			phone := "+" + c.CallingCode + nsn
			if n := len(nsn); n < want[0] || n > want[1] || len(phone)-1 > 15 {
				t.Fatalf("%s: %s has %d national digits, want %v", country, phone, n, want)
			}
			if got, err := provider.NormalizePhone(phone, country); err != nil || got != phone {
				t.Fatalf("%s: %s: %v", country, phone, err)
			}
		}
	}
}

func TestMessagesCarryExtractableCodes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for service := range styles {
		svc, ok := provider.LookupService(service)
		if !ok {
			t.Fatalf("%q is not canonical", service)
		}
		for country := range phonePlans {
			for range 20 {
				_, text, code := composeSMS(rng, service, svc.Name, country)
				if got := provider.ExtractCode(text); got != code {
					t.Fatalf("%s/%s: ExtractCode(%q) = %q, want %q", service, country, text, got, code)
				}
			}
		}
	}
}

type sink struct {
	mu  sync.Mutex
	got []provider.Message
}

func (k *sink) add(_ string, m provider.Message) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.got = append(k.got, m)
}

func (k *sink) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.got)
}

func TestLifeWithSMS(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestSim(t, Options{Seed: 1, SMSDelay: 30 * time.Second, Jitter: 5 * time.Second})
	var k sink
	s.Subscribe(k.add)
	o := inStock(t, s, "telegram")
	n, err := s.Buy(ctx, o.Service, o.Country, 0)
	if err != nil || n.Cost != o.Cost || !strings.HasPrefix(n.Phone, "+") || !n.ExpiresAt.Equal(t0.Add(DefaultLifetime)) {
		t.Fatalf("buy: %+v, %v", n, err)
	}
	if st, _ := s.Check(ctx, n.Ref); st.State != provider.Waiting || len(st.Messages) != 0 {
		t.Fatalf("fresh number: %+v", st)
	}
	clk.Advance(36 * time.Second)
	st, _ := s.Check(ctx, n.Ref)
	if st.State != provider.Received || len(st.Messages) != 1 || k.count() != 1 {
		t.Fatalf("after delay: %+v, pushed %d", st, k.count())
	}
	m := st.Messages[0]
	if m.Code == "" || provider.ExtractCode(m.Text) != m.Code || m.ID != k.got[0].ID || m.Sender != "Telegram" {
		t.Fatalf("message %+v", m)
	}
	if err := s.Cancel(ctx, n.Ref); !errors.Is(err, provider.ErrBadState) {
		t.Errorf("cancel after SMS: %v", err)
	}
	if err := s.Again(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	clk.Advance(36 * time.Second)
	st, _ = s.Check(ctx, n.Ref)
	if len(st.Messages) != 2 || st.Messages[1].ID == m.ID || k.count() != 2 {
		t.Fatalf("after again: %+v", st)
	}
	if err := s.Finish(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Check(ctx, n.Ref); st.State != provider.Finished {
		t.Errorf("after finish: %s", st.State)
	}
}

func TestNeverReceivingNumberExpires(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestSim(t, Options{Seed: 2, NeverShare: 1, Lifetime: 10 * time.Minute})
	o := inStock(t, s, "google")
	n, _ := s.Buy(ctx, o.Service, o.Country, 0)
	if clk.Pending() != 0 {
		t.Fatal("a timer was made for a number that never receives")
	}
	if err := s.Again(ctx, n.Ref); !errors.Is(err, provider.ErrBadState) {
		t.Errorf("again before an SMS: %v", err)
	}
	clk.Advance(10 * time.Minute)
	if st, _ := s.Check(ctx, n.Ref); st.State != provider.Expired {
		t.Fatalf("state %s, want expired", st.State)
	}
	if err := s.Cancel(ctx, n.Ref); err != nil {
		t.Errorf("cancel an expired number: %v", err)
	}
}

func TestCancelStopsTheSMS(t *testing.T) {
	ctx := context.Background()
	s, clk := newTestSim(t, Options{Seed: 3, SMSDelay: time.Minute})
	var k sink
	s.Subscribe(k.add)
	o := inStock(t, s, "whatsapp")
	n, _ := s.Buy(ctx, o.Service, o.Country, 0)
	if clk.Pending() != 1 {
		t.Fatalf("pending %d", clk.Pending())
	}
	if err := s.Cancel(ctx, n.Ref); err != nil {
		t.Fatal(err)
	}
	if err := s.Cancel(ctx, n.Ref); err != nil {
		t.Errorf("second cancel: %v", err)
	}
	clk.Advance(time.Hour)
	if st, _ := s.Check(ctx, n.Ref); st.State != provider.Cancelled || len(st.Messages) != 0 || k.count() != 0 || clk.Pending() != 0 {
		t.Fatalf("after cancel: %+v, pushed %d", st, k.count())
	}
}

func TestCheckDeliversWithoutTimer(t *testing.T) {
	// A clock that never runs callbacks: Check must still show a due SMS.
	clk := &frozenTimers{FakeClock: NewFakeClock(t0)}
	s := New(Options{Seed: 4, Clock: clk, SMSDelay: time.Minute})
	defer s.Close()
	o := inStock(t, s, "discord")
	n, _ := s.Buy(context.Background(), o.Service, o.Country, 0)
	clk.now = clk.now.Add(2 * time.Minute)
	if st, _ := s.Check(context.Background(), n.Ref); st.State != provider.Received || len(st.Messages) != 1 {
		t.Fatalf("%+v", st)
	}
}

// frozenTimers schedules callbacks that never run, and has a settable now.
type frozenTimers struct {
	*FakeClock
	now time.Time
}

func (f *frozenTimers) Now() time.Time { return f.now }
func (f *frozenTimers) AfterFunc(time.Duration, func()) Stopper {
	return f.FakeClock.AfterFunc(time.Hour*1e4, func() {})
}

func TestBuyErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestSim(t, Options{Seed: 5})
	o := inStock(t, s, "uber")
	if _, err := s.Buy(ctx, o.Service, o.Country, o.Cost-1); !errors.Is(err, provider.ErrMaxPrice) {
		t.Errorf("over cap: %v", err)
	}
	if _, err := s.Buy(ctx, o.Service, o.Country, o.Cost); err != nil {
		t.Errorf("at cap: %v", err)
	}
	if _, err := s.Buy(ctx, "myspace", "gb", 0); !errors.Is(err, provider.ErrBadService) {
		t.Errorf("bad service: %v", err)
	}
	if _, err := s.Buy(ctx, "telegram", "aq", 0); !errors.Is(err, provider.ErrBadService) {
		t.Errorf("bad country: %v", err)
	}
	if _, err := s.Check(ctx, "nope"); !errors.Is(err, provider.ErrUnknownActivation) {
		t.Errorf("unknown ref: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Buy(cctx, o.Service, o.Country, 0); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("cancelled ctx: %v", err)
	}
	s.Close()
	if _, err := s.Balance(ctx); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("after close: %v", err)
	}
}

func TestSoldOutIsNoNumbers(t *testing.T) {
	s, clk := newTestSim(t, Options{Seed: 6})
	for range 50 {
		offers, _ := s.Catalogue(context.Background())
		for _, o := range offers {
			if o.Stock == 0 {
				_, err := s.Buy(context.Background(), o.Service, o.Country, 0)
				if !errors.Is(err, provider.ErrNoNumbers) {
					t.Fatalf("sold out %s/%s: %v", o.Service, o.Country, err)
				}
				return
			}
		}
		clk.Advance(driftPeriod)
	}
	t.Fatal("never sold out")
}

func TestDeterministic(t *testing.T) {
	run := func() []string {
		s, clk := newTestSim(t, Options{Seed: 42, SMSDelay: time.Second, Jitter: time.Second})
		var out []string
		o := inStock(t, s, "amazon")
		for range 5 {
			n, _ := s.Buy(context.Background(), o.Service, o.Country, 0)
			clk.Advance(3 * time.Second)
			st, _ := s.Check(context.Background(), n.Ref)
			out = append(out, n.Phone, st.Messages[0].Text)
		}
		return out
	}
	a, b := run(), run()
	if strings.Join(a, "|") != strings.Join(b, "|") {
		t.Fatalf("runs differ:\n%v\n%v", a, b)
	}
}

// TestIdleNumbersCostNothing: 10,000 numbers waiting for their SMS hold
// timers, not goroutines; Close stops them all.
func TestIdleNumbersCostNothing(t *testing.T) {
	s := New(Options{Seed: 8, SMSDelay: time.Hour, Lifetime: 2 * time.Hour})
	before := runtime.NumGoroutine()
	ctx := context.Background()
	bought := 0
	for bought < 10_000 {
		o := inStock(t, s, "telegram")
		if _, err := s.Buy(ctx, o.Service, o.Country, 0); err == nil {
			bought++
		}
	}
	if grew := runtime.NumGoroutine() - before; grew > 5 {
		t.Errorf("%d goroutines for idle numbers", grew)
	}
	s.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.acts {
		if a.timer != nil {
			t.Fatal("a timer survived Close")
		}
	}
}

func BenchmarkBuyAndDeliver(b *testing.B) {
	s, clk := newTestSim(b, Options{Seed: 9, SMSDelay: time.Second})
	var k sink
	s.Subscribe(k.add)
	o := inStock(b, s, "telegram")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Buy(ctx, o.Service, o.Country, 0); errors.Is(err, provider.ErrNoNumbers) {
			o = inStock(b, s, "telegram") // the market moved
		} else if err != nil {
			b.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	if k.count() == 0 {
		b.Fatal("nothing delivered")
	}
}

// Activation ids count up from FirstRef, so a process that gives each run
// its own never hands out an id still open from the last run.
func TestFirstRef(t *testing.T) {
	s, _ := newTestSim(t, Options{FirstRef: 1_700_000_000_000})
	n, err := s.Buy(context.Background(), "telegram", "gb", 0)
	if err != nil || n.Ref != "1700000000001" {
		t.Fatalf("ref %q, %v", n.Ref, err)
	}
	d, _ := newTestSim(t, Options{})
	if n, _ := d.Buy(context.Background(), "telegram", "gb", 0); n.Ref != "100001" {
		t.Fatalf("default ref %q", n.Ref)
	}
}

// Some countries sell by operator: each operator at its own price (never
// below the pair's) and stock (a share of the pair's), bought at that
// price; an operator the country does not have is refused, and countries
// without operators list none.
func TestOperators(t *testing.T) {
	s, _ := newTestSim(t, Options{Seed: 7})
	ctx := context.Background()
	pairCost, pairStock := market(7, "telegram", "gb", t0)
	ops, err := s.Operators(ctx, "telegram", "gb")
	if err != nil || len(ops) != 4 {
		t.Fatalf("operators %+v %v", ops, err)
	}
	sum := 0
	var buyable provider.OperatorOffer
	for _, o := range ops {
		if o.Cost < pairCost || o.Cost > pairCost*13/10+1000 || !provider.ValidOperator(o.Operator) {
			t.Errorf("operator %+v against the pair's cost %v", o, pairCost)
		}
		sum += o.Stock
		if o.Stock > 0 {
			buyable = o
		}
	}
	if sum > pairStock {
		t.Errorf("operators hold %d numbers, the pair %d", sum, pairStock)
	}
	if buyable.Operator == "" {
		t.Fatal("no operator in stock")
	}
	n, err := s.BuyOperator(ctx, "telegram", "gb", buyable.Operator, 0)
	if err != nil || n.Cost != buyable.Cost || !strings.HasPrefix(n.Phone, "+44") {
		t.Fatalf("buy from %s: %+v %v", buyable.Operator, n, err)
	}
	if _, err := s.BuyOperator(ctx, "telegram", "gb", buyable.Operator, buyable.Cost-1); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("under its cost: %v", err)
	}
	if _, err := s.BuyOperator(ctx, "telegram", "gb", "mts", 0); !errors.Is(err, provider.ErrBadService) {
		t.Fatalf("an operator of another country: %v", err)
	}
	if ops, err := s.Operators(ctx, "telegram", "ph"); err != nil || len(ops) != 0 {
		t.Fatalf("ph operators %+v %v", ops, err)
	}
}
