// Package numbers is the Numbers pane, the dashboard's first tab: the
// person's favourite service+country pairs first (one key reserves one),
// then choose a service (type to filter), then a country, each with its
// price, stock and how often numbers got an SMS; see the price against
// the balance, pick an operator where numbers are sold by operator,
// reserve, and watch the number with its countdown until its code
// comes. A price that changed while the person was confirming is shown
// on the same screen and asked again there.
//
// May import from this repository: provider, provider/engine (its
// refusals), store, tui/kit, tui/sanitize, tui/wording.
package numbers

import (
	"errors"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// numbersMode is the step of reserving a number.
type numbersMode int

const (
	numServices  numbersMode = iota // favourites, then pick a service (type to filter)
	numCountries                    // pick a country for it
	numConfirm                      // price and balance, y/n
	numOperators                    // pick an operator for the pair being confirmed
	numReserving                    // waiting for the engine
	numReserved                     // the number with its countdown
)

// topUpHint tells a person without credits where to get them.
const topUpHint = "To top up, open Wallet (press the Wallet tab number)."

// Pane is the Numbers pane: favourites or service → country → confirm
// (→ operator) → number.
type Pane struct {
	c       *kit.Common
	st      Store
	eng     Engine // nil: no numbers on this server
	w, h    int
	mode    numbersMode
	offers  []provider.RoutedOffer
	rates   *store.SuccessRates // shared with every session
	favs    []store.Favourite
	favsIn  bool // the favourites were loaded once
	loaded  bool
	filter  string
	rows    []numberRow // the list on screen (favourites and services, or countries)
	cursor  int
	service string
	offer   provider.RoutedOffer // what is being confirmed
	// ops are the operators of the pair being confirmed (opsFor), once
	// loaded; opCursor is the operator list's cursor.
	ops      []provider.RoutedOffer
	opsFor   provider.Pick
	opCursor int
	// priceWas is the price the person confirmed when the engine refused
	// it as changed: the confirmation then shows the new one beside it
	// (0: no change to show). soldOut: the pair has none left at all.
	priceWas int64
	soldOut  bool
	res      store.Reservation
	err      string
	notice   string
	tick     kit.Ticker
}

type offersLoadedMsg struct {
	offers []provider.RoutedOffer
	rates  *store.SuccessRates
}

type favouritesLoadedMsg struct {
	favs []store.Favourite
	err  error
}

type favouriteToggledMsg struct {
	service, country string
	on               bool
	err              error
}

type operatorsLoadedMsg struct {
	pair provider.Pick // service and country
	ops  []provider.RoutedOffer
}

type quotedMsg struct {
	pick  provider.Pick
	offer provider.RoutedOffer
	ok    bool
}

type reservedMsg struct {
	res store.Reservation
	err error
}

type numberReloadedMsg struct {
	res store.Reservation
	err error
}

// New makes the pane; eng nil shows it without offers.
func New(c *kit.Common, st Store, eng Engine) *Pane {
	return &Pane{c: c, st: st, eng: eng, tick: kit.NewTicker("numbers", c)}
}

func (p *Pane) Title() string { return "Numbers" }
func (p *Pane) Init() tea.Cmd { return tea.Batch(p.load(), p.loadFavourites()) }

// Close stops the pane's countdown tick (kit.Closer).
func (p *Pane) Close()           { p.tick.Stop() }
func (p *Pane) SetSize(w, h int) { p.w, p.h = w, h }

// Capturing: while a filter is being typed, every key goes to it.
func (p *Pane) Capturing() bool {
	return (p.mode == numServices || p.mode == numCountries) && p.filter != ""
}

func (p *Pane) load() tea.Cmd {
	c, eng := p.c, p.eng
	if eng == nil {
		return nil
	}
	return func() tea.Msg { return offersLoadedMsg{offers: eng.Offers(c.Ctx), rates: eng.SuccessRates(c.Ctx)} }
}

func (p *Pane) loadFavourites() tea.Cmd {
	c, st, uid := p.c, p.st, p.c.UserID
	if st == nil {
		return nil
	}
	return func() tea.Msg {
		favs, err := st.Favourites(c.Ctx, uid)
		return favouritesLoadedMsg{favs: favs, err: err}
	}
}

// loadOperators fetches the operators of the pair being confirmed.
func (p *Pane) loadOperators() tea.Cmd {
	c, eng, pair := p.c, p.eng, provider.Pick{Service: p.offer.Service, Country: p.offer.Country}
	if eng == nil || p.opsFor == pair {
		return nil
	}
	p.ops, p.opsFor = nil, provider.Pick{}
	return func() tea.Msg {
		return operatorsLoadedMsg{pair: pair, ops: eng.Operators(c.Ctx, pair.Service, pair.Country)}
	}
}

// nextChange is when the reserved number's countdowns (its end, the
// cancel guard) next change on screen (-1: none shown).
func (p *Pane) nextChange() time.Duration {
	if p.mode != numReserved || !p.res.State.Open() {
		return -1
	}
	now := p.st.Now()
	wait := kit.ClockChange(p.res.ExpiresAt.Sub(now))
	if p.res.State == store.ResActive {
		wait = kit.Soonest(wait, kit.GuardChange(p.res.CancelAfter.Sub(now), false))
	}
	return wait
}

func (p *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case offersLoadedMsg:
		p.offers, p.rates, p.loaded = msg.offers, msg.rates, true
		p.rebuild()
	case favouritesLoadedMsg:
		if msg.err == nil {
			p.favs = msg.favs
			p.rebuild()
			if !p.favsIn && p.mode == numServices {
				p.cursor = 0 // the list opens on the first favourite
			}
			p.favsIn = true
		}
	case favouriteToggledMsg:
		return p, p.toggled(msg)
	case operatorsLoadedMsg:
		if msg.pair == (provider.Pick{Service: p.offer.Service, Country: p.offer.Country}) {
			p.ops, p.opsFor = msg.ops, msg.pair
		}
	case quotedMsg:
		p.requoted(msg)
	case reservedMsg:
		return p, p.reserved(msg)
	case numberReloadedMsg:
		if msg.err == nil && msg.res.ID == p.res.ID {
			p.res = msg.res
		}
	case kit.CopiedMsg:
		if msg.Owner == "numbers" {
			p.notice = msg.What + " copied to your clipboard."
		}
	case kit.EventMsg:
		var cmds []tea.Cmd
		if msg.Missed || msg.Event.Kind == store.EventFavourites {
			cmds = append(cmds, p.loadFavourites())
		}
		if p.mode == numReserved && (msg.Missed || msg.Event.Ref == p.res.ID) {
			cmds = append(cmds, p.reload())
		}
		return p, tea.Batch(cmds...)
	case kit.ActivatedMsg:
		p.tick.SetActive(true)
		return p, tea.Batch(p.load(), p.tick.Ensure(p.nextChange()))
	case kit.DeactivatedMsg:
		p.tick.SetActive(false)
	case kit.TickMsg:
		if p.tick.Owns(msg) {
			return p, p.tick.Tick(msg, p.nextChange())
		}
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func (p *Pane) reserved(msg reservedMsg) tea.Cmd {
	if msg.err != nil {
		p.mode = numConfirm
		if errors.Is(msg.err, engine.ErrPriceChanged) {
			// Ask again here, at the new price: no going back to find
			// the row again in a list the new prices re-sorted.
			p.priceWas, p.err = p.offer.SellCents, ""
			return tea.Batch(p.load(), p.quote())
		}
		p.err = p.explain(msg.err)
		return p.load() // stock changed: show the new one
	}
	p.mode, p.res, p.err, p.notice = numReserved, msg.res, "", ""
	p.priceWas, p.soldOut = 0, false
	return p.tick.Ensure(p.nextChange())
}

// quote asks what the offer being confirmed sells at now.
func (p *Pane) quote() tea.Cmd {
	c, eng, pick := p.c, p.eng, p.offer.Pick()
	return func() tea.Msg {
		o, ok := eng.Quote(c.Ctx, pick)
		return quotedMsg{pick: pick, offer: o, ok: ok}
	}
}

// requoted puts the new price of the offer being confirmed in place.
func (p *Pane) requoted(msg quotedMsg) {
	if p.mode != numConfirm || msg.pick != p.offer.Pick() {
		return
	}
	p.soldOut = !msg.ok
	if msg.ok {
		p.offer = msg.offer
	}
}

// explain words a refusal, adding the way out where there is one.
func (p *Pane) explain(err error) string {
	msg := p.c.Explain(err)
	if errors.Is(err, store.ErrInsufficientFunds) {
		return "" // the confirmation explains it while it holds
	}
	return msg
}

func (p *Pane) reload() tea.Cmd {
	c, st, uid, id := p.c, p.st, p.c.UserID, p.res.ID
	return func() tea.Msg {
		r, err := st.UserReservation(c.Ctx, uid, id)
		return numberReloadedMsg{res: r, err: err}
	}
}

func (p *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	p.notice = ""
	switch p.mode {
	case numServices, numCountries:
		return p.listKey(msg)
	case numOperators:
		return p.operatorKey(msg)
	case numConfirm:
		switch {
		case key.Matches(msg, k.Yes) && p.affordable() && !p.soldOut:
			return p.reserve()
		case key.Matches(msg, k.Operator) && len(p.ops) > 0:
			p.mode, p.opCursor = numOperators, 0
			for i, o := range p.operatorRows() {
				if o.Operator == p.offer.Operator {
					p.opCursor = i
				}
			}
		case key.Matches(msg, k.Star):
			return p.toggleFavourite(p.offer.Service, p.offer.Country)
		case key.Matches(msg, k.No):
			p.mode, p.err, p.priceWas, p.soldOut = numCountries, "", 0, false
			if p.service == "" { // confirmed from a favourite
				p.mode = numServices
			}
			p.rebuild()
		}
	case numReserved:
		switch {
		case key.Matches(msg, k.CopyCode) && p.res.LatestCode() != "":
			return kit.CopyCmd(p.c, "numbers", p.res.LatestCode(), "Code "+sanitize.Line(p.res.LatestCode()))
		case key.Matches(msg, k.CopyNumber):
			return kit.CopyCmd(p.c, "numbers", p.res.Phone, "Number "+sanitize.Line(p.res.Phone))
		case key.Matches(msg, k.NewNumber):
			p.mode, p.filter, p.service, p.err = numServices, "", "", ""
			p.rebuild()
			return p.load()
		}
	}
	return nil
}

func (p *Pane) listKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, p.c.Keys.Star) {
		return p.starRow()
	}
	switch msg.Type {
	case tea.KeyUp:
		p.cursor = max(0, p.cursor-1)
	case tea.KeyDown:
		p.cursor = min(max(0, len(p.rows)-1), p.cursor+1)
	case tea.KeyEnter:
		return p.choose()
	case tea.KeyEsc:
		switch {
		case p.filter != "":
			p.filter = ""
		case p.mode == numCountries:
			p.mode, p.cursor = numServices, 0
			p.rebuild()
			p.moveTo(p.service) // back on the service just left
			p.service = ""
			return nil
		}
		p.rebuild()
	case tea.KeyBackspace:
		if r := []rune(p.filter); len(r) > 0 {
			p.filter = string(r[:len(r)-1])
			p.rebuild()
		}
	case tea.KeyRunes, tea.KeySpace:
		if len([]rune(p.filter)) < 24 {
			// A terminal's space comes as KeySpace carrying its rune.
			p.filter += string(msg.Runes)
			if msg.Type == tea.KeySpace && len(msg.Runes) == 0 {
				p.filter += " "
			}
			p.rebuild()
		}
	}
	return nil
}

