// Package numbers is the Numbers pane, the dashboard's first tab: choose
// a service (type to filter), then a country, see the price against the
// balance, reserve, and watch the number with its countdown until its
// code comes.
//
// May import from this repository: provider, store, tui/kit,
// tui/sanitize, tui/wording.
package numbers

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// numbersMode is the step of reserving a number.
type numbersMode int

const (
	numServices  numbersMode = iota // pick a service (type to filter)
	numCountries                    // pick a country for it
	numConfirm                      // price and balance, y/n
	numReserving                    // waiting for the engine
	numReserved                     // the number with its countdown
)

// topUpHint tells a person without credits where to get them.
const topUpHint = "To top up, open Wallet (press the Wallet tab number)."

// Pane is the Numbers pane: service → country → confirm → number.
type Pane struct {
	c       *kit.Common
	st      Store
	eng     Engine // nil: no numbers on this server
	w, h    int
	mode    numbersMode
	offers  []provider.RoutedOffer
	loaded  bool
	filter  string
	rows    []numberRow // the list on screen (services or countries)
	cursor  int
	service string
	offer   provider.RoutedOffer
	res     store.Reservation
	err     string
	notice  string
	tick    kit.Ticker
}

// numberRow is one line of the service or country list.
type numberRow struct {
	code, label string
	cents       int64 // cheapest price
	stock       int
	sim         bool
	offer       provider.RoutedOffer
}

type offersLoadedMsg struct{ offers []provider.RoutedOffer }

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
	return &Pane{c: c, st: st, eng: eng, tick: kit.NewTicker("numbers")}
}

func (p *Pane) Title() string    { return "Numbers" }
func (p *Pane) Init() tea.Cmd    { return p.load() }
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
	return func() tea.Msg { return offersLoadedMsg{offers: eng.Offers(c.Ctx)} }
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
		wait = kit.Soonest(wait, kit.ClockChange(p.res.CancelAfter.Sub(now)))
	}
	return wait
}

func (p *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case offersLoadedMsg:
		p.offers, p.loaded = msg.offers, true
		p.rebuild()
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
		if p.mode == numReserved && (msg.Missed || msg.Event.Ref == p.res.ID) {
			return p, p.reload()
		}
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
		p.err = p.explain(msg.err)
		return p.load() // prices or stock changed: show the new ones
	}
	p.mode, p.res, p.err, p.notice = numReserved, msg.res, "", ""
	return p.tick.Ensure(p.nextChange())
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
	case numConfirm:
		switch {
		case key.Matches(msg, k.Yes) && p.affordable():
			return p.reserve()
		case key.Matches(msg, k.No):
			p.mode, p.err = numCountries, ""
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
			p.mode, p.service = numServices, ""
		}
		p.rebuild()
	case tea.KeyBackspace:
		if r := []rune(p.filter); len(r) > 0 {
			p.filter = string(r[:len(r)-1])
			p.rebuild()
		}
	case tea.KeyRunes, tea.KeySpace:
		if len([]rune(p.filter)) < 24 {
			p.filter += string(msg.Runes)
			if msg.Type == tea.KeySpace {
				p.filter += " "
			}
			p.rebuild()
		}
	}
	return nil
}

func (p *Pane) choose() tea.Cmd {
	if len(p.rows) == 0 {
		return nil
	}
	row := p.rows[p.cursor]
	p.err = ""
	if p.mode == numServices {
		p.mode, p.service, p.filter = numCountries, row.code, ""
		p.rebuild()
		return nil
	}
	p.mode, p.offer = numConfirm, row.offer
	return nil
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
		r, err := eng.Reserve(c.Ctx, uid, o.Service, o.Country, o.SellCents)
		return reservedMsg{res: r, err: err}
	}
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
	} else {
		p.rows = p.countryRows(f)
	}
	p.cursor = min(p.cursor, max(0, len(p.rows)-1))
	for i, r := range p.rows {
		if r.code == selected {
			p.cursor = i
		}
	}
	if f != "" {
		p.cursor = 0
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
			stock: o.Stock, sim: p.simulated(o), offer: o})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].cents < out[j].cents })
	return out
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

func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	pick := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
	typing := key.NewBinding(key.WithKeys("a"), key.WithHelp("type", "filter"))
	switch p.mode {
	case numServices:
		return []key.Binding{pick, typing}
	case numCountries:
		return []key.Binding{pick, typing, k.Back}
	case numConfirm:
		if !p.affordable() {
			return []key.Binding{k.No}
		}
		return []key.Binding{k.Yes, k.No}
	case numReserved:
		return []key.Binding{k.CopyCode, k.CopyNumber, k.NewNumber}
	}
	return nil
}

func (p *Pane) FullHelp() [][]key.Binding {
	up := key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up"))
	down := key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down"))
	return [][]key.Binding{{up, down}, p.ShortHelp()}
}

func (p *Pane) View() string {
	st := p.c.Styles
	if p.eng == nil || !p.loaded {
		return st.Title.Render("Numbers") + "\n\n" + st.Muted.Render("Loading what is on offer…")
	}
	var lines []string
	switch p.mode {
	case numServices, numCountries:
		lines = p.listView()
	case numConfirm, numReserving:
		lines = p.confirmView()
	case numReserved:
		lines = p.reservedView()
	}
	switch {
	case p.err != "":
		lines = append(lines, "", st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.err)))
	case p.notice != "":
		lines = append(lines, "", st.Success.Render(p.notice))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}

