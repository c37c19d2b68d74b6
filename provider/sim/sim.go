// Package sim is the built-in simulated provider: the default for trying
// WantSMS and for tests. It sells numbers for the canonical services and
// countries at drifting prices, sends each a realistic SMS after a delay
// (or, for a configurable share, never, so refunds happen), and pushes
// messages to subscribers as they arrive. Everything is deterministic from
// the seed and the clock. Idle numbers cost nothing: a number that will
// receive holds one runtime timer, never a goroutine.
//
// May import from this repository: provider.
package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Name is the sim provider's default name.
const Name = "sim"

// Defaults, chosen to feel like the market (upstream protocols doc §3):
// an SMS usually comes within a minute, about one number in ten never
// gets one, and a number lives 20 minutes.
const (
	DefaultSMSDelay   = 15 * time.Second
	DefaultJitter     = 10 * time.Second
	DefaultNeverShare = 0.1
	DefaultLifetime   = 20 * time.Minute
)

// balance is what Balance reports: effectively unlimited ($1,000,000).
const balance = 1_000_000 * provider.Dollar

// defaultFirstRef makes activation ids six digits, like upstreams' ids.
const defaultFirstRef = 100_000

// pruneEvery is how many purchases pass between sweeps of activations
// that ended more than a lifetime ago.
const pruneEvery = 1024

// Options configure a Sim. The zero value is valid: SMS immediately, all
// numbers receive; DefaultOptions gives realistic figures.
type Options struct {
	Name       string        // provider name; default "sim"
	Seed       int64         // same seed and clock → same numbers, codes and prices
	Clock      Clock         // default RealClock()
	SMSDelay   time.Duration // mean wait before an SMS
	Jitter     time.Duration // the wait varies by up to ± this
	NeverShare float64       // 0..1: share of numbers that never get an SMS
	Lifetime   time.Duration // how long a number is open; default 20 min
	// FirstRef is what activation ids count up from (default 100000). A
	// process that keeps reservations across restarts gives each run its
	// own (e.g. the start time in milliseconds), so ids never repeat.
	FirstRef uint64
	// MarketAt, when set, holds prices and stock at what they were at that
	// moment, whatever the clock says: tests that look at a price and then
	// reserve must not straddle a drift period. Zero follows Clock.
	MarketAt time.Time
}

// DefaultOptions are realistic settings for trying the service.
func DefaultOptions() Options {
	return Options{SMSDelay: DefaultSMSDelay, Jitter: DefaultJitter, NeverShare: DefaultNeverShare, Lifetime: DefaultLifetime}
}

// Sim is the simulated provider. It implements provider.Provider,
// provider.Pusher, provider.Banner, provider.OperatorSeller and
// provider.Renter. Close it to stop its timers.
type Sim struct {
	opt   Options
	mu    sync.Mutex
	acts  map[string]*activation
	rents map[string]*rental // rented numbers (rent.go)
	seq   uint64
	sinks []func(string, provider.Message)
	// running counts sink calls in flight, so Close can wait for them.
	running sync.WaitGroup
	closed  bool
}

type activation struct {
	ref, service, country string
	created, expires      time.Time
	state                 provider.State
	msgs                  []provider.Message
	timer                 Stopper   // the pending SMS, if any
	due                   time.Time // when the pending SMS arrives
	gen                   uint64    // which schedule the timer belongs to
}

// New makes a Sim.
func New(opt Options) *Sim {
	if opt.Name == "" {
		opt.Name = Name
	}
	if opt.Clock == nil {
		opt.Clock = RealClock()
	}
	if opt.Lifetime <= 0 {
		opt.Lifetime = DefaultLifetime
	}
	if opt.FirstRef == 0 {
		opt.FirstRef = defaultFirstRef
	}
	return &Sim{opt: opt, acts: make(map[string]*activation)}
}

// Name is the configured provider name.
func (s *Sim) Name() string { return s.opt.Name }

// Subscribe adds a sink called for every message as it arrives.
func (s *Sim) Subscribe(sink func(ref string, m provider.Message)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sinks = append(s.sinks, sink)
}

// Close stops every pending SMS and waits for sinks in flight; after it,
// every call fails with provider.ErrUnavailable.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, a := range s.acts {
		s.stopTimer(a)
	}
	for _, r := range s.rents {
		s.stopTimer2(&r.timer)
	}
	s.mu.Unlock()
	s.running.Wait()
	return nil
}

// Catalogue lists every simulated service × country at the current price
// and stock.
func (s *Sim) Catalogue(ctx context.Context) ([]provider.Offer, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	now := s.marketTime()
	out := make([]provider.Offer, 0, len(styles)*len(phonePlans))
	for _, svc := range provider.Services() {
		if _, ok := styles[svc.Code]; !ok {
			continue
		}
		for _, c := range provider.Countries() {
			if _, ok := phonePlans[c.Code]; !ok {
				continue
			}
			cost, stock := market(s.opt.Seed, svc.Code, c.Code, now)
			out = append(out, provider.Offer{Service: svc.Code, Country: c.Code, Cost: cost, Stock: stock})
		}
	}
	return out, nil
}

// Balance is effectively unlimited.
func (s *Sim) Balance(ctx context.Context) (provider.Micros, error) {
	if err := s.usable(ctx); err != nil {
		return 0, err
	}
	return balance, nil
}

