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
}

func (r pricesResult) WriteText(w io.Writer) error {
	if len(r.Prices) == 0 {
		_, err := fmt.Fprintln(w, "nothing in stock matches: try again in a few minutes")
		return err
	}
	rows := make([][]string, 0, len(r.Prices))
	for _, p := range r.Prices {
		row := []string{p.Service, p.Country, wording.Country(p.Country), store.FormatCents(p.PriceCents),
			strconv.Itoa(p.Stock)}
		if p.Simulated {
			row = append(row, "simulated")
		}
		rows = append(rows, row)
	}
	return table(w, []string{"SERVICE", "COUNTRY", "NAME", "PRICE", "STOCK", "NOTE"}, rows)
}

func pricesCommand() *Command {
	service := Flag("service", Service, "only this service")
	country := Flag("country", Country, "only this country")
	return &Command{
		Name:    "prices",
		Summary: "what a number costs now, and the stock, per service and country",
		Params:  []Param{service, country},
		Example: pricesResult{Prices: []priceJSON{{Service: "telegram", Country: "gb", PriceCents: 45, Stock: 120}}},
		Run: func(c *Call) error {
			offers, err := offersFor(c, service.Get(c), country.Get(c))
			if err != nil {
				return err
			}
			slices.SortStableFunc(offers, func(a, b provider.RoutedOffer) int {
				return serviceRank(a.Service) - serviceRank(b.Service) // then cheapest first, as listed
			})
			r := pricesResult{Prices: make([]priceJSON, 0, len(offers))}
			for _, o := range offers {
				r.Prices = append(r.Prices, priceJSON{Service: o.Service, Country: o.Country, PriceCents: o.SellCents,
					Stock: o.Stock, Simulated: c.Deps.Numbers.Simulated(o.Provider)})
			}
			return c.Print(r)
		},
	}
}