func (p *Pane) operatorKey(msg tea.KeyMsg) tea.Cmd {
	rows := p.operatorRows()
	switch {
	case msg.Type == tea.KeyUp:
		p.opCursor = max(0, p.opCursor-1)
	case msg.Type == tea.KeyDown:
		p.opCursor = min(len(rows)-1, p.opCursor+1)
	case msg.Type == tea.KeyEnter && p.opCursor < len(rows):
		p.offer, p.mode, p.priceWas, p.soldOut, p.err = rows[p.opCursor], numConfirm, 0, false, ""
	case key.Matches(msg, p.c.Keys.Back):
		p.mode = numConfirm
	}
	return nil
}

func (p *Pane) choose() tea.Cmd {
	if len(p.rows) == 0 {
		return nil
	}
	row := p.rows[p.cursor]
	p.err = ""
	switch {
	case row.fav:
		return p.reserveFavourite(row)
	case p.mode == numServices:
		p.mode, p.service, p.filter, p.cursor = numCountries, row.code, "", 0
		p.rows = nil // a new list: its cheapest country first
		p.rebuild()
		return nil
	}
	p.mode, p.offer, p.priceWas, p.soldOut = numConfirm, row.offer, 0, false
	return p.loadOperators()
}

// reserveFavourite reserves a favourite with one key, at the price on its
// row (the most it can cost); the confirmation is shown instead when
// the balance does not cover it, and when the price changed meanwhile.
func (p *Pane) reserveFavourite(row numberRow) tea.Cmd {
	if row.stock <= 0 {
		p.err = wording.Service(row.offer.Service) + " in " + wording.Country(row.offer.Country) +
			" is sold out right now: try again in a few minutes"
		return nil
	}
	p.offer, p.service, p.priceWas, p.soldOut = row.offer, "", 0, false
	p.ops, p.opsFor = nil, provider.Pick{}
	if !p.affordable() {
		p.mode = numConfirm
		return p.loadOperators()
	}
	return p.reserve()
}

