package sim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// The simulator rents numbers too (provider.Renter), so rentals work
// without credentials: a rented number gets its first SMS after the usual
// delay (or, for the NeverShare part, never), then another now and then
// until it ends, and can be cancelled in its first 20 minutes while no SMS
// came, as at the market.

// RentCancelWindow is how long a simulated rental can be given back: the
// market's 20 minutes (SMS-Activate's setRentStatus refuses later with
// CANT_CANCEL).
const RentCancelWindow = 20 * time.Minute

// After the first SMS, the next comes rentEvery times the usual delay
// later, and each gap after that twice the one before, up to rentMaxGap:
// a rented number gets a few SMS in its first minutes (something to see
// when trying it) and then one now and then, not thousands in a month.
const (
	rentEvery  = 4
	rentMaxGap = 6 * time.Hour
)

// nextGap is the wait before a rental's next SMS, after n of them.
func (s *Sim) nextGap(n int, rng interface{ Int64N(int64) int64 }) time.Duration {
	d := rentEvery * s.opt.SMSDelay
	for i := 1; i < n && d < rentMaxGap; i++ {
		d *= 2
	}
	if j := s.opt.Jitter; j > 0 {
		d += time.Duration(rng.Int64N(int64(2*j)+1)) - j
	}
	return min(max(d, time.Second), rentMaxGap)
}

// rentDayFactor is what renting for a number of days costs, in
// activations of the same pair (invented, in the range public rental
// lists show: a day costs a few activations, a month tens of them).
var rentDayFactor = map[int]int64{1: 6, 7: 25, 14: 40, 30: 70}

// rentDay is the length of a simulated rental's day.
const rentDay = 24 * time.Hour

type rental struct {
	ref, service, country string
	created, ends         time.Time
	state                 provider.State
	msgs                  []provider.Message
	timer                 Stopper
	due                   time.Time
	gen                   uint64
}

// rentMarket is the cost and stock of renting a pair for days.
func (s *Sim) rentMarket(service, country string, days int) (provider.Micros, int, bool) {
	f, ok := rentDayFactor[days]
	if _, known := styles[service]; !ok || !known || phonePlans[country] == nil {
		return 0, 0, false
	}
	cost, stock := market(s.opt.Seed, service, country, s.marketTime())
	return cost * provider.Micros(f), stock / 10, true
}

// RentQuote is the simulated price and stock of renting a pair.
func (s *Sim) RentQuote(ctx context.Context, service, country string, days int) (provider.RentOffer, error) {
	if err := s.usable(ctx); err != nil {
		return provider.RentOffer{}, err
	}
	cost, stock, ok := s.rentMarket(service, country, days)
	if !ok {
		return provider.RentOffer{Service: service, Country: country, Days: days}, nil
	}
	return provider.RentOffer{Service: service, Country: country, Days: days, Cost: cost, Stock: stock}, nil
}

// RentCancelWindow is the market's 20 minutes.
func (s *Sim) RentCancelWindow() time.Duration { return RentCancelWindow }

// Rent rents a simulated number for days.
func (s *Sim) Rent(ctx context.Context, service, country string, days int, maxCost provider.Micros) (provider.Rented, error) {
	cost, stock, ok := s.rentMarket(service, country, days)
	if !ok {
		return provider.Rented{}, fmt.Errorf("%s rent %s/%s for %d days: %w", s.opt.Name, service, country, days, provider.ErrBadService)
	}
	if err := s.lockOpen(ctx); err != nil {
		return provider.Rented{}, err
	}
	defer s.mu.Unlock()
	switch {
	case stock == 0:
		return provider.Rented{}, fmt.Errorf("%s rent %s/%s: %w", s.opt.Name, service, country, provider.ErrNoNumbers)
	case maxCost > 0 && cost > maxCost:
		return provider.Rented{}, fmt.Errorf("%s rent %s/%s: cost %v over %v: %w", s.opt.Name, service, country, cost, maxCost, provider.ErrMaxPrice)
	}
	now := s.opt.Clock.Now()
	s.seq++
	if s.seq%pruneEvery == 0 {
		s.prune(now)
	}
	rng := s.rngFor(0x72656e74, s.seq) // "rent"
	cc, _ := provider.LookupCountry(country)
	r := &rental{ref: strconv.FormatUint(s.opt.FirstRef+s.seq, 10), service: service, country: country,
		created: now, ends: now.Add(time.Duration(days) * rentDay), state: provider.Waiting}
	phone := "+" + cc.CallingCode + makePhone(rng, country)
	if rng.Float64() >= s.opt.NeverShare {
		s.scheduleRent(r, s.delay(rng))
	}
	if s.rents == nil {
		s.rents = map[string]*rental{}
	}
	s.rents[r.ref] = r
	return provider.Rented{Ref: r.ref, Phone: phone, Cost: cost, EndsAt: r.ends}, nil
}

// scheduleRent arranges the rental's next SMS, unless it would come after
// its end. Called with s.mu held.
func (s *Sim) scheduleRent(r *rental, d time.Duration) {
	due := s.opt.Clock.Now().Add(d)
	if !due.Before(r.ends) {
		return
	}
	r.gen++
	gen, ref := r.gen, r.ref
	r.due = due
	r.timer = s.opt.Clock.AfterFunc(d, func() { s.fireRent(ref, gen) })
}

