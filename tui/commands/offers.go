package commands

import (
	"slices"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/tui"
)

// Shared by services, countries, prices and reserve: what is on offer, as
// the engine's Offers give it (the cheapest provider with stock per
// service and country, at its sell price), the same list the Numbers pane
// shows.

// numbersOf is the reservation engine, or a refusal on a server without
// one.
func numbersOf(c *Call) (tui.Numbers, error) {
	if c.Deps.Numbers == nil {
		return nil, Exit(ExitRefused, "numbers are not available on this server")
	}
	return c.Deps.Numbers, nil
}

// offersFor lists the offers of one service and one country ("" for
// any), cheapest first, in the tables' order for equal prices: the order
// in which the Numbers pane lists countries.
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
	slices.SortStableFunc(out, func(a, b provider.RoutedOffer) int {
		switch {
		case a.SellCents != b.SellCents:
			return cmpInt(a.SellCents, b.SellCents)
		case a.Service != b.Service:
			return serviceRank(a.Service) - serviceRank(b.Service)
		}
		return countryRank(a.Country) - countryRank(b.Country)
	})
	return out, nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// serviceRank and countryRank are positions in the display tables.
func serviceRank(code string) int {
	return slices.IndexFunc(provider.Services(), func(s provider.Service) bool { return s.Code == code })
}

func countryRank(code string) int {
	return slices.IndexFunc(provider.Countries(), func(c provider.Country) bool { return c.Code == code })
}

// serviceName and countryName are display names from the tables.
func serviceName(code string) string {
	if s, ok := provider.LookupService(code); ok {
		return s.Name
	}
	return code
}

func countryName(code string) string {
	if c, ok := provider.LookupCountry(code); ok {
		return c.Name
	}
	return code
}

// inCountry is " in United Kingdom", or "" for any country.
func inCountry(code string) string {
	if code == "" {
		return ""
	}
	return " in " + countryName(code)
}
