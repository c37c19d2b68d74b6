package fivesim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Rentals (provider.Renter) are 5sim's hosting orders: a number for a
// period (the product names the period, not a service: a hosting number
// receives from any sender), bought with
// GET /user/buy/hosting/{country}/any/{product}, its SMS read from
// GET /user/sms/inbox/{id}, its state from /user/check/{id}, ended early
// with /user/finish/{id}.
//
// What 5sim's API does not offer is refused, conservatively: only the
// "1day" product is bought (the one period several public clients
// confirm), so 7, 14 and 30 days are not rented here; a hosting order is
// never extended (the API has no call for it) and never cancelled (5sim
// answers a cancel of one with "hosting order": its cancel window is
// none).

// hostingProducts are the hosting products by rental days.
var hostingProducts = map[int]string{1: "1day"}

// product is one entry of /guest/products/{country}/{operator}.
type product struct {
	Category string           `json:"Category"`
	Qty      provider.Numeric `json:"Qty"`
	Price    provider.Numeric `json:"Price"`
}

// RentQuote reads /guest/products for the country: the hosting product of
// the period, whatever the service.
func (c *Client) RentQuote(ctx context.Context, service, country string, days int) (provider.RentOffer, error) {
	out := provider.RentOffer{Service: service, Country: country, Days: days}
	prod, cname, ok := c.hostingNames(service, country, days)
	if !ok {
		return out, nil
	}
	var list map[string]product
	path := "/guest/products/" + url.PathEscape(cname) + "/any"
	if err := c.do(ctx, request{op: "products", path: path, guest: true, notFound: provider.ErrBadService}, &list); err != nil {
		return out, err
	}
	p, ok := list[prod]
	if !ok || p.Category != "hosting" {
		return out, nil
	}
	cost, err := p.Price.Micros(c.cfg.CurrencyRate)
	qty, qerr := p.Qty.Int()
	if err != nil || qerr != nil || cost < 0 {
		return out, c.garbage("products", fmt.Errorf("%s: price %q qty %q", prod, p.Price, p.Qty))
	}
	out.Cost, out.Stock = cost, int(min(max(qty, 0), 1<<31-1))
	return out, nil
}

// hostingNames are the product and country names of a rental, if 5sim
// rents it.
func (c *Client) hostingNames(service, country string, days int) (string, string, bool) {
	prod, ok := hostingProducts[days]
	cname, ok2 := countryNames[country]
	_, ok3 := provider.LookupService(service)
	return prod, cname, ok && ok2 && ok3
}

// RentCancelWindow: none, 5sim takes no hosting order back.
func (c *Client) RentCancelWindow() time.Duration { return 0 }

// Rent buys a hosting order. Its price is checked against the cap after
// the purchase (5sim's hosting buy takes no maxPrice); an order over it,
// or one we cannot read, is finished at once: 5sim takes no hosting order
// back.
func (c *Client) Rent(ctx context.Context, service, country string, days int, maxCost provider.Micros) (provider.Rented, error) {
	prod, cname, ok := c.hostingNames(service, country, days)
	if !ok {
		return provider.Rented{}, fmt.Errorf("%s rent %s/%s for %d days: not rented here: %w", c.cfg.Name, service,
			country, days, provider.ErrBadService)
	}
	var answer json.RawMessage
	path := "/user/buy/hosting/" + url.PathEscape(cname) + "/any/" + url.PathEscape(prod)
	if err := c.do(ctx, request{op: "buy hosting", path: path, notFound: provider.ErrBadService}, &answer); err != nil {
		return provider.Rented{}, err
	}
	ref, named := namedOrder(answer)
	n, err := c.boughtOrder(answer, country)
	switch {
	case err != nil:
		return provider.Rented{}, c.endUnused(ctx, ref, named, c.garbage("buy hosting", err))
	case maxCost > 0 && n.Cost > maxCost:
		return provider.Rented{}, c.endUnused(ctx, ref, named,
			fmt.Errorf("%s buy hosting: charged %v over %v: %w", c.cfg.Name, n.Cost, maxCost, provider.ErrMaxPrice))
	}
	return provider.Rented{Ref: n.Ref, Phone: n.Phone, Cost: n.Cost, EndsAt: n.ExpiresAt}, nil
}

// endUnused finishes a hosting order we will not use, and logs it.
func (c *Client) endUnused(ctx context.Context, ref string, named bool, why error) error {
	if !named {
		return why
	}
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
	defer cancel()
	if err := c.Finish(gctx, ref); err != nil {
		c.cfg.Log.ErrorContext(ctx, "could not finish a hosting order we cannot use", "provider", c.cfg.Name, "ref", ref,
			"why", why, "err", err)
		return fmt.Errorf("%w; finishing it: %v", why, err)
	}
	c.cfg.Log.WarnContext(ctx, "finished a hosting order we cannot use", "provider", c.cfg.Name, "ref", ref, "why", why)
	return why
}

// inbox is /user/sms/inbox/{id}.
type inbox struct {
	Data []sms `json:"Data"`
}

// RentCheck reads the order's state and its SMS inbox.
func (c *Client) RentCheck(ctx context.Context, ref string) (provider.Status, error) {
	st, err := c.Check(ctx, ref)
	if err != nil {
		return provider.Status{}, err
	}
	var in inbox
	if err := c.do(ctx, request{op: "inbox", path: "/user/sms/inbox/" + ref, notFound: provider.ErrUnknownActivation},
		&in); err != nil {
		return provider.Status{}, err
	}
	seen := map[string]bool{}
	for _, m := range st.Messages {
		seen[m.ID] = true
	}
	for _, s := range in.Data {
		if m := message(s); !seen[m.ID] {
			seen[m.ID] = true
			st.Messages = append(st.Messages, m)
		}
	}
	if st.State == provider.Waiting && len(st.Messages) > 0 {
		st.State = provider.Received
	}
	return st, nil
}

// ExtendRent is not supported: 5sim's API cannot extend a hosting order.
func (c *Client) ExtendRent(context.Context, string, int) (provider.Rented, error) {
	return provider.Rented{}, fmt.Errorf("%s extend: %w", c.cfg.Name, provider.ErrNotSupported)
}

// SupportsExtend: no, see ExtendRent.
func (c *Client) SupportsExtend() bool { return false }

// CancelRent asks 5sim to cancel; it refuses hosting orders ("hosting
// order": ErrBadState).
func (c *Client) CancelRent(ctx context.Context, ref string) error { return c.Cancel(ctx, ref) }

// FinishRent finishes the hosting order.
func (c *Client) FinishRent(ctx context.Context, ref string) error { return c.Finish(ctx, ref) }

var (
	_ provider.Renter        = (*Client)(nil)
	_ provider.ExtendSupport = (*Client)(nil)
)
