package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Rentals through the Router: the same providers, the same enabled flags,
// rate limits and counters as activations, for those that are Renters.
// Rental prices are asked per pair and period (no upstream lists them all
// at once cheaply) and kept for the Router's RefreshEvery.

// RoutedRentOffer is the best way to rent one service's number in one
// country for some days.
type RoutedRentOffer struct {
	Service, Country string
	Days             int
	Provider         string // the cheapest enabled renter with stock
	Cost             Micros
	SellCents        int64 // what a person pays
	Stock            int   // across enabled renters
	// CancelWindow is how long after renting the provider takes it back
	// with a refund (0: never).
	CancelWindow time.Duration
}

// guardedRenter is a Renter called under its provider's rate limit and
// counted in its Stats, as guarded is for activations.
type guardedRenter struct {
	g *guarded
	r Renter
}

var _ Renter = guardedRenter{}

func (gr guardedRenter) RentQuote(ctx context.Context, service, country string, days int) (o RentOffer, err error) {
	err = gr.g.call(ctx, "rent_quote", func() (e error) { o, e = gr.r.RentQuote(ctx, service, country, days); return })
	return o, err
}

func (gr guardedRenter) Rent(ctx context.Context, service, country string, days int, maxCost Micros) (n Rented, err error) {
	err = gr.g.call(ctx, "rent", func() (e error) { n, e = gr.r.Rent(ctx, service, country, days, maxCost); return })
	return n, err
}

func (gr guardedRenter) RentCheck(ctx context.Context, ref string) (st Status, err error) {
	err = gr.g.call(ctx, "rent_check", func() (e error) { st, e = gr.r.RentCheck(ctx, ref); return })
	return st, err
}

func (gr guardedRenter) ExtendRent(ctx context.Context, ref string, days int) (n Rented, err error) {
	err = gr.g.call(ctx, "rent_extend", func() (e error) { n, e = gr.r.ExtendRent(ctx, ref, days); return })
	return n, err
}

func (gr guardedRenter) CancelRent(ctx context.Context, ref string) error {
	return gr.g.call(ctx, "rent_cancel", func() error { return gr.r.CancelRent(ctx, ref) })
}

func (gr guardedRenter) FinishRent(ctx context.Context, ref string) error {
	return gr.g.call(ctx, "rent_finish", func() error { return gr.r.FinishRent(ctx, ref) })
}

func (gr guardedRenter) RentCancelWindow() time.Duration { return gr.r.RentCancelWindow() }

// Renter is the named provider's rental side as the Router calls it: rate
// limited and counted. ok is false for an unknown name or a provider that
// does not rent.
func (r *Router) Renter(name string) (Renter, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rt := r.routes[name]
	if rt == nil {
		return nil, false
	}
	rr, ok := rt.g.p.(Renter)
	if !ok {
		return nil, false
	}
	return guardedRenter{g: rt.g, r: rr}, true
}

// rentQuoteKey names one cached quote of a route.
type rentQuoteKey struct {
	service, country string
	days             int
}

type rentQuote struct {
	offer   RentOffer
	fetched time.Time
}

// rentQuotes caches every route's quotes.
type rentQuotes struct {
	mu sync.Mutex
	m  map[string]map[rentQuoteKey]rentQuote // by provider name
}

// quote is rt's quote for a pair and period, asked again when older than
// maxAge (maxAge 0: always asked).
func (r *Router) quote(ctx context.Context, name string, rr Renter, k rentQuoteKey, maxAge time.Duration) (RentOffer, error) {
	now := r.cfg.Now()
	r.rent.mu.Lock()
	q, ok := r.rent.m[name][k]
	r.rent.mu.Unlock()
	if ok && maxAge > 0 && now.Sub(q.fetched) < maxAge {
		return q.offer, nil
	}
	o, err := rr.RentQuote(ctx, k.service, k.country, k.days)
	if err != nil {
		return RentOffer{}, err
	}
	r.rent.mu.Lock()
	defer r.rent.mu.Unlock()
	if r.rent.m == nil {
		r.rent.m = map[string]map[rentQuoteKey]rentQuote{}
	}
	if r.rent.m[name] == nil {
		r.rent.m[name] = map[rentQuoteKey]rentQuote{}
	}
	r.rent.m[name][k] = rentQuote{offer: o, fetched: now}
	return o, nil
}

// forget drops a cached quote, so the next one is asked upstream.
func (r *Router) forgetQuote(name string, k rentQuoteKey) {
	r.rent.mu.Lock()
	defer r.rent.mu.Unlock()
	delete(r.rent.m[name], k)
}

// rentOption is one renter's quote for the pair being rented.
type rentOption struct {
	name  string
	rr    Renter
	offer RentOffer
}

// rentOptions asks every enabled renter (in parallel) for the pair and
// period, and lists those with stock, cheapest first.
func (r *Router) rentOptions(ctx context.Context, service, country string, days int, maxAge time.Duration) []rentOption {
	var names []string
	for _, rt := range r.enabled() {
		names = append(names, rt.g.Name())
	}
	opts := make([]*rentOption, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		rr, ok := r.Renter(name)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := r.quote(ctx, name, rr, rentQuoteKey{service, country, days}, maxAge)
			if err == nil && o.Stock > 0 {
				opts[i] = &rentOption{name: name, rr: rr, offer: o}
			}
		}()
	}
	wg.Wait()
	var out []rentOption
	for _, o := range opts {
		if o != nil {
			out = append(out, *o)
		}
	}
	slices.SortStableFunc(out, func(a, b rentOption) int { return int(min(max(a.offer.Cost-b.offer.Cost, -1), 1)) })
	return out
}

