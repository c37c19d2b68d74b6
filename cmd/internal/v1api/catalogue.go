package v1api

import (
	"net/http"
	"slices"

	"github.com/wantsms/wantsms/provider"
)

// What can be bought: the engine's offers in stock (InStock), the list
// the Numbers pane and the commands show, cheapest first.

func (a *API) balance(c *call) error {
	return c.reply(http.StatusOK, balanceJSON{BalanceCents: c.user.BalanceCents, DebtCents: c.user.DebtCents,
		Currency: currency})
}

// services sums the offers in stock per service, in the dashboard's order
// of services: the cheapest price, the stock and the countries.
func (a *API) services(c *call) error {
	country, err := countryParam(c.r.URL.Query().Get("country"), false)
	if err != nil {
		return err
	}
	byCode := map[string]*serviceJSON{}
	for _, o := range a.d.Numbers.InStock(c.ctx, "", country) { // cheapest first: the first sets the price
		s := byCode[o.Service]
		if s == nil {
			s = &serviceJSON{Code: o.Service, Name: serviceName(o.Service), FromCents: o.SellCents}
			byCode[o.Service] = s
		}
		s.Stock += o.Stock
		s.Countries++
	}
	out := struct {
		Services []serviceJSON `json:"services"`
	}{Services: []serviceJSON{}}
	for _, sv := range provider.Services() {
		if s := byCode[sv.Code]; s != nil {
			out.Services = append(out.Services, *s)
		}
	}
	return c.reply(http.StatusOK, out)
}

// countries sums the offers in stock per country, cheapest first.
func (a *API) countries(c *call) error {
	service, err := serviceParam(c.r.URL.Query().Get("service"), false)
	if err != nil {
		return err
	}
	out := struct {
		Countries []countryJSON `json:"countries"`
	}{Countries: []countryJSON{}}
	index := map[string]int{}
	for _, o := range a.d.Numbers.InStock(c.ctx, service, "") {
		i, ok := index[o.Country]
		if !ok {
			name, calling := countryOf(o.Country)
			i = len(out.Countries)
			index[o.Country] = i
			out.Countries = append(out.Countries, countryJSON{Code: o.Country, Name: name, CallingCode: calling,
				FromCents: o.SellCents})
		}
		out.Countries[i].Stock += o.Stock
		out.Countries[i].Services++
	}
	return c.reply(http.StatusOK, out)
}

// prices lists every offer in stock with its success rates, by service in
// the dashboard's order, then cheapest first.
func (a *API) prices(c *call) error {
	q := c.r.URL.Query()
	service, err := serviceParam(q.Get("service"), false)
	if err != nil {
		return err
	}
	country, err := countryParam(q.Get("country"), false)
	if err != nil {
		return err
	}
	offers := a.d.Numbers.InStock(c.ctx, service, country)
	rank := func(code string) int {
		return slices.IndexFunc(provider.Services(), func(s provider.Service) bool { return s.Code == code })
	}
	slices.SortStableFunc(offers, func(x, y provider.RoutedOffer) int { return rank(x.Service) - rank(y.Service) })
	rates := a.d.Numbers.SuccessRates(c.ctx)
	out := struct {
		Prices []priceJSON `json:"prices"`
	}{Prices: make([]priceJSON, 0, len(offers))}
	for _, o := range offers {
		rate := rates.Of(o.Service, o.Country, o.Provider)
		out.Prices = append(out.Prices, priceJSON{Service: o.Service, Country: o.Country, PriceCents: o.SellCents,
			Stock: o.Stock, Simulated: a.d.Numbers.Simulated(o.Provider), Success24h: rateOf(rate.Day),
			Success7d: rateOf(rate.Week)})
	}
	return c.reply(http.StatusOK, out)
}

// operators lists the mobile operators whose numbers may be chosen for a
// service in a country; empty where numbers are sold for any operator
// only.
func (a *API) operators(c *call) error {
	q := c.r.URL.Query()
	service, err := serviceParam(q.Get("service"), true)
	if err != nil {
		return err
	}
	country, err := countryParam(q.Get("country"), true)
	if err != nil {
		return err
	}
	out := struct {
		Service   string         `json:"service"`
		Country   string         `json:"country"`
		Operators []operatorJSON `json:"operators"`
	}{Service: service, Country: country, Operators: []operatorJSON{}}
	for _, o := range a.d.Numbers.Operators(c.ctx, service, country) {
		out.Operators = append(out.Operators, operatorJSON{Operator: o.Operator, PriceCents: o.SellCents, Stock: o.Stock})
	}
	return c.reply(http.StatusOK, out)
}
