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

// DefaultRefreshEvery is how old a cached catalogue may get before the
// Router fetches it again. Upstream prices move within minutes; a minute
// keeps offers fresh without spending the upstream's request budget.
const DefaultRefreshEvery = time.Minute

// RouterConfig configures a Router.
type RouterConfig struct {
	Markup       Markup           // sell price = cost × Markup; default AtCost
	RefreshEvery time.Duration    // catalogue cache age limit; default DefaultRefreshEvery
	Now          func() time.Time // default time.Now
}

// Route is how one provider is used.
type Route struct {
	Enabled bool
	Limit   Rate // upstream request budget; zero is unlimited
}

// RoutedOffer is the best way to buy one service in one country, from one
// mobile operator (Operators) or from any (Offers, Operator "").
type RoutedOffer struct {
	Service, Country string
	Operator         string // "" for any operator
	Provider         string // the enabled provider a purchase tries first (see Offers)
	Cost             Micros // its cost
	SellCents        int64  // what a user pays
	Stock            int    // total across enabled providers
}

// Pick is what the offer sells.
func (o RoutedOffer) Pick() Pick {
	return Pick{Service: o.Service, Country: o.Country, Operator: o.Operator}
}

// Router holds the named providers, each with an enabled flag that can be
// flipped at run time, caches their catalogues, and buys from the
// cheapest with stock, falling over to the next when one has no numbers
// or is unavailable. Safe for concurrent use.
type Router struct {
	cfg       RouterConfig
	mu        sync.RWMutex
	routes    map[string]*route
	order     []string
	overrides Overrides
	// overridesGen counts SetOverrides and SetRates calls, so merged
	// offers know when their prices or their ranking went stale.
	overridesGen uint64
	rates        RateSource

	merged offersMemo
	rent   rentQuotes // rental quotes per provider (router_rent.go)
}

// offersMemo keeps the last merged offers and what they were made from:
// every session asks for the offers, and they should share one list
// rather than each hold its own copy.
type offersMemo struct {
	mu  sync.Mutex
	key []catalogueID
	gen uint64
	out []RoutedOffer
}

// catalogueID identifies one provider's cached catalogue: a refresh
// replaces the slice, so its first element's address changes.
type catalogueID struct {
	name  string
	first *Offer
	n     int
}

type route struct {
	g       *guarded
	enabled bool

	refresh sync.Mutex // one catalogue fetch at a time per provider
	mu      sync.Mutex // guards the fields below
	offers  []Offer
	fetched time.Time
	ops     map[[2]string]*opsEntry // operator lists per pair
}

// NewRouter makes an empty Router.
func NewRouter(cfg RouterConfig) *Router {
	if cfg.Markup <= 0 {
		cfg.Markup = AtCost
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = DefaultRefreshEvery
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Router{cfg: cfg, routes: map[string]*route{}}
}

// Add registers a provider under its Name, wrapped with its rate limit
// and call counters.
func (r *Router) Add(p Provider, rt Route) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	name := p.Name()
	if name == "" || r.routes[name] != nil {
		return fmt.Errorf("router: provider name %q empty or taken", name)
	}
	g := &guarded{p: p, lim: NewLimiter(rt.Limit, r.cfg.Now), stats: &Stats{}, now: r.cfg.Now}
	r.routes[name] = &route{g: g, enabled: rt.Enabled}
	r.order = append(r.order, name)
	return nil
}

// ShareLimits makes every provider's request budget one n-th of its
// Route.Limit: n instances of the service call the same upstream
// accounts, and together they must stay within what each allows.
func (r *Router) ShareLimits(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rt := range r.routes {
		rt.g.lim.Share(n)
	}
}

// Markup is the Router's sell-price multiplier, where no override applies.
func (r *Router) Markup() Markup { return r.cfg.Markup }

// SetEnabled turns a provider on or off for new purchases.
func (r *Router) SetEnabled(name string, on bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := r.routes[name]
	if rt == nil {
		return fmt.Errorf("router: no provider %q", name)
	}
	rt.enabled = on
	return nil
}

// Provider is the named provider as the Router calls it: rate limited
// and counted. Use it for every call on that provider's numbers; it
// implements Banner, and Unwrap() Provider gives the provider itself.
func (r *Router) Provider(name string) (Provider, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if rt := r.routes[name]; rt != nil {
		return rt.g, true
	}
	return nil, false
}

// enabled lists the enabled routes in the order they were added.
func (r *Router) enabled() []*route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []*route
	for _, name := range r.order {
		if rt := r.routes[name]; rt.enabled {
			out = append(out, rt)
		}
	}
	return out
}

// Stats is every provider's counters and state, in the order added.
func (r *Router) Stats() []StatsSnapshot {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]StatsSnapshot, 0, len(r.order))
	for _, name := range r.order {
		rt := r.routes[name]
		s := rt.g.stats.snapshot(r.cfg.Now())
		s.Provider, s.Enabled = name, rt.enabled
		rt.mu.Lock()
		s.CatalogueAt, s.Offers = rt.fetched, len(rt.offers)
		rt.mu.Unlock()
		out = append(out, s)
	}
	return out
}