// unaffordable is the store's refusal of the chosen offer on the current
// balance and debt (nil when it is covered): the same rules, in the same
// words, as the engine applies to every reservation.
func (p *Pane) unaffordable() error {
	if err := store.CheckNoDebt(p.c.User.DebtCents); err != nil {
		return err
	}
	return store.CheckAffordable(p.c.User.BalanceCents, p.offer.SellCents)
}

func (p *Pane) affordable() bool { return p.unaffordable() == nil }

func (p *Pane) reserve() tea.Cmd {
	c, eng, uid, o := p.c, p.eng, p.c.UserID, p.offer
	p.mode, p.err = numReserving, ""
	return func() tea.Msg {
		r, err := eng.ReservePick(c.Ctx, uid, o.Pick(), o.SellCents)
		return reservedMsg{res: r, err: err}
	}
}

// starRow stars or unstars the pair under the cursor: a country of the
// chosen service, or a favourite.
func (p *Pane) starRow() tea.Cmd {
	if p.cursor >= len(p.rows) {
		return nil
	}
	row := p.rows[p.cursor]
	if p.mode == numServices && !row.fav {
		p.notice = "Choose " + row.label + ", then press * on a country to make it a favourite."
		return nil
	}
	return p.toggleFavourite(row.offer.Service, row.offer.Country)
}

func (p *Pane) isFavourite(service, country string) bool {
	for _, f := range p.favs {
		if f.Service == service && f.Country == country {
			return true
		}
	}
	return false
}

func (p *Pane) toggleFavourite(service, country string) tea.Cmd {
	c, st, uid, on := p.c, p.st, p.c.UserID, !p.isFavourite(service, country)
	return func() tea.Msg {
		var err error
		if on {
			_, err = st.AddFavourite(c.Ctx, uid, service, country)
		} else {
			_, err = st.RemoveFavourite(c.Ctx, uid, service, country)
		}
		return favouriteToggledMsg{service: service, country: country, on: on, err: err}
	}
}

func (p *Pane) toggled(msg favouriteToggledMsg) tea.Cmd {
	pair := wording.Service(msg.service) + " in " + wording.Country(msg.country)
	switch {
	case msg.err != nil:
		p.err = p.c.Explain(msg.err)
	case msg.on:
		p.notice = "★ " + pair + " is a favourite: it comes first in Numbers, enter reserves it."
	default:
		p.notice = pair + " is no favourite any more."
	}
	return p.loadFavourites()
}