func (p *Pane) listView() []string {
	st := p.c.Styles
	title, what := "Numbers · choose a service", "SERVICE"
	if p.mode == numCountries {
		title, what = "Numbers · "+wording.Service(p.service)+" · choose a country", "COUNTRY"
	}
	filter := st.Muted.Render("Type to filter")
	if p.filter != "" {
		filter = st.Label.Render("Filter") + st.FocusedIn.Render(sanitize.Line(p.filter)+"▏") + st.Muted.Render("  esc clears")
	}
	allSim := p.allSimulated()
	if allSim {
		title += st.Sim.Render("  simulated numbers")
	}
	lines := []string{st.Title.Render(title), filter, "",
		st.Muted.Render(fmt.Sprintf("  %-34s %11s %9s", what, "PRICE", "STOCK"))}
	if len(p.rows) == 0 {
		msg := "Nothing matches."
		if p.filter == "" {
			msg = "No numbers in stock right now: try again in a few minutes."
		}
		return append(lines, st.Muted.Render("  "+msg))
	}
	visible := max(1, p.h-6)
	top := max(0, min(p.cursor-visible/2, len(p.rows)-visible))
	for i := top; i < min(len(p.rows), top+visible); i++ {
		lines = append(lines, p.rowView(i, allSim))
	}
	return lines
}

// rowView draws one row; allSim (every offer simulated, said once in the
// title) is worked out once per view, not once per row.
func (p *Pane) rowView(i int, allSim bool) string {
	st := p.c.Styles
	r := p.rows[i]
	marker, name := "  ", st.Text
	if i == p.cursor {
		marker, name = st.Selected.Render("▸ "), st.Selected
	}
	price := store.FormatCents(r.cents)
	if p.mode == numServices {
		price = "from " + price
	}
	sim := ""
	if r.sim && !allSim {
		sim = st.Sim.Render(" simulated")
	}
	return marker + name.Width(34).Render(sanitize.Truncate(r.label, 33)) + " " +
		st.Text.Render(fmt.Sprintf("%11s %9d", price, r.stock)) + sim
}

func (p *Pane) confirmView() []string {
	st := p.c.Styles
	o, bal := p.offer, p.c.User.BalanceCents
	after := store.FormatCents(bal) + " → " + store.FormatCents(bal-o.SellCents)
	if !p.affordable() {
		after = store.FormatCents(bal)
	}
	lines := []string{st.Title.Render("Reserve this number?"), "",
		st.Label.Render("Service") + st.Text.Render(wording.Service(o.Service)),
		st.Label.Render("Country") + st.Text.Render(wording.FlagCountry(o.Country)),
		st.Label.Render("Price") + st.Strong.Render(store.FormatCents(o.SellCents)),
		st.Label.Render("Balance") + st.Text.Render(after),
		st.Label.Render("Lifetime") + st.Text.Render(fmt.Sprintf("%s; refunded in full if no SMS arrives",
			kit.Minutes(p.eng.Lifetime()))),
	}
	if p.simulated(o) {
		lines = append(lines, st.Label.Render("")+st.Sim.Render("simulated: a built-in test number, no real SMS"))
	}
	lines = append(lines, "")
	switch {
	case p.mode == numReserving:
		lines = append(lines, st.Muted.Render("Reserving…"))
	case p.affordable():
		lines = append(lines, st.Key.Render("y")+st.Text.Render(" reserve   ")+st.Key.Render("n")+st.Text.Render(" back"))
	default:
		// Worked out on every render: a top-up in another window
		// lifts it at once.
		lines = append(lines, st.Key.Render("n")+st.Text.Render(" back"), "",
			st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.c.Explain(p.unaffordable()))+". "+topUpHint))
	}
	return lines
}

func (p *Pane) reservedView() []string {
	st := p.c.Styles
	r := p.res
	head := "Your " + wording.Service(r.Service) + " number in " + wording.FlagCountry(r.Country)
	if r.Simulated {
		head += st.Sim.Render("  simulated")
	}
	lines := []string{st.Title.Render(head), "", "  " + st.Code.Render(sanitize.Line(r.Phone)), ""}
	now := p.st.Now()
	switch {
	case r.State.Open():
		left := "Open for " + kit.Clock(r.ExpiresAt.Sub(now))
		if wait := r.CancelAfter.Sub(now); wait > 0 && r.State == store.ResActive {
			left += " · can be cancelled in " + kit.Clock(wait)
		}
		lines = append(lines, st.Text.Render(left))
	default:
		lines = append(lines, st.Muted.Render("Ended: "+wording.State(r.State, r.Refunded)))
	}
	if code := r.LatestCode(); code != "" {
		lines = append(lines, "", lipgloss.JoinHorizontal(lipgloss.Center, st.Label.Render("Code"), kit.BigCode(st, code)))
	} else if r.State == store.ResActive {
		lines = append(lines, st.Muted.Render("Waiting for the SMS: it appears here and in Inbox (press 2)."),
			st.Muted.Render("No SMS, no charge: the price comes back if none arrives in time."))
	}
	return lines
}
