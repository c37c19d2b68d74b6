package provider

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// operatorName is what an operator's name may look like: upstreams name
// operators in lower-case words ("mts", "tele2", "virtual21"), and a name
// goes into URLs and onto screens, so nothing else is taken.
var operatorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// AnyOperator is the word upstreams use for "whichever operator": it
// names no operator of its own.
const AnyOperator = "any"

// ValidOperator reports whether name can be an operator's name.
func ValidOperator(name string) bool { return name != AnyOperator && operatorName.MatchString(name) }

// CleanOperators keeps the offers whose names are valid operator names,
// lower-cased, merged by name (the cheapest cost, the stock summed) and
// sorted by name: what adapters return from an upstream's list.
func CleanOperators(in []OperatorOffer) []OperatorOffer {
	by := map[string]*OperatorOffer{}
	for _, o := range in {
		o.Operator = strings.ToLower(strings.TrimSpace(o.Operator))
		if !ValidOperator(o.Operator) || o.Cost < 0 || o.Stock < 0 {
			continue
		}
		if b := by[o.Operator]; b != nil {
			b.Cost = min(b.Cost, o.Cost)
			b.Stock = int(min(int64(b.Stock)+int64(o.Stock), 1<<31-1))
			continue
		}
		by[o.Operator] = &o
	}
	out := make([]OperatorOffer, 0, len(by))
	for _, o := range by {
		out = append(out, *o)
	}
	slices.SortFunc(out, func(a, b OperatorOffer) int { return strings.Compare(a.Operator, b.Operator) })
	return out
}

// opsEntry is one provider's cached operator list for one pair.
type opsEntry struct {
	refresh sync.Mutex // one fetch at a time
	mu      sync.Mutex // guards the fields below
	offers  []OperatorOffer
	fetched time.Time
}

// operators is rt's cached operator list for a pair, fetched first when
// older than maxAge; nil when the provider sells no operators. A failed
// fetch keeps the old list until the next attempt, maxAge later.
func (rt *route) operators(ctx context.Context, service, country string, now time.Time, maxAge time.Duration) []OperatorOffer {
	if !rt.g.sellsOperators() {
		return nil
	}
	e := rt.opsEntry(service, country)
	e.refresh.Lock()
	defer e.refresh.Unlock()
	e.mu.Lock()
	fresh := !e.fetched.IsZero() && now.Sub(e.fetched) < maxAge
	e.mu.Unlock()
	if !fresh {
		offers, err := rt.g.Operators(ctx, service, country)
		e.mu.Lock()
		e.fetched = now
		if err == nil {
			e.offers = CleanOperators(offers)
		}
		e.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.offers
}

func (rt *route) opsEntry(service, country string) *opsEntry {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.ops == nil {
		rt.ops = map[[2]string]*opsEntry{}
	}
	k := [2]string{service, country}
	e := rt.ops[k]
	if e == nil {
		e = &opsEntry{}
		rt.ops[k] = e
	}
	return e
}

// staleOperators makes the next read of a pair's operators fetch again
// (a buy found the list out of date).
func (rt *route) staleOperators(service, country string) {
	e := rt.opsEntry(service, country)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fetched = time.Time{}
}

// Operators is, for one service in one country, every operator some
// enabled provider sells numbers of, each with the provider that would
// sell it (the same ranking as Offers), its cost and sell price (at the
// pair's markup), and its stock across providers; cheapest first, then by
// name. Empty when no enabled provider sells by operator there, and for a
// service or country that is not in the tables. Each provider's list is
// cached for RefreshEvery, shared between callers.
func (r *Router) Operators(ctx context.Context, service, country string) []RoutedOffer {
	if _, ok := LookupService(service); !ok {
		return nil
	}
	if _, ok := LookupCountry(country); !ok {
		return nil
	}
	routes, lists := r.operatorLists(ctx, service, country)
	m := r.MarkupFor(service, country)
	rank := r.ranker(service, country, m)
	best := map[string]*RoutedOffer{}
	var names []string
	for i, list := range lists {
		name := routes[i].g.Name()
		for _, o := range list {
			if o.Stock <= 0 {
				continue
			}
			b := best[o.Operator]
			if b == nil {
				b = &RoutedOffer{Service: service, Country: country, Operator: o.Operator, Provider: name, Cost: o.Cost}
				best[o.Operator] = b
				names = append(names, o.Operator)
			} else if rank(contender{name, o.Cost}, contender{b.Provider, b.Cost}) < 0 {
				b.Provider, b.Cost = name, o.Cost
			}
			b.Stock = int(min(int64(b.Stock)+int64(o.Stock), 1<<31-1))
		}
	}
	out := make([]RoutedOffer, 0, len(names))
	for _, n := range names {
		b := best[n]
		b.SellCents = SellPrice(b.Cost, m)
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b RoutedOffer) int {
		if a.SellCents != b.SellCents {
			return int(min(max(a.SellCents-b.SellCents, -1), 1))
		}
		return strings.Compare(a.Operator, b.Operator)
	})
	return out
}

// operatorLists loads the pair's operator list of every enabled provider
// that sells by operator, in parallel (upstream round trips).
func (r *Router) operatorLists(ctx context.Context, service, country string) ([]*route, [][]OperatorOffer) {
	var routes []*route
	for _, rt := range r.enabled() {
		if rt.g.sellsOperators() {
			routes = append(routes, rt)
		}
	}
	lists := make([][]OperatorOffer, len(routes))
	now := r.cfg.Now()
	var wg sync.WaitGroup
	for i, rt := range routes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i] = rt.operators(ctx, service, country, now, r.cfg.RefreshEvery)
		}()
	}
	wg.Wait()
	return routes, lists
}