// fireRent delivers a rental's SMS, tells the sinks and schedules the next.
func (s *Sim) fireRent(ref string, gen uint64) {
	s.mu.Lock()
	r := s.rents[ref]
	if s.closed || r == nil || r.timer == nil || r.gen != gen {
		s.mu.Unlock()
		return
	}
	r.timer = nil
	m := s.deliverRent(r)
	sinks := slices.Clone(s.sinks)
	s.running.Add(1)
	s.mu.Unlock()
	defer s.running.Done()
	for _, sink := range sinks {
		sink(ref, m)
	}
}

// deliverRent adds the pending SMS to r and schedules the next. Called
// with s.mu held.
func (s *Sim) deliverRent(r *rental) provider.Message {
	num, _ := strconv.ParseUint(r.ref, 10, 64)
	rng := s.rngFor(0x72736d73, num<<8|uint64(len(r.msgs))) // "rsms"
	svc, _ := provider.LookupService(r.service)
	sender, text, code := composeSMS(rng, r.service, svc.Name, r.country)
	m := provider.Message{ID: r.ref + "-" + strconv.Itoa(len(r.msgs)+1), Sender: sender, Text: text, Code: code,
		ReceivedAt: r.due}
	r.msgs = append(r.msgs, m)
	r.state = provider.Received
	s.scheduleRent(r, s.nextGap(len(r.msgs), rng))
	return m
}

// withRental runs f on a rental under the lock, bringing it up to date
// first (a due SMS delivered, an end passed), then tells the sinks.
func (s *Sim) withRental(ctx context.Context, op, ref string, f func(r *rental) error) error {
	if err := s.lockOpen(ctx); err != nil {
		return err
	}
	r := s.rents[ref]
	if r == nil {
		s.mu.Unlock()
		return fmt.Errorf("%s %s %q: %w", s.opt.Name, op, ref, provider.ErrUnknownActivation)
	}
	now := s.opt.Clock.Now()
	var due []provider.Message
	for r.timer != nil && !r.due.After(now) {
		s.stopTimer2(&r.timer)
		due = append(due, s.deliverRent(r))
	}
	if r.state == provider.Waiting || r.state == provider.Received {
		if !now.Before(r.ends) {
			s.stopTimer2(&r.timer)
			r.state = provider.Finished
		}
	}
	err := f(r)
	sinks := slices.Clone(s.sinks)
	if len(due) > 0 {
		s.running.Add(1)
	}
	s.mu.Unlock()
	if len(due) > 0 {
		defer s.running.Done()
		for _, m := range due {
			for _, sink := range sinks {
				sink(ref, m)
			}
		}
	}
	return err
}

func (s *Sim) stopTimer2(t *Stopper) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

// RentCheck reports the rental's state and every SMS so far.
func (s *Sim) RentCheck(ctx context.Context, ref string) (provider.Status, error) {
	var st provider.Status
	err := s.withRental(ctx, "rent check", ref, func(r *rental) error {
		st = provider.Status{State: r.state, Messages: slices.Clone(r.msgs)}
		return nil
	})
	return st, err
}

// ExtendRent adds days to a running rental at the current price.
func (s *Sim) ExtendRent(ctx context.Context, ref string, days int) (provider.Rented, error) {
	var out provider.Rented
	err := s.withRental(ctx, "extend", ref, func(r *rental) error {
		if r.state != provider.Waiting && r.state != provider.Received {
			return fmt.Errorf("%s extend %s: state %s: %w", s.opt.Name, ref, r.state, provider.ErrBadState)
		}
		cost, _, ok := s.rentMarket(r.service, r.country, days)
		if !ok {
			return fmt.Errorf("%s extend %s by %d days: %w", s.opt.Name, ref, days, provider.ErrBadService)
		}
		r.ends = r.ends.Add(time.Duration(days) * rentDay)
		if r.timer == nil && len(r.msgs) > 0 {
			s.scheduleRent(r, s.nextGap(len(r.msgs), s.rngFor(0x657874, uint64(len(r.msgs))))) // "ext"
		}
		out = provider.Rented{Ref: ref, Cost: cost, EndsAt: r.ends}
		return nil
	})
	return out, err
}

// CancelRent gives a rental back: only in its first 20 minutes and
// before any SMS (CANT_CANCEL otherwise, as ErrBadState).
func (s *Sim) CancelRent(ctx context.Context, ref string) error {
	return s.withRental(ctx, "rent cancel", ref, func(r *rental) error {
		switch {
		case r.state == provider.Cancelled:
			return nil
		case r.state != provider.Waiting || len(r.msgs) > 0:
			return fmt.Errorf("%s cancel rental %s: state %s: %w", s.opt.Name, ref, r.state, provider.ErrBadState)
		case !s.opt.Clock.Now().Before(r.created.Add(RentCancelWindow)):
			return fmt.Errorf("%s cancel rental %s: CANT_CANCEL after %v: %w", s.opt.Name, ref, RentCancelWindow, provider.ErrBadState)
		}
		s.stopTimer2(&r.timer)
		r.state = provider.Cancelled
		return nil
	})
}

// FinishRent ends a rental.
func (s *Sim) FinishRent(ctx context.Context, ref string) error {
	return s.withRental(ctx, "rent finish", ref, func(r *rental) error {
		if r.state == provider.Waiting || r.state == provider.Received {
			s.stopTimer2(&r.timer)
			r.state = provider.Finished
		}
		return nil
	})
}

var _ provider.Renter = (*Sim)(nil)
