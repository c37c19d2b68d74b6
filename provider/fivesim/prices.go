package fivesim

import (
	"context"
	"fmt"
	"net/url"

	"github.com/wantsms/wantsms/provider"
)

// operatorPrice is one operator's offer in /guest/prices.
type operatorPrice struct {
	Cost  provider.Numeric `json:"cost"`
	Count provider.Numeric `json:"count"`
}

// priceTable is /guest/prices: country → product → operator → price;
// null where a product is not sold.
type priceTable map[string]map[string]map[string]*operatorPrice

// Catalogue reads /guest/prices. Per product and country the cost is the
// cheapest operator with stock, the stock that of all operators (we buy
// with operator "any"); unknown names are skipped.
func (c *Client) Catalogue(ctx context.Context) ([]provider.Offer, error) {
	var t priceTable
	if err := c.do(ctx, request{op: "prices", path: "/guest/prices", guest: true}, &t); err != nil {
		return nil, err
	}
	var out []provider.Offer
	for cname, prods := range t {
		country, ok := countryByName[cname]
		if !ok {
			continue
		}
		for prod, ops := range prods {
			service, ok := serviceByProduct[prod]
			if !ok || len(ops) == 0 {
				continue
			}
			o, err := c.offer(service, country, ops)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// Quote reads /guest/prices?country=&product= for one pair.
func (c *Client) Quote(ctx context.Context, service, country string) (provider.Offer, error) {
	ops, err := c.pairPrices(ctx, service, country)
	if err != nil {
		return provider.Offer{}, err
	}
	if len(ops) == 0 {
		return provider.Offer{}, fmt.Errorf("%s prices %s/%s: not sold: %w", c.cfg.Name, service, country, provider.ErrNoNumbers)
	}
	return c.offer(service, country, ops)
}

// Operators reads /guest/prices?country=&product=: each operator's cost
// and stock for one pair (none where the pair is not sold).
func (c *Client) Operators(ctx context.Context, service, country string) ([]provider.OperatorOffer, error) {
	ops, err := c.pairPrices(ctx, service, country)
	if err != nil {
		return nil, err
	}
	out := make([]provider.OperatorOffer, 0, len(ops))
	for name, p := range ops {
		if p == nil {
			continue
		}
		cost, err := p.Cost.Micros(c.cfg.CurrencyRate)
		count, cerr := p.Count.Int()
		if err != nil || cerr != nil || cost < 0 || count < 0 {
			return nil, c.garbage("prices", fmt.Errorf("%s/%s operator %s: cost %q count %q", service, country, name, p.Cost, p.Count))
		}
		out = append(out, provider.OperatorOffer{Operator: name, Cost: cost, Stock: int(min(count, 1<<31-1))})
	}
	return provider.CleanOperators(out), nil
}

// pairPrices is one pair's operators in /guest/prices.
func (c *Client) pairPrices(ctx context.Context, service, country string) (map[string]*operatorPrice, error) {
	prod, cname, err := c.names("prices", service, country)
	if err != nil {
		return nil, err
	}
	var t priceTable
	q := url.Values{"country": {cname}, "product": {prod}}
	if err := c.do(ctx, request{op: "prices", path: "/guest/prices", query: q, guest: true}, &t); err != nil {
		return nil, err
	}
	return t[cname][prod], nil
}

func (c *Client) offer(service, country string, ops map[string]*operatorPrice) (provider.Offer, error) {
	o := provider.Offer{Service: service, Country: country, Cost: -1}
	cheapestAny := provider.Micros(-1)
	for name, p := range ops {
		if p == nil {
			continue
		}
		cost, err := p.Cost.Micros(c.cfg.CurrencyRate)
		count, cerr := p.Count.Int()
		if err != nil || cerr != nil || cost < 0 {
			return provider.Offer{}, c.garbage("prices", fmt.Errorf("%s/%s operator %s: cost %q count %q", service, country, name, p.Cost, p.Count))
		}
		if cheapestAny < 0 || cost < cheapestAny {
			cheapestAny = cost
		}
		if count > 0 {
			o.Stock += int(min(count, 1<<31-1-int64(o.Stock)))
			if o.Cost < 0 || cost < o.Cost {
				o.Cost = cost
			}
		}
	}
	if o.Cost < 0 {
		o.Cost = max(cheapestAny, 0)
	}
	return o, nil
}

// Balance reads /user/profile's balance (nothing else of the profile is
// kept).
func (c *Client) Balance(ctx context.Context) (provider.Micros, error) {
	var p struct {
		Balance provider.Numeric `json:"balance"`
	}
	if err := c.do(ctx, request{op: "profile", path: "/user/profile"}, &p); err != nil {
		return 0, err
	}
	m, err := p.Balance.Micros(c.cfg.CurrencyRate)
	if err != nil {
		return 0, c.garbage("profile", err)
	}
	return m, nil
}
