package commands

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/wantsms/wantsms/provider"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

type pricesResult struct {
	Prices []priceJSON `json:"prices"` // by service, then cheapest first
}

type priceJSON struct {
	Service    string `json:"service"`
	Country    string `json:"country"`
	PriceCents int64  `json:"price_cents"` // what a number costs now
	Stock      int    `json:"stock"`
	Simulated  bool   `json:"simulated"` // a built-in test number: no real SMS
	// How often our numbers of this service in this country (from the
	// provider a reservation tries first) got an SMS.
	Success24h rateJSON `json:"success_24h"`
	Success7d  rateJSON `json:"success_7d"`
}

// rateJSON is a success rate over one window.
type rateJSON struct {
	Numbers int64 `json:"numbers"`  // reserved in the window and got an SMS or ended without one
	WithSMS int64 `json:"with_sms"` // of those, the ones that got an SMS (reports count as without)
	// Percent is with_sms out of numbers in whole percent; null while
	// fewer than 10 numbers tell ("new").
	Percent *int `json:"percent"`
}

func rateOf(t store.Tally) rateJSON {
	r := rateJSON{Numbers: t.Numbers, WithSMS: t.WithSMS}
	if pct, ok := t.Percent(); ok {
		r.Percent = &pct
	}
	return r
}

func (r rateJSON) text() string {
	return wording.Rate(store.Tally{Numbers: r.Numbers, WithSMS: r.WithSMS})
}

func (r pricesResult) WriteText(w io.Writer) error {
	if len(r.Prices) == 0 {
		_, err := fmt.Fprintln(w, "nothing in stock matches: try again in a few minutes")
		return err
	}
	rows := make([][]string, 0, len(r.Prices))
	for _, p := range r.Prices {
		row := []string{p.Service, p.Country, wording.Country(p.Country), store.FormatCents(p.PriceCents),
			strconv.Itoa(p.Stock), p.Success24h.text(), p.Success7d.text()}
		if p.Simulated {
			row = append(row, "simulated")
		}
		rows = append(rows, row)
	}
	return table(w, []string{"SERVICE", "COUNTRY", "NAME", "PRICE", "STOCK", "SMS 24H", "SMS 7D", "NOTE"}, rows)
}

func pricesCommand() *Command {
	service := Flag("service", Service, "only this service")
	country := Flag("country", Country, "only this country")
	return &Command{
		Name:    "prices",
		Summary: "what a number costs now, the stock, and how often numbers got an SMS, per service and country",
		Help: fmt.Sprintf("SMS 24H and SMS 7D are the share of our numbers of the pair that got an SMS, reserved "+
			"in the last 24 hours and 7 days, counted from the numbers themselves (a reported number counts as one "+
			"without). With fewer than %d numbers the pair is \"new\" (percent null): too few to tell. The rates "+
			"are counted again at most every %s.", store.MinRateSample, short(store.RateRefresh)),
		Params: []Param{service, country},
		Example: pricesResult{Prices: []priceJSON{{Service: "telegram", Country: "gb", PriceCents: 45, Stock: 120,
			Success24h: rateJSON{Numbers: 4, WithSMS: 4}, Success7d: rateJSON{Numbers: 52, WithSMS: 47,
				Percent: func() *int { p := 90; return &p }()}}}},
		Run: func(c *Call) error {
			offers, err := offersFor(c, service.Get(c), country.Get(c))
			if err != nil {
				return err
			}
			slices.SortStableFunc(offers, func(a, b provider.RoutedOffer) int {
				return serviceRank(a.Service) - serviceRank(b.Service) // then cheapest first, as listed
			})
			rates := c.Deps.Numbers.SuccessRates(c.Ctx)
			r := pricesResult{Prices: make([]priceJSON, 0, len(offers))}
			for _, o := range offers {
				rate := rates.Of(o.Service, o.Country, o.Provider)
				r.Prices = append(r.Prices, priceJSON{Service: o.Service, Country: o.Country, PriceCents: o.SellCents,
					Stock: o.Stock, Simulated: c.Deps.Numbers.Simulated(o.Provider), Success24h: rateOf(rate.Day),
					Success7d: rateOf(rate.Week)})
			}
			return c.Print(r)
		},
	}
}
