package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// buyOption is one provider's offer for the pair being bought.
type buyOption struct {
	rt   *route
	cost Micros
}

// BuyAt buys a number for service in country from the cheapest enabled
// provider with stock, never above maxSellCents (0 = no cap; the cap is
// turned into a cost cap with markup m, which the caller then sells at,
// so a markup changed meanwhile cannot lift the price past the cap). It
// falls over to the next cheapest when a provider has no numbers, is
// unavailable or has raised its price above the cap (whose cached
// catalogue is then fetched again), and stops at any other error. It
// returns the provider's name, the number and its cost.
func (r *Router) BuyAt(ctx context.Context, service, country string, maxSellCents int64, m Markup) (string, Number, Micros, error) {
	var costCap Micros
	if maxSellCents > 0 {
		if costCap = CostCap(maxSellCents, m); costCap < 1 {
			return "", Number{}, 0, fmt.Errorf("buy %s/%s: %d cents buys nothing: %w", service, country, maxSellCents, ErrMaxPrice)
		}
	}
	opts, aboveCap := r.options(ctx, service, country, costCap)
	if len(opts) == 0 {
		if aboveCap {
			return "", Number{}, 0, fmt.Errorf("buy %s/%s: every offer is above %d cents: %w", service, country, maxSellCents, ErrMaxPrice)
		}
		return "", Number{}, 0, fmt.Errorf("buy %s/%s: no provider has stock: %w", service, country, ErrNoNumbers)
	}
	var failures []string
	sawNoNumbers, sawMaxPrice := false, false
	for _, o := range opts {
		n, err := o.rt.g.Buy(ctx, service, country, costCap)
		if err == nil {
			return r.bought(ctx, o, n, costCap)
		}
		failures = append(failures, err.Error())
		switch {
		case errors.Is(err, ErrNoNumbers):
			sawNoNumbers = true
			o.rt.soldOut(service, country)
		case errors.Is(err, ErrUnavailable):
		case errors.Is(err, ErrMaxPrice):
			// Its price rose since the cached catalogue: fetch it again
			// next time, so the person is shown the price of the day.
			sawMaxPrice = true
			o.rt.stale()
		default:
			return "", Number{}, 0, fmt.Errorf("buy %s/%s: %w", service, country, err)
		}
	}
	sentinel := ErrUnavailable
	switch {
	case sawNoNumbers:
		sentinel = ErrNoNumbers
	case sawMaxPrice:
		sentinel = ErrMaxPrice
	}
	return "", Number{}, 0, fmt.Errorf("buy %s/%s: %w after trying %d providers: %s", service, country, sentinel, len(failures), strings.Join(failures, "; "))
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

// options lists the enabled providers with stock for the pair within the
// cap, cheapest first, and whether any was left out for its price.
func (r *Router) options(ctx context.Context, service, country string, costCap Micros) ([]buyOption, bool) {
	routes, cats := r.snapshot(ctx)
	var out []buyOption
	aboveCap := false
	for i, cat := range cats {
		for _, o := range cat {
			if o.Service != service || o.Country != country || o.Stock <= 0 {
				continue
			}
			if costCap > 0 && o.Cost > costCap {
				aboveCap = true
				continue
			}
			out = append(out, buyOption{routes[i], o.Cost})
		}
	}
	slices.SortStableFunc(out, func(a, b buyOption) int { return int(min(max(a.cost-b.cost, -1), 1)) })
	return out, aboveCap
}
