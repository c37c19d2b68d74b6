package smsactivate

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/wantsms/wantsms/provider"
)

// Operators lists the operators SMS-Activate sells service in country
// from: getOperators names them (OPERATORS_NOT_FOUND: none), and
// getNumbersStatus with the operator tells each one's stock. The protocol
// prices by service and country, not by operator, so each costs the
// pair's price (getPrices). That is 2 + one call per operator: the
// Router caches the result per pair.
func (c *Client) Operators(ctx context.Context, service, country string) ([]provider.OperatorOffer, error) {
	svc, cid, err := c.codes("getOperators", service, country)
	if err != nil {
		return nil, err
	}
	names, err := c.operatorNames(ctx, cid)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	q, err := c.Quote(ctx, service, country)
	switch {
	case errors.Is(err, provider.ErrNoNumbers):
		return nil, nil
	case err != nil:
		return nil, err
	}
	out := make([]provider.OperatorOffer, 0, len(names))
	for _, name := range names {
		stock, err := c.operatorStock(ctx, svc, cid, name)
		if err != nil {
			return nil, err
		}
		out = append(out, provider.OperatorOffer{Operator: name, Cost: q.Cost, Stock: stock})
	}
	return out, nil
}

// maxOperators bounds how many operators of one country are looked up: a
// country has a handful; a longer list is an upstream gone wrong, and
// each costs a call.
const maxOperators = 16

// operatorNames reads getOperators: {"status":"success",
// "countryOperators":{"<country>":["<operator>",…]}}, keeping the valid
// names (not "any") of the country asked for.
func (c *Client) operatorNames(ctx context.Context, cid string) ([]string, error) {
	answer, err := c.call(ctx, "getOperators", url.Values{"country": {cid}})
	if err != nil {
		return nil, err
	}
	var v struct {
		CountryOperators map[string][]string `json:"countryOperators"`
	}
	switch err := c.decodeJSON("getOperators", answer, &v); {
	case errors.Is(err, provider.ErrNoNumbers): // OPERATORS_NOT_FOUND
		return nil, nil
	case err != nil:
		return nil, err
	}
	var out []string
	for _, o := range provider.CleanOperators(offersNamed(v.CountryOperators[cid])) {
		if len(out) == maxOperators {
			break
		}
		out = append(out, o.Operator)
	}
	return out, nil
}

func offersNamed(names []string) []provider.OperatorOffer {
	out := make([]provider.OperatorOffer, len(names))
	for i, n := range names {
		out[i].Operator = n
	}
	return out
}

// operatorStock reads getNumbersStatus for one operator: {"tg_0":"604",…},
// keyed by service and forwarding (0: none, what we buy).
func (c *Client) operatorStock(ctx context.Context, svc, cid, operator string) (int, error) {
	answer, err := c.call(ctx, "getNumbersStatus", url.Values{"country": {cid}, "operator": {operator}})
	if err != nil {
		return 0, err
	}
	var v map[string]provider.Numeric
	if err := c.decodeJSON("getNumbersStatus", answer, &v); err != nil {
		return 0, err
	}
	n, ok := v[svc+"_0"]
	if !ok {
		return 0, nil
	}
	count, err := n.Int()
	if err != nil || count < 0 {
		return 0, fmt.Errorf("%s getNumbersStatus: %w: stock %q", c.cfg.Name, provider.ErrUnavailable, n)
	}
	return int(min(count, 1<<31-1)), nil
}

var _ provider.OperatorSeller = (*Client)(nil)
