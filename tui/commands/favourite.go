package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

type favouritesResult struct {
	Favourites []favouriteJSON `json:"favourites"` // oldest first, as Numbers lists them
}

type favouriteJSON struct {
	Service string    `json:"service"`
	Country string    `json:"country"`
	AddedAt Timestamp `json:"added_at"`
	// InStock: numbers of the pair can be reserved now, at price_cents
	// (both 0 when not).
	InStock    bool     `json:"in_stock"`
	PriceCents int64    `json:"price_cents"`
	Stock      int      `json:"stock"`
	Success24h rateJSON `json:"success_24h"`
	Success7d  rateJSON `json:"success_7d"`
}

func (r favouritesResult) WriteText(w io.Writer) error {
	if len(r.Favourites) == 0 {
		_, err := fmt.Fprintln(w, "no favourites: add one with favourite add SERVICE --country C, or star a "+
			"country with * in the dashboard's Numbers")
		return err
	}
	rows := make([][]string, 0, len(r.Favourites))
	for _, f := range r.Favourites {
		price, stock := "sold out", "0"
		if f.InStock {
			price, stock = store.FormatCents(f.PriceCents), strconv.Itoa(f.Stock)
		}
		rows = append(rows, []string{f.Service, f.Country, wording.Country(f.Country), price, stock,
			f.Success24h.text(), f.Success7d.text()})
	}
	return table(w, []string{"SERVICE", "COUNTRY", "NAME", "PRICE", "STOCK", "SMS 24H", "SMS 7D"}, rows)
}

// favouriteChange is what favourite add or remove did.
type favouriteChange struct {
	Service string `json:"service"`
	Country string `json:"country"`
	Changed bool   `json:"changed"` // false: it already was (add) or was not (remove) a favourite
	line    string
}

func (r favouriteChange) WriteText(w io.Writer) error {
	_, err := fmt.Fprintln(w, r.line)
	return err
}

func favouriteCommand() *Command {
	return &Command{
		Name:    "favourite",
		Summary: "the service+country pairs you starred: first in Numbers, reserved with one key",
		Subs:    []*Command{favouriteAddCommand(), favouriteRemoveCommand(), favouriteListCommand()},
	}
}

func favouriteAddCommand() *Command {
	service := Arg("SERVICE", Service, "what the numbers are for")
	country := Flag("country", Country, "their country").Required()
	return &Command{
		Name:    "add",
		Summary: "star a service in a country",
		Help:    fmt.Sprintf("At most %d favourites.", store.MaxFavourites),
		Params:  []Param{service, country},
		Example: favouriteChange{Service: "telegram", Country: "gb", Changed: true},
		Run: func(c *Call) error {
			r := favouriteChange{Service: service.Get(c), Country: country.Get(c)}
			added, err := c.Deps.Store.AddFavourite(c.Ctx, c.User.ID, r.Service, r.Country)
			if err != nil {
				return err
			}
			r.Changed, r.line = added, pairName(r.Service, r.Country)+" is a favourite now"
			if !added {
				r.line = pairName(r.Service, r.Country) + " already was a favourite"
			}
			return c.Print(r)
		},
	}
}

func favouriteRemoveCommand() *Command {
	service := Arg("SERVICE", Service, "what the numbers are for")
	country := Flag("country", Country, "their country").Required()
	return &Command{
		Name:    "remove",
		Summary: "unstar a service in a country",
		Params:  []Param{service, country},
		Example: favouriteChange{Service: "telegram", Country: "gb", Changed: true},
		Run: func(c *Call) error {
			r := favouriteChange{Service: service.Get(c), Country: country.Get(c)}
			removed, err := c.Deps.Store.RemoveFavourite(c.Ctx, c.User.ID, r.Service, r.Country)
			if err != nil {
				return err
			}
			r.Changed, r.line = removed, pairName(r.Service, r.Country)+" is no favourite any more"
			if !removed {
				r.line = pairName(r.Service, r.Country) + " was not a favourite"
			}
			return c.Print(r)
		},
	}
}

func favouriteListCommand() *Command {
	return &Command{
		Name:    "list",
		Summary: "your favourites with their price, stock and success rates now",
		Example: favouritesResult{Favourites: []favouriteJSON{{Service: "telegram", Country: "gb", AddedAt: exampleTime,
			InStock: true, PriceCents: 45, Stock: 120, Success24h: rateJSON{Numbers: 3, WithSMS: 3},
			Success7d: rateJSON{Numbers: 41, WithSMS: 37, Percent: func() *int { p := 90; return &p }()}}}},
		Run: func(c *Call) error {
			favs, err := c.Deps.Store.Favourites(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			offers := map[[2]string]provider.RoutedOffer{}
			var rates *store.SuccessRates
			if n := c.Deps.Numbers; n != nil {
				for _, o := range n.Offers(c.Ctx) {
					offers[[2]string{o.Service, o.Country}] = o
				}
				rates = n.SuccessRates(c.Ctx)
			}
			r := favouritesResult{Favourites: make([]favouriteJSON, 0, len(favs))}
			for _, f := range favs {
				j := favouriteJSON{Service: f.Service, Country: f.Country, AddedAt: Timestamp(f.CreatedAt)}
				if o, ok := offers[[2]string{f.Service, f.Country}]; ok && o.Stock > 0 {
					j.InStock, j.PriceCents, j.Stock = true, o.SellCents, o.Stock
					rate := rates.Of(o.Service, o.Country, o.Provider)
					j.Success24h, j.Success7d = rateOf(rate.Day), rateOf(rate.Week)
				}
				r.Favourites = append(r.Favourites, j)
			}
			return c.Print(r)
		},
	}
}

// pairName is "Telegram in United Kingdom".
func pairName(service, country string) string {
	return wording.Service(service) + " in " + wording.Country(country)
}
