package smsactivate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/wantsms/wantsms/provider"
)

// priceEntry is one service in one country in getPrices.
type priceEntry struct {
	Cost  provider.Numeric `json:"cost"`
	Count provider.Numeric `json:"count"`
}

// Balance reads getBalance: ACCESS_BALANCE:<amount>.
func (c *Client) Balance(ctx context.Context) (provider.Micros, error) {
	answer, err := c.call(ctx, "getBalance", nil)
	if err != nil {
		return 0, err
	}
	amount, ok := strings.CutPrefix(answer, "ACCESS_BALANCE:")
	if !ok {
		return 0, c.unexpected("getBalance", answer)
	}
	m, err := provider.ParseAmount(amount, c.cfg.CurrencyRate)
	if err != nil {
		return 0, fmt.Errorf("%s getBalance: %w: %v", c.cfg.Name, provider.ErrUnavailable, err)
	}
	return m, nil
}

// Catalogue reads getPrices for every country and service; entries with
// a country or service we do not map are skipped.
func (c *Client) Catalogue(ctx context.Context) ([]provider.Offer, error) {
	table, err := c.prices(ctx, nil)
	if err != nil {
		return nil, err
	}
	var out []provider.Offer
	for cid, svcs := range table {
		country, ok := provider.CountryOfSMSActivate(cid)
		if !ok {
			continue
		}
		for code, e := range svcs {
			service, ok := provider.ServiceOfSMSActivate(code)
			if !ok {
				continue
			}
			o, err := c.offer(service, country, e)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
	}
	return out, nil
}

// Quote reads the current price and stock of one service in one country.
// A pair upstream does not list is ErrNoNumbers.
func (c *Client) Quote(ctx context.Context, service, country string) (provider.Offer, error) {
	svc, cid, err := c.codes("getPrices", service, country)
	if err != nil {
		return provider.Offer{}, err
	}
	table, err := c.prices(ctx, url.Values{"service": {svc}, "country": {cid}})
	if err != nil {
		return provider.Offer{}, err
	}
	e, ok := table[cid][svc]
	if !ok {
		return provider.Offer{}, fmt.Errorf("%s getPrices %s/%s: not listed: %w", c.cfg.Name, service, country, provider.ErrNoNumbers)
	}
	return c.offer(service, country, e)
}

func (c *Client) offer(service, country string, e priceEntry) (provider.Offer, error) {
	cost, err := e.Cost.Micros(c.cfg.CurrencyRate)
	if err == nil && cost < 0 {
		err = fmt.Errorf("negative cost %q", e.Cost)
	}
	count, cerr := e.Count.Int()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return provider.Offer{}, fmt.Errorf("%s getPrices %s/%s: %w: %v", c.cfg.Name, service, country, provider.ErrUnavailable, err)
	}
	return provider.Offer{Service: service, Country: country, Cost: cost, Stock: int(min(count, 1<<31-1))}, nil
}

// prices runs getPrices: {"<country>":{"<service>":{"cost":…,"count":…}}}.
func (c *Client) prices(ctx context.Context, params url.Values) (map[string]map[string]priceEntry, error) {
	answer, err := c.call(ctx, "getPrices", params)
	if err != nil {
		return nil, err
	}
	var table map[string]map[string]priceEntry
	if err := c.decodeJSON("getPrices", answer, &table); err != nil {
		return nil, err
	}
	return table, nil
}

// decodeJSON reads a JSON answer, mapping bare error words and
// {"status":"error","error":"WORD"} to typed errors.
func (c *Client) decodeJSON(action, answer string, v any) error {
	if !strings.HasPrefix(answer, "{") {
		return c.unexpected(action, answer)
	}
	var e struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	if json.Unmarshal([]byte(answer), &e) == nil && e.Status == "error" {
		return c.unexpected(action, e.Error)
	}
	if err := json.Unmarshal([]byte(answer), v); err != nil {
		return fmt.Errorf("%s %s: %w: %v in %s", c.cfg.Name, action, provider.ErrUnavailable, err, provider.Excerpt([]byte(answer)))
	}
	return nil
}

// codes maps a canonical pair to upstream codes.
func (c *Client) codes(action, service, country string) (string, string, error) {
	svc, ok := provider.SMSActivateService(service)
	cid, ok2 := provider.SMSActivateCountry(country)
	if !ok || !ok2 {
		return "", "", fmt.Errorf("%s %s %s/%s: not sold here: %w", c.cfg.Name, action, service, country, provider.ErrBadService)
	}
	return svc, cid, nil
}
