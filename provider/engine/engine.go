// Package engine drives every reservation through its life, from active
// (paid for, waiting) through received (an SMS came) to one end state
// (store.ReservationState): it buys a number through the provider Router and
// records it with its debit in one transaction, learns about SMS by
// polling pull providers (with backoff and jitter, under each provider's
// rate limit), by the pushes of Pushers and by signed webhooks, cancels,
// finishes and asks for another SMS, takes reports of bad numbers (the
// provider told once, refunded once), and ends each reservation at its
// lifetime's end with a refund when no SMS came. It hands the store's
// shared success rates to the router, which breaks price ties with them.
// It drives rentals too (rentals.go): numbers rented for days, their SMS,
// notice, extension, cancel and end.
//
// The engine keeps no state that matters in memory: its one timer queue
// is rebuilt from the open reservations in the database on Start, so a
// restart resumes every reservation and refunds those that expired while
// the server was down. With several instances on one PostgreSQL, one
// engine at a time watches the open numbers: the one whose instance holds
// the numbers' lease (lead.go), which rebuilds the queue the same way
// when it takes over from an instance that died.
//
// May import from this repository: provider, provider/sim (its Clock, so
// tests can hold time still), store, store/metrics.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

// Defaults, from what upstreams allow: a number lives 20 minutes (the
// usual activation lifetime), cancel is allowed after 2 (SMS-Activate
// refuses a cancel earlier than that), and a person holds at most 10 open
// numbers (DaisySMS allows 20 per upstream account; 10 per person leaves
// room for several people on one upstream account).
const (
	DefaultLifetime    = 20 * time.Minute
	DefaultCancelGuard = 2 * time.Minute
	DefaultMaxOpen     = 10
)

// Polling cadence for pull providers: the first look soon after the
// purchase (SMS usually come within a minute), then waits growing by half
// up to the cap, each varied by ±20 % so that numbers bought together do
// not poll together.
const (
	DefaultPollMin = 3 * time.Second
	DefaultPollMax = 30 * time.Second
	pollGrowth     = 1.5
	pollJitter     = 0.2
)

// DefaultWorkers bounds the jobs (upstream calls) run at once.
const DefaultWorkers = 16

// pushQueue is how many pushed messages may wait for the database; a
// push beyond it is dropped and found again by the final check at expiry.
const pushQueue = 4096

// upstreamTimeout bounds one upstream call made by the engine itself.
const upstreamTimeout = 30 * time.Second

// Config tunes an Engine. Zero values take the defaults, except
// CancelGuard, where zero means no guard.
type Config struct {
	Lifetime    time.Duration
	CancelGuard time.Duration
	MaxOpen     int
	PollMin     time.Duration
	PollMax     time.Duration
	Workers     int
	Clock       sim.Clock // default the wall clock
	Log         *slog.Logger
	// Secrets are the webhook secrets per provider name: pushes to
	// /webhooks/provider/{name} must be signed with them.
	Secrets map[string][]byte
	// Simulated names the providers whose numbers are not real (sim).
	Simulated map[string]bool
	// RentalDay is how long one day of a rental lasts (default a day;
	// shorter to try rentals out, or in tests).
	RentalDay time.Duration
	// RentalCancelWindow is how long after renting a rental may be given
	// back for a full refund (default 20 minutes; never longer than its
	// provider's own).
	RentalCancelWindow time.Duration
	// Standby: other instances share the database, and this engine
	// watches the open numbers only while Lead runs (lead.go). Without it
	// the engine watches them from Start on, alone.
	Standby bool
	// Rescan is how often a leading engine on standby looks for numbers
	// other instances sold (default DefaultRescan).
	Rescan time.Duration
	// SettingsReload is how often the admins' settings are read again
	// without an event saying they changed (default
	// DefaultSettingsReload).
	SettingsReload time.Duration
}

