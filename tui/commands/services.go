package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/provider"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

type servicesResult struct {
	Services []serviceJSON `json:"services"` // in the dashboard's order; only those in stock
}

type serviceJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	FromCents int64  `json:"from_cents"` // the cheapest price
	Stock     int    `json:"stock"`      // numbers in stock, all countries together
	Countries int    `json:"countries"`  // countries with stock
}

func (r servicesResult) WriteText(w io.Writer) error {
	if len(r.Services) == 0 {
		_, err := fmt.Fprintln(w, "no numbers in stock right now: try again in a few minutes")
		return err
	}
	rows := make([][]string, 0, len(r.Services))
	for _, s := range r.Services {
		rows = append(rows, []string{s.Code, s.Name, "from " + store.FormatCents(s.FromCents),
			strconv.Itoa(s.Stock), strconv.Itoa(s.Countries)})
	}
	return table(w, []string{"SERVICE", "NAME", "PRICE", "STOCK", "COUNTRIES"}, rows)
}

func servicesCommand() *Command {
	country := Flag("country", Country, "list only the services with numbers in this country")
	return &Command{
		Name:    "services",
		Summary: "the services you can get a number for, with the cheapest price and the stock",
		Params:  []Param{country},
		Example: servicesResult{Services: []serviceJSON{{Code: "telegram", Name: "Telegram", FromCents: 20,
			Stock: 1840, Countries: 20}}},
		Run: func(c *Call) error {
			offers, err := offersFor(c, "", country.Get(c))
			if err != nil {
				return err
			}
			byCode := map[string]*serviceJSON{}
			for _, o := range offers { // cheapest first: the first seen sets the price
				s := byCode[o.Service]
				if s == nil {
					s = &serviceJSON{Code: o.Service, Name: wording.Service(o.Service), FromCents: o.SellCents}
					byCode[o.Service] = s
				}
				s.Stock += o.Stock
				s.Countries++
			}
			r := servicesResult{Services: []serviceJSON{}}
			for _, sv := range provider.Services() {
				if s := byCode[sv.Code]; s != nil {
					r.Services = append(r.Services, *s)
				}
			}
			return c.Print(r)
		},
	}
}
