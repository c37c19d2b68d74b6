package numbers

import (
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// numberRow is one line of the lists: a favourite, a service or a
// country.
type numberRow struct {
	code, label string
	cents       int64 // the price (the cheapest, for a service)
	stock       int
	sim         bool
	offer       provider.RoutedOffer
	fav         bool // a favourite, listed above the services
	starred     bool // a country that is one of the person's favourites
	rated       bool // shows the success rates (a pair, not a service)
	rate        store.SuccessRate
}

// rebuild computes the list for the current mode and filter. Past the
// service list it is the chosen service's countries, which "n" goes back
// to: offers reloaded after a refused reservation must not turn them into
// services.
//
// Reloaded offers (new prices reorder the countries) keep the cursor on
// the row it was on.
func (p *Pane) rebuild() {
	var selected string
	if p.cursor < len(p.rows) {
		selected = p.rows[p.cursor].code
	}
	f := strings.ToLower(strings.TrimSpace(p.filter))
	if p.mode == numServices {
		p.rows = p.serviceRows(f)
		if favs := p.favouriteRows(f); len(favs) > 0 {
			p.rows = append(favs, p.rows...)
		}
	} else {
		p.rows = p.countryRows(f)
	}
	p.cursor = min(p.cursor, max(0, len(p.rows)-1))
	p.moveTo(selected)
	if f != "" {
		p.cursor = 0
	}
}

// moveTo puts the cursor on the row of code, if listed.
func (p *Pane) moveTo(code string) {
	for i, r := range p.rows {
		if r.code == code {
			p.cursor = i
		}
	}
}

// allServices is the unfiltered service list of the last offers seen.
// Sessions share the router's offers until they change, so they share
// this too (rows are never changed in place): 3 KB less per session.
var allServices struct {
	sync.Mutex
	offers []provider.RoutedOffer // kept, so its address is not reused
	rows   []numberRow
}

func (p *Pane) serviceRows(f string) []numberRow {
	if f != "" || len(p.offers) == 0 {
		return p.buildServiceRows(f)
	}
	allServices.Lock()
	defer allServices.Unlock()
	if len(allServices.offers) != len(p.offers) || &allServices.offers[0] != &p.offers[0] {
		allServices.offers, allServices.rows = p.offers, p.buildServiceRows("")
	}
	return allServices.rows
}

func (p *Pane) buildServiceRows(f string) []numberRow {
	best := map[string]*numberRow{}
	for _, o := range p.offers {
		r := best[o.Service]
		if r == nil {
			r = &numberRow{code: o.Service, label: wording.Service(o.Service), cents: o.SellCents}
			best[o.Service] = r
		}
		r.cents, r.stock = min(r.cents, o.SellCents), r.stock+o.Stock
		r.sim = r.sim || p.simulated(o)
	}
	out := make([]numberRow, 0, len(best))
	for _, s := range provider.Services() {
		if r := best[s.Code]; r != nil && (matches(f, r.label, r.code) || isAlias(f, r.code)) {
			out = append(out, *r)
		}
	}
	return out
}

// favouriteRows are the person's favourites whose service matches the
// filter (the filter of this list finds services), each with its live
// price, stock and rates, or sold out.
func (p *Pane) favouriteRows(f string) []numberRow {
	if len(p.favs) == 0 {
		return nil
	}
	offers := map[[2]string]provider.RoutedOffer{}
	for _, o := range p.offers {
		offers[[2]string{o.Service, o.Country}] = o
	}
	var out []numberRow
	for _, fav := range p.favs {
		svcName := wording.Service(fav.Service)
		if !matches(f, svcName, fav.Service) && !isAlias(f, fav.Service) {
			continue
		}
		row := numberRow{code: "★" + fav.Service + "/" + fav.Country, fav: true,
			label: "★ " + svcName + " · " + wording.FlagCountry(fav.Country),
			offer: provider.RoutedOffer{Service: fav.Service, Country: fav.Country}}
		if o, ok := offers[[2]string{fav.Service, fav.Country}]; ok {
			row.cents, row.stock, row.sim, row.offer = o.SellCents, o.Stock, p.simulated(o), o
			row.rated, row.rate = true, p.rates.Of(o.Service, o.Country, o.Provider)
		}
		out = append(out, row)
	}
	return out
}

func (p *Pane) countryRows(f string) []numberRow {
	var out []numberRow
	for _, o := range p.offers {
		if o.Service != p.service {
			continue
		}
		c, _ := provider.LookupCountry(o.Country)
		if !matches(f, c.Name, o.Country) {
			continue
		}
		out = append(out, numberRow{code: o.Country, label: wording.FlagCountry(o.Country), cents: o.SellCents,
			stock: o.Stock, sim: p.simulated(o), offer: o, starred: p.isFavourite(o.Service, o.Country),
			rated: true, rate: p.rates.Of(o.Service, o.Country, o.Provider)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].cents < out[j].cents })
	return out
}

// operatorRows are the choices of the operator list: any operator (the
// pair's offer, while it has stock), then each operator.
func (p *Pane) operatorRows() []provider.RoutedOffer {
	var out []provider.RoutedOffer
	for _, o := range p.offers {
		if o.Service == p.offer.Service && o.Country == p.offer.Country && o.Stock > 0 {
			out = append(out, o)
		}
	}
	return append(out, p.ops...)
}

// allSimulated: every offer is from the simulator (the default set-up),
// said once in the title instead of on every row.
func (p *Pane) allSimulated() bool {
	for _, o := range p.offers {
		if !p.simulated(o) {
			return false
		}
	}
	return len(p.offers) > 0
}

func (p *Pane) simulated(o provider.RoutedOffer) bool {
	return p.eng != nil && p.eng.Simulated(o.Provider)
}

// matches: the filter starts the code or a word of the name ("te" finds
// Telegram, "king" United Kingdom, "twit" X (Twitter)).
// isAlias: the market's short code ("tg" for Telegram) finds its service.
func isAlias(f, code string) bool {
	s, ok := provider.LookupService(f)
	return ok && s.Code == code
}

func matches(f, name, code string) bool {
	if f == "" || strings.HasPrefix(code, f) || strings.HasPrefix(strings.ToLower(name), f) {
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		if strings.HasPrefix(w, f) {
			return true
		}
	}
	return false
}