// RentOffer is the cheapest way to rent a number for service in country
// for days now, priced at the markup in force for the pair; ok is false
// when no enabled provider rents it.
func (r *Router) RentOffer(ctx context.Context, service, country string, days int) (RoutedRentOffer, bool) {
	opts := r.rentOptions(ctx, service, country, days, r.cfg.RefreshEvery)
	if len(opts) == 0 {
		return RoutedRentOffer{}, false
	}
	best := opts[0]
	out := RoutedRentOffer{Service: service, Country: country, Days: days, Provider: best.name, Cost: best.offer.Cost,
		SellCents: SellPrice(best.offer.Cost, r.MarkupFor(service, country)), CancelWindow: best.rr.RentCancelWindow()}
	for _, o := range opts {
		out.Stock += o.offer.Stock
	}
	return out, true
}

// ExtendQuote is what extending a rental of provider name by days costs
// now (its quote for the rental's pair and period) and its sell price at
// the markup in force for the pair.
func (r *Router) ExtendQuote(ctx context.Context, name, service, country string, days int) (Micros, int64, error) {
	rr, ok := r.Renter(name)
	if !ok {
		return 0, 0, fmt.Errorf("extend at %s: %w", name, ErrNotSupported)
	}
	o, err := r.quote(ctx, name, rr, rentQuoteKey{service, country, days}, r.cfg.RefreshEvery)
	if err != nil {
		return 0, 0, err
	}
	if o.Cost <= 0 {
		return 0, 0, fmt.Errorf("extend %s/%s at %s: no price for %d days: %w", service, country, name, days, ErrNoNumbers)
	}
	return o.Cost, SellPrice(o.Cost, r.MarkupFor(service, country)), nil
}

// RentAt rents a number for service in country for days from the
// cheapest enabled renter with stock, never above maxSellCents (0 = no
// cap, turned into a cost cap with markup m), falling over to the next as
// BuyAt does, but never to one with a shorter cancel window than the
// cheapest's (the one RentOffer shows). It returns the provider's name,
// the rental and its cost.
func (r *Router) RentAt(ctx context.Context, service, country string, days int, maxSellCents int64, m Markup) (string, Rented, Micros, error) {
	var costCap Micros
	if maxSellCents > 0 {
		if costCap = CostCap(maxSellCents, m); costCap < 1 {
			return "", Rented{}, 0, fmt.Errorf("rent %s/%s: %d cents rents nothing: %w", service, country, maxSellCents, ErrMaxPrice)
		}
	}
	all := r.rentOptions(ctx, service, country, days, r.cfg.RefreshEvery)
	var opts []rentOption
	aboveCap := false
	for _, o := range all {
		if costCap > 0 && o.offer.Cost > costCap {
			aboveCap = true
			continue
		}
		// The offer shown was the cheapest's, with its cancel window:
		// never fall over to a provider that takes less time back.
		if len(opts) > 0 && o.rr.RentCancelWindow() < opts[0].rr.RentCancelWindow() {
			continue
		}
		opts = append(opts, o)
	}
	if len(opts) == 0 {
		if aboveCap {
			return "", Rented{}, 0, fmt.Errorf("rent %s/%s: every offer is above %d cents: %w", service, country, maxSellCents, ErrMaxPrice)
		}
		return "", Rented{}, 0, fmt.Errorf("rent %s/%s for %d days: no provider has stock: %w", service, country, days, ErrNoNumbers)
	}
	var failures []string
	sawNoNumbers, sawMaxPrice := false, false
	for _, o := range opts {
		n, err := o.rr.Rent(ctx, service, country, days, costCap)
		if err == nil {
			if n.Cost <= 0 {
				n.Cost = o.offer.Cost
			}
			if costCap > 0 && n.Cost > costCap {
				cerr := o.rr.CancelRent(ctx, n.Ref)
				return "", Rented{}, 0, errors.Join(fmt.Errorf("rent from %s: charged %v over %v: %w", o.name, n.Cost,
					costCap, ErrMaxPrice), cerr)
			}
			return o.name, n, n.Cost, nil
		}
		failures = append(failures, err.Error())
		k := rentQuoteKey{service, country, days}
		switch {
		case errors.Is(err, ErrNoNumbers):
			sawNoNumbers = true
			r.forgetQuote(o.name, k)
		case errors.Is(err, ErrUnavailable):
		case errors.Is(err, ErrMaxPrice):
			sawMaxPrice = true
			r.forgetQuote(o.name, k)
		default:
			return "", Rented{}, 0, fmt.Errorf("rent %s/%s: %w", service, country, err)
		}
	}
	sentinel := ErrUnavailable
	switch {
	case sawNoNumbers:
		sentinel = ErrNoNumbers
	case sawMaxPrice:
		sentinel = ErrMaxPrice
	}
	return "", Rented{}, 0, fmt.Errorf("rent %s/%s: %w after trying %d providers: %s", service, country, sentinel,
		len(failures), strings.Join(failures, "; "))
}
