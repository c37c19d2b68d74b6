package provider

import (
	"context"
	"maps"
)

// Scope names what a markup override applies to: a service in any
// country (Country ""), a country for any service (Service ""), or one
// pair.
type Scope struct{ Service, Country string }

// Overrides are markups that replace the Router's for some services,
// countries or pairs. The most specific wins: the pair, then the service,
// then the country.
type Overrides map[Scope]Markup

// SetOverrides replaces the markup overrides. Prices of offers and of
// purchases from now on use them; numbers already sold keep their price
// (it is recorded with the reservation). The same overrides again change
// nothing (the offers stay cached).
func (r *Router) SetOverrides(o Overrides) {
	c := make(Overrides, len(o))
	for k, v := range o {
		if v > 0 {
			c[k] = v
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if maps.Equal(r.overrides, c) {
		return
	}
	r.overrides = c
	r.overridesGen++
}

// MarkupFor is the markup that prices service in country now.
func (r *Router) MarkupFor(service, country string) Markup {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range []Scope{{service, country}, {service, ""}, {"", country}} {
		if m, ok := r.overrides[k]; ok {
			return m
		}
	}
	return r.cfg.Markup
}

// Buy buys a number for service in country from the cheapest enabled
// provider with stock, at the markup in force (see BuyAt).
func (r *Router) Buy(ctx context.Context, service, country string, maxSellCents int64) (string, Number, Micros, error) {
	return r.BuyAt(ctx, service, country, maxSellCents, r.MarkupFor(service, country))
}