func (c Config) withDefaults() Config {
	if c.Lifetime <= 0 {
		c.Lifetime = DefaultLifetime
	}
	if c.CancelGuard < 0 {
		c.CancelGuard = 0
	}
	if c.MaxOpen <= 0 {
		c.MaxOpen = DefaultMaxOpen
	}
	if c.PollMin <= 0 {
		c.PollMin = DefaultPollMin
	}
	if c.PollMax < c.PollMin {
		c.PollMax = max(DefaultPollMax, c.PollMin)
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Clock == nil {
		c.Clock = sim.RealClock()
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.RentalDay <= 0 {
		c.RentalDay = DefaultRentalDay
	}
	if c.RentalCancelWindow <= 0 {
		c.RentalCancelWindow = DefaultRentalCancelWindow
	}
	if c.Rescan <= 0 {
		c.Rescan = DefaultRescan
	}
	if c.SettingsReload <= 0 {
		c.SettingsReload = DefaultSettingsReload
	}
	return c
}

// Engine runs reservations. Create it with New, Start it once, Close it
// at shutdown.
type Engine struct {
	cfg    Config
	st     *store.Store
	router *provider.Router
	sched  *scheduler
	log    *slog.Logger

	pushes chan pushed
	sem    chan struct{}
	wg     sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc

	hooks metrics.Tally // webhook outcomes, for /metrics

	mu      sync.Mutex
	pullers map[string]bool     // providers polled on a schedule
	rates   *store.SuccessRates // the rates the router ranks with

	watch watch // the numbers this engine schedules, while it leads (lead.go)
}

type pushed struct {
	provider, ref string
	m             provider.Message
}

// New makes an Engine over a store and a router holding the providers.
func New(st *store.Store, router *provider.Router, cfg Config) *Engine {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Engine{cfg: cfg, st: st, router: router, sched: newScheduler(cfg.Clock), log: cfg.Log,
		pushes: make(chan pushed, pushQueue), sem: make(chan struct{}, cfg.Workers), ctx: ctx, cancel: cancel,
		pullers: map[string]bool{}}
}

// Start applies the admins' run-time settings (markup overrides,
// providers switched off) and follows their changes, subscribes to the
// providers that push, resumes every open reservation from the database
// (on Standby: Lead does, while it runs), starts the timer loop, and
// becomes the store's Releaser: an erased account's numbers are given
// back upstream first.
func (e *Engine) Start(ctx context.Context) error {
	settings := e.st.Hub().Subscribe(0) // before reading: a change from now on is an event
	if err := e.applySettings(ctx); err != nil {
		settings.Close()
		return fmt.Errorf("admin settings: %w", err)
	}
	e.goRun(func() { e.followSettings(settings) })
	e.st.SetReleaser(e.releaseForErasure)
	e.st.SetRentalReleaser(e.releaseRentalsForErasure)
	for _, s := range e.router.Stats() {
		p, _ := e.router.Provider(s.Provider)
		if pu, ok := unwrap(p).(provider.Pusher); ok {
			name := s.Provider
			pu.Subscribe(func(ref string, m provider.Message) { e.push(name, ref, m) })
		} else {
			e.pullers[s.Provider] = true
		}
	}
	if !e.cfg.Standby {
		e.lead(true)
		if err := e.resume(ctx); err != nil {
			return fmt.Errorf("resume open numbers: %w", err)
		}
	}
	e.goRun(e.loop)
	e.goRun(e.ingestPushes)
	return nil
}

// Close stops the timers and waits for every job in flight.
func (e *Engine) Close() {
	e.cancel()
	e.sched.stop()
	e.wg.Wait()
}

func (e *Engine) goRun(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

func unwrap(p provider.Provider) provider.Provider {
	if u, ok := p.(interface{ Unwrap() provider.Provider }); ok {
		return u.Unwrap()
	}
	return p
}

// Offers is what can be reserved now, per service and country, from the
// provider ranked first (cheapest, then the better success rate), with
// sell prices.
func (e *Engine) Offers(ctx context.Context) []provider.RoutedOffer {
	e.SuccessRates(ctx)
	return e.router.Offers(ctx)
}

// Simulated reports whether a provider's numbers are simulated.
func (e *Engine) Simulated(providerName string) bool { return e.cfg.Simulated[providerName] }

// CanAgain reports whether a provider can send another SMS on a number
// (an unknown provider cannot).
func (e *Engine) CanAgain(providerName string) bool {
	p, ok := e.router.Provider(providerName)
	if !ok {
		return false
	}
	a, ok := unwrap(p).(provider.AgainSupport)
	return !ok || a.SupportsAgain()
}

// Lifetime is how long a reservation stays open.
func (e *Engine) Lifetime() time.Duration { return e.cfg.Lifetime }

// track watches a reservation, unless the engine does not lead or
// watches it already: its expiry, and its polling from first on. Pull
// providers are polled from PollMin after the sale on, and pushers looked
// at once then, for a push that raced the recording; a resumed number is
// looked at at once (first 0): SMS may have come while nobody watched.
func (e *Engine) track(r store.Reservation, first time.Duration) {
	gen, ok := e.watch.add(watchReservation, r.ID)
	if !ok {
		return
	}
	e.sched.add(job{at: r.ExpiresAt, id: r.ID, kind: jobExpire})
	e.sched.add(job{at: e.cfg.Clock.Now().Add(first), id: r.ID, kind: jobPoll, gen: gen, interval: first})
}

// startPolling begins a new poll chain for a reservation, replacing any
// (nothing on an engine that does not lead).
func (e *Engine) startPolling(id int64, first time.Duration) {
	if gen, ok := e.watch.restart(watchReservation, id); ok {
		e.sched.add(job{at: e.cfg.Clock.Now().Add(first), id: id, kind: jobPoll, gen: gen, interval: first})
	}
}

// forget drops a reservation's poll chain once it has ended.
func (e *Engine) forget(id int64) { e.watch.forget(watchReservation, id) }

// loop runs due jobs on the worker pool until Close.
func (e *Engine) loop() {
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.sched.wake:
		}
		for _, j := range e.sched.due(e.cfg.Clock.Now()) {
			select {
			case e.sem <- struct{}{}:
			case <-e.ctx.Done():
				return
			}
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer func() { <-e.sem }()
				e.run(j)
			}()
		}
	}
}

