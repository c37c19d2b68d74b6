package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// buyOption is one provider's offer for the pick being bought.
type buyOption struct {
	rt   *route
	cost Micros
}

// BuyAt buys a number for service in country from any operator (see
// BuyPick).
func (r *Router) BuyAt(ctx context.Context, service, country string, maxSellCents int64, m Markup) (string, Number, Micros, error) {
	return r.BuyPick(ctx, Pick{Service: service, Country: country}, maxSellCents, m)
}

// BuyPick buys a number of the pick (one operator's, or any's) from the
// enabled provider ranked first with stock (the order of Offers and
// Operators: cheapest for the person, then the better success rate),
// never above maxSellCents (0 = no cap; the cap is turned into a cost cap
// with markup m, which the caller then sells at, so a markup changed
// meanwhile cannot lift the price past the cap). It falls over to the
// next when a provider has no numbers, is unavailable or has raised its
// price above the cap (whose cached list is then fetched again), and
// stops at any other error. It returns the provider's name, the number
// and its cost.
func (r *Router) BuyPick(ctx context.Context, p Pick, maxSellCents int64, m Markup) (string, Number, Micros, error) {
	what := p.Service + "/" + p.Country
	if p.Operator != "" {
		what += "/" + p.Operator
	}
	var costCap Micros
	if maxSellCents > 0 {
		if costCap = CostCap(maxSellCents, m); costCap < 1 {
			return "", Number{}, 0, fmt.Errorf("buy %s: %d cents buys nothing: %w", what, maxSellCents, ErrMaxPrice)
		}
	}
	opts, aboveCap := r.options(ctx, p, costCap, m)
	if len(opts) == 0 {
		if aboveCap {
			return "", Number{}, 0, fmt.Errorf("buy %s: every offer is above %d cents: %w", what, maxSellCents, ErrMaxPrice)
		}
		return "", Number{}, 0, fmt.Errorf("buy %s: no provider has stock: %w", what, ErrNoNumbers)
	}
	var failures []string
	sawNoNumbers, sawMaxPrice := false, false
	for _, o := range opts {
		n, err := o.buy(ctx, p, costCap)
		if err == nil {
			return r.bought(ctx, o, n, costCap)
		}
		failures = append(failures, err.Error())
		switch {
		case errors.Is(err, ErrNoNumbers):
			sawNoNumbers = true
			o.soldOut(p)
		case errors.Is(err, ErrUnavailable):
		case errors.Is(err, ErrMaxPrice):
			// Its price rose since the cached list: fetch it again next
			// time, so the person is shown the price of the day.
			sawMaxPrice = true
			o.stale(p)
		default:
			return "", Number{}, 0, fmt.Errorf("buy %s: %w", what, err)
		}
	}
	sentinel := ErrUnavailable
	switch {
	case sawNoNumbers:
		sentinel = ErrNoNumbers
	case sawMaxPrice:
		sentinel = ErrMaxPrice
	}
	return "", Number{}, 0, fmt.Errorf("buy %s: %w after trying %d providers: %s", what, sentinel, len(failures), strings.Join(failures, "; "))
}

// buy asks the option's provider for a number of the pick.
func (o buyOption) buy(ctx context.Context, p Pick, costCap Micros) (Number, error) {
	if p.Operator != "" {
		return o.rt.g.BuyOperator(ctx, p.Service, p.Country, p.Operator, costCap)
	}
	return o.rt.g.Buy(ctx, p.Service, p.Country, costCap)
}

// soldOut records NO_NUMBERS for the pick in the option's cached lists.
func (o buyOption) soldOut(p Pick) {
	if p.Operator != "" {
		o.rt.staleOperators(p.Service, p.Country)
		return
	}
	o.rt.soldOut(p.Service, p.Country)
}

// stale makes the option's list for the pick be fetched again.
func (o buyOption) stale(p Pick) {
	if p.Operator != "" {
		o.rt.staleOperators(p.Service, p.Country)
		return
	}
	o.rt.stale()
}

// bought checks the number's cost against the cap (a provider that
// ignored it gets the number straight back) and fills in a missing cost.
func (r *Router) bought(ctx context.Context, o buyOption, n Number, costCap Micros) (string, Number, Micros, error) {
	name := o.rt.g.Name()
	if n.Cost <= 0 {
		n.Cost = o.cost
	}
	if costCap > 0 && n.Cost > costCap {
		cerr := o.rt.g.Cancel(ctx, n.Ref)
		return "", Number{}, 0, errors.Join(fmt.Errorf("buy from %s: charged %v over %v: %w", name, n.Cost, costCap, ErrMaxPrice), cerr)
	}
	return name, n, n.Cost, nil
}

// options lists the enabled providers with stock for the pick within the
// cap, ranked as Offers ranks them, and whether any was left out for its
// price.
func (r *Router) options(ctx context.Context, p Pick, costCap Micros, m Markup) ([]buyOption, bool) {
	var out []buyOption
	aboveCap := false
	consider := func(rt *route, cost Micros) {
		if costCap > 0 && cost > costCap {
			aboveCap = true
			return
		}
		out = append(out, buyOption{rt, cost})
	}
	if p.Operator != "" {
		routes, lists := r.operatorLists(ctx, p.Service, p.Country)
		for i, list := range lists {
			for _, o := range list {
				if o.Operator == p.Operator && o.Stock > 0 {
					consider(routes[i], o.Cost)
				}
			}
		}
	} else {
		routes, cats := r.snapshot(ctx)
		for i, cat := range cats {
			for _, o := range cat {
				if o.Service == p.Service && o.Country == p.Country && o.Stock > 0 {
					consider(routes[i], o.Cost)
				}
			}
		}
	}
	rank := r.ranker(p.Service, p.Country, m)
	slices.SortStableFunc(out, func(a, b buyOption) int {
		return rank(contender{a.rt.g.Name(), a.cost}, contender{b.rt.g.Name(), b.cost})
	})
	return out, aboveCap
}