// Refresh fetches every enabled provider's catalogue now.
func (r *Router) Refresh(ctx context.Context) error {
	var errs []error
	for _, rt := range r.enabled() {
		errs = append(errs, rt.load(ctx, r.cfg.Now(), 0))
	}
	return errors.Join(errs...)
}

// catalogue is rt's cached catalogue, fetched first when older than
// maxAge. A failed fetch keeps the old offers until the next attempt,
// which waits maxAge, so a failing upstream is not hammered.
func (rt *route) catalogue(ctx context.Context, now time.Time, maxAge time.Duration) []Offer {
	rt.load(ctx, now, maxAge)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.offers
}

func (rt *route) load(ctx context.Context, now time.Time, maxAge time.Duration) error {
	rt.refresh.Lock()
	defer rt.refresh.Unlock()
	rt.mu.Lock()
	fresh := !rt.fetched.IsZero() && now.Sub(rt.fetched) < maxAge
	rt.mu.Unlock()
	if fresh {
		return nil
	}
	offers, err := rt.g.Catalogue(ctx)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.fetched = now
	if err == nil {
		rt.offers = offers
	}
	return err
}

// stale makes the next catalogue read fetch again.
func (rt *route) stale() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.fetched = time.Time{}
}

// soldOut marks a pair as out of stock in rt's cache after NO_NUMBERS.
func (rt *route) soldOut(service, country string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	offers := slices.Clone(rt.offers)
	for i, o := range offers {
		if o.Service == service && o.Country == country {
			offers[i].Stock = 0
		}
	}
	rt.offers = offers
}

// snapshot loads every enabled provider's catalogue (in parallel: the
// calls are upstream round trips) and returns them with their routes.
func (r *Router) snapshot(ctx context.Context) ([]*route, [][]Offer) {
	routes := r.enabled()
	cats := make([][]Offer, len(routes))
	now := r.cfg.Now()
	var wg sync.WaitGroup
	for i, rt := range routes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cats[i] = rt.catalogue(ctx, now, r.cfg.RefreshEvery)
		}()
	}
	wg.Wait()
	return routes, cats
}

// Offers is, per service × country, the cheapest enabled provider with
// stock, its cost, the sell price (at the markup in force for the pair)
// and the stock across enabled providers.
// Pairs nobody has in stock are left out. Sorted by service, country.
// The list is shared between callers until a catalogue, the enabled
// providers or the markups change: callers must not modify it.
func (r *Router) Offers(ctx context.Context) []RoutedOffer {
	routes, cats := r.snapshot(ctx)
	key := make([]catalogueID, len(routes))
	for i, cat := range cats {
		key[i] = catalogueID{name: routes[i].g.Name(), n: len(cat)}
		if len(cat) > 0 {
			key[i].first = &cat[0]
		}
	}
	r.mu.RLock()
	gen := r.overridesGen
	r.mu.RUnlock()
	r.merged.mu.Lock()
	defer r.merged.mu.Unlock()
	if r.merged.out != nil && r.merged.gen == gen && slices.Equal(r.merged.key, key) {
		return r.merged.out
	}
	out := r.merge(routes, cats)
	r.merged.key, r.merged.gen, r.merged.out = key, gen, out
	return out
}

// merge builds the offers from the catalogues: per pair, the provider
// ranked first (see ranker) with its cost, and the stock of all.
func (r *Router) merge(routes []*route, cats [][]Offer) []RoutedOffer {
	best := map[[2]string]*RoutedOffer{}
	rankers := map[[2]string]func(a, b contender) int{}
	for i, cat := range cats {
		name := routes[i].g.Name()
		for _, o := range cat {
			if o.Stock <= 0 {
				continue
			}
			k := [2]string{o.Service, o.Country}
			b := best[k]
			if b == nil {
				b = &RoutedOffer{Service: o.Service, Country: o.Country, Provider: name, Cost: o.Cost}
				best[k] = b
				rankers[k] = r.ranker(o.Service, o.Country, r.MarkupFor(o.Service, o.Country))
			} else if rankers[k](contender{name, o.Cost}, contender{b.Provider, b.Cost}) < 0 {
				b.Provider, b.Cost = name, o.Cost
			}
			b.Stock += o.Stock
		}
	}
	out := make([]RoutedOffer, 0, len(best))
	for _, b := range best {
		b.SellCents = SellPrice(b.Cost, r.MarkupFor(b.Service, b.Country))
		out = append(out, *b)
	}
	slices.SortFunc(out, func(a, b RoutedOffer) int {
		if c := strings.Compare(a.Service, b.Service); c != 0 {
			return c
		}
		return strings.Compare(a.Country, b.Country)
	})
	return out
}
