package commands

import (
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
// any) in stock, cheapest first, as the engine orders them (InStock), so
// that "the cheapest" is the same offer here as in reserve.
func offersFor(c *Call, service, country string) ([]provider.RoutedOffer, error) {
	n, err := numbersOf(c)
	if err != nil {
		return nil, err
	}
	return n.InStock(c.Ctx, service, country), nil
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