func (s *Sim) usable(ctx context.Context) error {
	if err := s.lockOpen(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// lockOpen takes s.mu if ctx is live and the Sim is not closed; on error
// the lock is not held.
func (s *Sim) lockOpen(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w: %v", s.opt.Name, provider.ErrUnavailable, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("%s: %w: closed", s.opt.Name, provider.ErrUnavailable)
	}
	return nil
}

// marketTime is the moment whose prices and stock the Sim sells at.
func (s *Sim) marketTime() time.Time {
	if !s.opt.MarketAt.IsZero() {
		return s.opt.MarketAt
	}
	return s.opt.Clock.Now()
}

// rngFor is a generator for one purpose, deterministic from the seed.
func (s *Sim) rngFor(a, b uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(s.opt.Seed)^a, b))
}

// Buy rents a simulated number of any operator.
func (s *Sim) Buy(ctx context.Context, service, country string, maxCost provider.Micros) (provider.Number, error) {
	return s.buy(ctx, service, country, "", maxCost)
}

// buy rents a simulated number of one operator ("" for any) at its price.
func (s *Sim) buy(ctx context.Context, service, country, operator string, maxCost provider.Micros) (provider.Number, error) {
	if _, ok := styles[service]; !ok || phonePlans[country] == nil {
		return provider.Number{}, fmt.Errorf("%s buy %s/%s: %w", s.opt.Name, service, country, provider.ErrBadService)
	}
	if operator != "" && !slices.Contains(operators[country], operator) {
		return provider.Number{}, fmt.Errorf("%s buy %s/%s from %q: no such operator: %w", s.opt.Name, service, country,
			operator, provider.ErrBadService)
	}
	if err := s.lockOpen(ctx); err != nil {
		return provider.Number{}, err
	}
	defer s.mu.Unlock()
	now := s.opt.Clock.Now()
	cost, stock := market(s.opt.Seed, service, country, s.marketTime())
	if operator != "" {
		cost, stock = operatorMarket(s.opt.Seed, service, country, operator, s.marketTime())
	}
	switch {
	case stock == 0:
		return provider.Number{}, fmt.Errorf("%s buy %s/%s: %w", s.opt.Name, service, country, provider.ErrNoNumbers)
	case maxCost > 0 && cost > maxCost:
		return provider.Number{}, fmt.Errorf("%s buy %s/%s: cost %v over %v: %w", s.opt.Name, service, country, cost, maxCost, provider.ErrMaxPrice)
	}
	s.seq++
	if s.seq%pruneEvery == 0 {
		s.prune(now)
	}
	rng := s.rngFor(0x6275, s.seq) // "bu(y)"
	cc, _ := provider.LookupCountry(country)
	a := &activation{
		ref: strconv.FormatUint(s.opt.FirstRef+s.seq, 10), service: service, country: country,
		created: now, expires: now.Add(s.opt.Lifetime), state: provider.Waiting,
	}
	phone := "+" + cc.CallingCode + makePhone(rng, country)
	if rng.Float64() >= s.opt.NeverShare {
		s.schedule(a, s.delay(rng))
	}
	s.acts[a.ref] = a
	return provider.Number{Ref: a.ref, Phone: phone, Cost: cost, ExpiresAt: a.expires}, nil
}

// delay is SMSDelay ± Jitter, never negative.
func (s *Sim) delay(rng *rand.Rand) time.Duration {
	d := s.opt.SMSDelay
	if j := s.opt.Jitter; j > 0 {
		d += time.Duration(rng.Int64N(int64(2*j)+1)) - j
	}
	return max(d, 0)
}

// schedule arranges the next SMS for a, unless it would come after the
// number's end. Called with s.mu held.
func (s *Sim) schedule(a *activation, d time.Duration) {
	due := s.opt.Clock.Now().Add(d)
	if !due.Before(a.expires) {
		return
	}
	a.gen++
	gen, ref := a.gen, a.ref
	a.due = due
	a.timer = s.opt.Clock.AfterFunc(d, func() { s.fire(ref, gen) })
}

func (s *Sim) stopTimer(a *activation) {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

// fire delivers a scheduled SMS and tells the sinks.
func (s *Sim) fire(ref string, gen uint64) {
	s.mu.Lock()
	a := s.acts[ref]
	if s.closed || a == nil || a.timer == nil || a.gen != gen {
		s.mu.Unlock()
		return
	}
	a.timer = nil
	m := s.deliver(a)
	sinks := slices.Clone(s.sinks)
	s.running.Add(1)
	s.mu.Unlock()
	defer s.running.Done()
	for _, sink := range sinks {
		sink(ref, m)
	}
}

// deliver adds the pending SMS to a. Called with s.mu held.
func (s *Sim) deliver(a *activation) provider.Message {
	num, _ := strconv.ParseUint(a.ref, 10, 64)
	rng := s.rngFor(0x736d73, num<<8|uint64(len(a.msgs))) // "sms"
	svc, _ := provider.LookupService(a.service)
	sender, text, code := composeSMS(rng, a.service, svc.Name, a.country)
	m := provider.Message{
		ID:     a.ref + "-" + strconv.Itoa(len(a.msgs)+1),
		Sender: sender, Text: text, Code: code, ReceivedAt: a.due,
	}
	a.msgs = append(a.msgs, m)
	a.state = provider.Received
	return m
}

// prune forgets activations that ended more than a lifetime ago. Called
// with s.mu held.
func (s *Sim) prune(now time.Time) {
	for ref, a := range s.acts {
		if a.timer == nil && now.Sub(a.expires) > s.opt.Lifetime {
			delete(s.acts, ref)
		}
	}
	for ref, r := range s.rents {
		if r.timer == nil && r.state != provider.Waiting && r.state != provider.Received && now.Sub(r.ends) > rentDay {
			delete(s.rents, ref)
		}
	}
}

var (
	_ provider.Provider = (*Sim)(nil)
	_ provider.Pusher   = (*Sim)(nil)
	_ provider.Banner   = (*Sim)(nil)

	_ provider.OperatorSeller = (*Sim)(nil)
)
