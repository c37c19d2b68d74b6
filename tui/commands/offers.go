package commands

import (
	"cmp"
	"slices"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/tui/wording"
)

// Shared by services, countries, prices and reserve: what is on offer, as
// the engine's Offers give it (the cheapest provider with stock per
// service and country, at its sell price), the same list the Numbers pane
// shows.

// numbersOf is the reservation engine, or a refusal on a server without
// one.
func numbersOf(c *Call) (Numbers, error) {
	if c.Deps.Numbers == nil {
		return nil, Exit(ExitRefused, "numbers are not available on this server")
	}
	return c.Deps.Numbers, nil
}

// offersFor lists the offers of one service and one country ("" for
// any), cheapest first and, for equal prices, in the engine's order (by
// service and country code): the order of the Numbers pane's lists, so
// that "the cheapest" is the same offer there and here.
func offersFor(c *Call, service, country string) ([]provider.RoutedOffer, error) {
	n, err := numbersOf(c)
	if err != nil {
		return nil, err
	}
	var out []provider.RoutedOffer
	for _, o := range n.Offers(c.Ctx) {
		if (service == "" || o.Service == service) && (country == "" || o.Country == country) && o.Stock > 0 {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b provider.RoutedOffer) int { return cmp.Compare(a.SellCents, b.SellCents) })
	return out, nil
}

// serviceRank is a service's position in the display table.
func serviceRank(code string) int {
	return slices.IndexFunc(provider.Services(), func(s provider.Service) bool { return s.Code == code })
}

// inCountry is " in United Kingdom", or "" for any country.
func inCountry(code string) string {
	if code == "" {
		return ""
	}
	return " in " + wording.Country(code)
}