func (e *Engine) run(j job) {
	ctx, cancel := context.WithTimeout(e.ctx, upstreamTimeout)
	defer cancel()
	switch j.kind {
	case jobExpire:
		e.expire(ctx, j.id)
	case jobPoll:
		if e.watch.current(watchReservation, j.id, j.gen) {
			e.poll(ctx, j)
		}
	default:
		e.runRental(ctx, j)
	}
}

// userError is a refusal written for the person.
type userError string

func (e userError) Error() string      { return string(e) }
func (e userError) UserFacing() string { return string(e) }

// Refusals the engine explains to people.
var (
	ErrNoNumbers    error = userError("no numbers left for this service in this country right now: try another country, or again in a few minutes")
	ErrPriceChanged error = userError("the price went up since you looked: check the new price and try again")
	ErrUnavailable  error = userError("the number providers are not answering right now: try again in a minute")
	ErrNotSold      error = userError("this service is not sold in this country")
	ErrNoAgain      error = userError("this provider cannot send another SMS on the same number")
	ErrNoSMSYet     error = store.ErrNoSMSYet // the rule lives with the reservation
	ErrCancelLater  error = userError("the provider does not let this number go yet: try again in a minute (it is refunded automatically if no SMS comes)")
	ErrNoOperator   error = userError("no numbers of this operator left for this service in this country right now: choose another operator, or any")
)

// CancelGuardError refuses a cancel during the early-cancel guard.
type CancelGuardError struct{ Guard, Wait time.Duration }

func (e *CancelGuardError) Error() string {
	return fmt.Sprintf("a number can be cancelled %s after it was reserved: try again in %s",
		roundUp(e.Guard), roundUp(e.Wait))
}

// UserFacing tells the person how long to wait.
func (e *CancelGuardError) UserFacing() string { return e.Error() }

func roundUp(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s%60 == 0:
		return fmt.Sprintf("%d min", s/60)
	}
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// buyError turns a router failure into what the person is told.
func buyError(err error) error {
	switch {
	case errors.Is(err, provider.ErrNoNumbers):
		return fmt.Errorf("%w (%v)", ErrNoNumbers, err)
	case errors.Is(err, provider.ErrMaxPrice):
		return fmt.Errorf("%w (%v)", ErrPriceChanged, err)
	case errors.Is(err, provider.ErrBadService):
		return fmt.Errorf("%w (%v)", ErrNotSold, err)
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, provider.ErrNoBalance):
		return fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	return err
}
