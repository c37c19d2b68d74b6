package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

type operatorsResult struct {
	Service   string         `json:"service"`
	Country   string         `json:"country"`
	Operators []operatorJSON `json:"operators"` // cheapest first; empty where numbers are sold for any operator only
}

type operatorJSON struct {
	Operator   string `json:"operator"`    // for reserve --operator
	PriceCents int64  `json:"price_cents"` // what one of its numbers costs now
	Stock      int    `json:"stock"`
}

func (r operatorsResult) WriteText(w io.Writer) error {
	if len(r.Operators) == 0 {
		_, err := fmt.Fprintf(w, "no operator to choose for %s in %s: reserve without --operator for any\n",
			wording.Service(r.Service), wording.Country(r.Country))
		return err
	}
	rows := make([][]string, 0, len(r.Operators))
	for _, o := range r.Operators {
		rows = append(rows, []string{o.Operator, store.FormatCents(o.PriceCents), strconv.Itoa(o.Stock)})
	}
	return table(w, []string{"OPERATOR", "PRICE", "STOCK"}, rows)
}

func operatorsCommand() *Command {
	service := Arg("SERVICE", Service, "what the number is for")
	country := Flag("country", Country, "the number's country").Required()
	return &Command{
		Name:    "operators",
		Summary: "the mobile operators whose numbers you can choose, with their price and stock",
		Help: "Where a provider sells numbers by mobile operator, a service may accept one operator's numbers " +
			"when it refuses another's: reserve SERVICE --country C --operator NAME takes one of its numbers. " +
			"Without --operator, reserve takes any operator's, usually for less.",
		Params: []Param{service, country},
		Example: operatorsResult{Service: "telegram", Country: "gb", Operators: []operatorJSON{
			{Operator: "vodafone", PriceCents: 48, Stock: 35}, {Operator: "ee", PriceCents: 52, Stock: 12}}},
		Run: func(c *Call) error {
			n, err := numbersOf(c)
			if err != nil {
				return err
			}
			r := operatorsResult{Service: service.Get(c), Country: country.Get(c), Operators: []operatorJSON{}}
			for _, o := range n.Operators(c.Ctx, r.Service, r.Country) {
				r.Operators = append(r.Operators, operatorJSON{Operator: o.Operator, PriceCents: o.SellCents,
					Stock: o.Stock})
			}
			return c.Print(r)
		},
	}
}
