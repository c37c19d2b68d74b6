package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/provider"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

type countriesResult struct {
	Countries []countryJSON `json:"countries"` // cheapest first; only those in stock
}

type countryJSON struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	CallingCode string `json:"calling_code"` // digits, without "+"
	FromCents   int64  `json:"from_cents"`   // the cheapest price
	Stock       int    `json:"stock"`        // numbers in stock, all services together
	Services    int    `json:"services"`     // services with stock
}

func (r countriesResult) WriteText(w io.Writer) error {
	if len(r.Countries) == 0 {
		_, err := fmt.Fprintln(w, "no numbers in stock right now: try again in a few minutes")
		return err
	}
	rows := make([][]string, 0, len(r.Countries))
	for _, c := range r.Countries {
		rows = append(rows, []string{c.Code, c.Name, "+" + c.CallingCode, "from " + store.FormatCents(c.FromCents),
			strconv.Itoa(c.Stock), strconv.Itoa(c.Services)})
	}
	return table(w, []string{"COUNTRY", "NAME", "CODE", "PRICE", "STOCK", "SERVICES"}, rows)
}

func countriesCommand() *Command {
	service := Flag("service", Service, "list only the countries with numbers for this service")
	return &Command{
		Name:    "countries",
		Summary: "the countries with numbers in stock, cheapest first",
		Params:  []Param{service},
		Example: countriesResult{Countries: []countryJSON{{Code: "gb", Name: "United Kingdom", CallingCode: "44",
			FromCents: 20, Stock: 930, Services: 22}}},
		Run: func(c *Call) error {
			offers, err := offersFor(c, service.Get(c), "")
			if err != nil {
				return err
			}
			r := countriesResult{Countries: []countryJSON{}}
			index := map[string]int{}
			for _, o := range offers { // cheapest first: so is the list
				i, ok := index[o.Country]
				if !ok {
					cc, _ := provider.LookupCountry(o.Country)
					i = len(r.Countries)
					index[o.Country] = i
					r.Countries = append(r.Countries, countryJSON{Code: o.Country, Name: wording.Country(o.Country),
						CallingCode: cc.CallingCode, FromCents: o.SellCents})
				}
				r.Countries[i].Stock += o.Stock
				r.Countries[i].Services++
			}
			return c.Print(r)
		},
	}
}
