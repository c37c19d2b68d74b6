// Package rentals is the Rentals pane: numbers rented for days. It lists
// the active rentals with their time left, the chosen one's every SMS as
// they arrive (its newest code large, a bell when one comes) and whether
// its end is near (the tab says so too, once the notice was given); it
// rents a number (service, country, then the days with their price),
// extends and cancels one, offered, asked and refused by the same rules
// the engine applies and the rental commands give.
//
// It is a tab of its own rather than a part of the Inbox: a rental lives
// days, not minutes, takes many SMS, and has its own actions (extend, the
// cancel window), which would crowd the Inbox's one-code-per-number view
// at 80×24.
//
// May import from this repository: provider, store, tui/kit,
// tui/sanitize, tui/wording.
package rentals

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// mode is the pane's screen.
type mode int

const (
	modeList    mode = iota // the active rentals and the chosen one's SMS
	modeService             // renting: choose a service (type to filter)
	modeCountry             // renting: choose a country
	modeRent                // renting: the days, the price, y/n
	modeExtend              // extending the chosen rental: the days, the price, y/n
)

// Pane is the Rentals pane. Like the Inbox, its selection is a rental,
// not a row, and a question is bound to the rental it asks about.
type Pane struct {
	c    *kit.Common
	st   Store
	eng  Engine // nil: no rentals on this server
	w, h int
	mode mode

	open     []store.Rental
	loaded   bool
	loadErr  string
	cursor   int
	selected int64
	scroll   int            // how many SMS back from the newest the list shows
	seen     map[int64]bool // message ids shown: a new code rings

	// Renting and extending.
	filter  string
	rows    []pickRow
	pick    int
	service string
	country string
	days    int // index in store.RentalDays
	quote   quote
	target  store.Rental // the rental being extended

	cancel  kit.Question[store.Rental]
	busy    bool
	notice  string
	failure string
	tick    kit.Ticker
}

// pickRow is one service or country to choose.
type pickRow struct{ code, label string }

// quote is the price of what is being rented or extended, as the engine
// gave it for one period (gen tells a stale answer from the current).
type quote struct {
	gen     int
	loading bool
	cents   int64
	window  time.Duration // renting: how long a cancel is refunded
	sim     bool
	err     error
}

type loadedMsg struct {
	open []store.Rental
	err  error
}

type quotedMsg struct {
	gen    int
	cents  int64
	window time.Duration
	sim    bool
	err    error
}

type doneMsg struct {
	id     int64 // the rental to select after
	notice string
	err    error
}

type bellMsg struct{}

// New makes the pane; eng nil offers no rental.
func New(c *kit.Common, st Store, eng Engine) *Pane {
	return &Pane{c: c, st: st, eng: eng, tick: kit.NewTicker("rentals", c)}
}

// Title is the tab's label; "Rentals !" while a rental's end is near
// (its notice was given), whatever pane is in view.
func (p *Pane) Title() string {
	for _, r := range p.open {
		if r.Noticed() {
			return "Rentals !"
		}
	}
	return "Rentals"
}

func (p *Pane) Init() tea.Cmd { return p.load() }

// Close stops the pane's countdown tick (kit.Closer).
func (p *Pane) Close()           { p.tick.Stop() }
func (p *Pane) SetSize(w, h int) { p.w, p.h = w, h }

// Capturing: while a filter is typed, every key goes to it.
func (p *Pane) Capturing() bool {
	return (p.mode == modeService || p.mode == modeCountry) && p.filter != ""
}

func (p *Pane) load() tea.Cmd {
	c, st, uid := p.c, p.st, p.c.UserID
	return func() tea.Msg {
		open, err := st.OpenRentals(c.Ctx, uid)
		return loadedMsg{open: open, err: err}
	}
}

// current is the chosen rental.
func (p *Pane) current() (store.Rental, bool) {
	if p.cursor < len(p.open) {
		return p.open[p.cursor], true
	}
	return store.Rental{}, false
}

func (p *Pane) find(id int64) (store.Rental, bool) {
	for _, r := range p.open {
		if r.ID == id {
			return r, true
		}
	}
	return store.Rental{}, false
}

// nextChange is when the pane next shows something else by itself: a
// rental's time left, or the chosen one's cancel window closing.
func (p *Pane) nextChange() time.Duration {
	now := p.st.Now()
	out := time.Duration(-1)
	for _, r := range p.open {
		out = kit.Soonest(out, kit.LongClockChange(r.EndsAt.Sub(now)))
	}
	if r, ok := p.current(); ok && r.CheckCancel(now) == nil {
		out = kit.Soonest(out, r.CancelUntil.Sub(now)+kit.TickMargin)
	}
	return out
}

func (p *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			p.loadErr = p.c.Explain(msg.err)
			return p, nil
		}
		p.loadErr = ""
		return p, tea.Batch(p.loaded1(msg.open), p.tick.Ensure(p.nextChange()))
	case quotedMsg:
		if msg.gen == p.quote.gen {
			p.quote = quote{gen: msg.gen, cents: msg.cents, window: msg.window, sim: msg.sim, err: msg.err}
		}
	case doneMsg:
		p.busy = false
		p.notice, p.failure = msg.notice, ""
		if msg.err != nil {
			p.failure = p.c.Explain(msg.err)
		} else {
			p.mode, p.selected, p.scroll = modeList, msg.id, 0
		}
		return p, p.load()
	case kit.CopiedMsg:
		if msg.Owner == "rentals" {
			p.notice = msg.What + " copied to your clipboard."
		}
	case kit.EventMsg:
		if msg.Missed || msg.Event.Kind == store.EventRental {
			return p, p.load()
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
		if !p.busy {
			return p, tea.Batch(p.key(msg), p.tick.Ensure(p.nextChange()))
		}
	}
	return p, nil
}

// loaded1 takes a fresh list: the cursor stays on the chosen rental, an
// open question follows its rental or closes saying why, and a code that
// was not there before rings.
func (p *Pane) loaded1(open []store.Rental) tea.Cmd {
	first := p.seen == nil
	if first {
		p.seen = map[int64]bool{}
	}
	ring := false
	for _, r := range open {
		for _, m := range r.Messages {
			if !p.seen[m.ID] {
				p.seen[m.ID] = true
				ring = ring || (!first && m.Code != "")
			}
		}
	}
	p.open, p.loaded = open, true
	p.cursor = min(p.cursor, max(0, len(open)-1))
	for i, r := range open {
		if r.ID == p.selected {
			p.cursor = i
		}
	}
	if r, ok := p.current(); ok {
		p.selected = r.ID
	}
	p.recheck()
	if !ring {
		return nil
	}
	c := p.c
	return func() tea.Msg {
		if c.Emit != nil {
			c.Emit("\a")
		}
		return bellMsg{}
	}
}

// recheck keeps an open question, and an extension being chosen, true to
// their rental: ended meanwhile, or no longer allowed, they close and say
// why.
func (p *Pane) recheck() {
	now := p.st.Now()
	if p.cancel.Asking() {
		r, ok := p.find(p.cancel.About().ID)
		switch {
		case !ok:
			p.cancel.Answer(p.c.Keys, tea.KeyMsg{})
			p.failure = "Rental " + ref(p.cancel.About()) + " ended meanwhile: nothing was done."
		case r.CheckCancel(now) != nil:
			p.cancel.Answer(p.c.Keys, tea.KeyMsg{})
			p.failure = kit.Sentence(p.c.Explain(r.CheckCancel(now))) + "."
		}
	}
	if p.mode == modeExtend {
		if r, ok := p.find(p.target.ID); !ok || r.CheckExtend(now) != nil {
			p.mode = modeList
			p.failure = "Rental " + ref(p.target) + " ended meanwhile: nothing was done."
		}
	}
}

// ref names a rental as people type it: R7.
func ref(r store.Rental) string { return fmt.Sprintf("R%d", r.ID) }

func (p *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	if p.cancel.Asking() {
		if r := p.cancel.About(); p.cancel.Answer(k, msg) {
			return p.cancelRental(r)
		}
		return nil
	}
	p.notice, p.failure = "", ""
	switch p.mode {
	case modeService, modeCountry:
		return p.pickKey(msg)
	case modeRent, modeExtend:
		return p.periodKey(msg)
	}
	return p.listKey(msg)
}

func (p *Pane) listKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	if key.Matches(msg, k.RentNew) {
		if p.eng == nil {
			p.failure = "Rentals are not available on this server."
			return nil
		}
		p.mode, p.filter, p.pick, p.service, p.country = modeService, "", 0, "", ""
		p.rebuild()
		return nil
	}
	r, ok := p.current()
	if !ok {
		return nil
	}
	now := p.st.Now()
	switch {
	case key.Matches(msg, k.Up):
		p.move(-1)
	case key.Matches(msg, k.Down):
		p.move(1)
	case key.Matches(msg, k.PageUp):
		p.scroll = min(p.scroll+p.smsRows(), max(0, len(r.Messages)-1))
	case key.Matches(msg, k.PageDown):
		p.scroll = max(0, p.scroll-p.smsRows())
	case key.Matches(msg, k.CopyCode):
		if code := r.LatestCode(); code != "" {
			return kit.CopyCmd(p.c, "rentals", code, "Code "+sanitize.Line(code))
		}
		p.failure = "No code yet on this rental."
	case key.Matches(msg, k.CopyNumber):
		return kit.CopyCmd(p.c, "rentals", r.Phone, "Number "+sanitize.Line(r.Phone))
	case key.Matches(msg, k.RentCancel):
		if err := r.CheckCancel(now); err != nil {
			p.failure = kit.Sentence(p.c.Explain(err)) + "."
			return nil
		}
		p.cancel.Ask(r)
	case key.Matches(msg, k.RentExtend):
		switch {
		case r.CheckExtend(now) != nil:
			p.failure = kit.Sentence(p.c.Explain(r.CheckExtend(now))) + "."
		case p.eng == nil || !p.eng.CanExtend(r.Provider):
			p.failure = "This rental's provider cannot extend it: rent another number when it ends."
		default:
			p.mode, p.target = modeExtend, r
			return p.askQuote()
		}
	}
	return nil
}

func (p *Pane) move(by int) {
	p.cursor = max(0, min(len(p.open)-1, p.cursor+by))
	p.scroll = 0
	if r, ok := p.current(); ok {
		p.selected = r.ID
	}
}

func (p *Pane) pickKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyUp:
		p.pick = max(0, p.pick-1)
	case tea.KeyDown:
		p.pick = min(max(0, len(p.rows)-1), p.pick+1)
	case tea.KeyEnter:
		if len(p.rows) == 0 {
			return nil
		}
		code := p.rows[p.pick].code
		p.filter, p.pick = "", 0
		if p.mode == modeService {
			p.mode, p.service = modeCountry, code
			p.rebuild()
			return nil
		}
		p.mode, p.country = modeRent, code
		return p.askQuote()
	case tea.KeyEsc:
		switch {
		case p.filter != "":
			p.filter = ""
		case p.mode == modeCountry:
			p.mode = modeService
		default:
			p.mode = modeList
		}
		p.rebuild()
	case tea.KeyBackspace:
		if r := []rune(p.filter); len(r) > 0 {
			p.filter = string(r[:len(r)-1])
			p.rebuild()
		}
	case tea.KeyRunes, tea.KeySpace:
		// A space comes as KeySpace with its rune, like any other.
		if len([]rune(p.filter)) < 24 {
			p.filter += string(msg.Runes)
			p.pick = 0
			p.rebuild()
		}
	}
	return nil
}

// rebuild lists the services or countries the filter matches.
func (p *Pane) rebuild() {
	f := strings.ToLower(strings.TrimSpace(p.filter))
	p.rows = p.rows[:0]
	if p.mode == modeService {
		for _, s := range provider.Services() {
			if matches(f, s.Name, s.Code) {
				p.rows = append(p.rows, pickRow{code: s.Code, label: s.Name})
			}
		}
	} else {
		for _, c := range provider.Countries() {
			if matches(f, c.Name, c.Code) {
				p.rows = append(p.rows, pickRow{code: c.Code, label: wording.FlagCountry(c.Code)})
			}
		}
	}
	p.pick = min(p.pick, max(0, len(p.rows)-1))
}

// matches: the filter starts the code, the name or a word of the name
// ("te" finds Telegram, "united k" and "king" United Kingdom).
func matches(f, name, code string) bool {
	if f == "" || strings.HasPrefix(code, f) || strings.HasPrefix(strings.ToLower(name), f) {
		return true
	}
	for _, w := range strings.Fields(strings.ToLower(strings.NewReplacer("(", " ", ")", " ").Replace(name))) {
		if strings.HasPrefix(w, f) {
			return true
		}
	}
	return false
}

// periodKey: ←/→ choose the days (and ask the price again), y takes it.
func (p *Pane) periodKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	switch {
	case msg.Type == tea.KeyLeft || msg.String() == "h":
		if p.days > 0 {
			p.days--
			return p.askQuote()
		}
	case msg.Type == tea.KeyRight || msg.String() == "l":
		if p.days < len(store.RentalDays)-1 {
			p.days++
			return p.askQuote()
		}
	case key.Matches(msg, k.Yes):
		if p.ready() == nil {
			return p.act()
		}
	case key.Matches(msg, k.No):
		if p.mode == modeRent {
			p.mode = modeCountry
			p.rebuild()
		} else {
			p.mode = modeList
		}
	}
	return nil
}

// period is the days chosen.
func (p *Pane) period() int { return store.RentalDays[p.days] }

// askQuote asks the price of what is being rented or extended.
func (p *Pane) askQuote() tea.Cmd {
	p.quote = quote{gen: p.quote.gen + 1, loading: true}
	c, eng, uid, gen, days := p.c, p.eng, p.c.UserID, p.quote.gen, p.period()
	if p.mode == modeExtend {
		id := p.target.ID
		return func() tea.Msg {
			cents, err := eng.ExtendQuote(c.Ctx, uid, id, days)
			return quotedMsg{gen: gen, cents: cents, err: err}
		}
	}
	service, country := p.service, p.country
	return func() tea.Msg {
		o, err := eng.RentOffer(c.Ctx, service, country, days)
		return quotedMsg{gen: gen, cents: o.SellCents, window: o.CancelWindow, sim: err == nil && eng.Simulated(o.Provider), err: err}
	}
}

// ready is why what is shown cannot be taken now (nil when it can): the
// price is not known, or the balance does not cover it.
func (p *Pane) ready() error {
	switch {
	case p.quote.loading:
		return kit.Refusal("the price is being asked")
	case p.quote.err != nil:
		return p.quote.err
	}
	if err := store.CheckNoDebt(p.c.User.DebtCents); err != nil {
		return err
	}
	return store.CheckAffordable(p.c.User.BalanceCents, p.quote.cents)
}

// act rents or extends at the price shown.
func (p *Pane) act() tea.Cmd {
	p.busy = true
	c, eng, uid, days, price := p.c, p.eng, p.c.UserID, p.period(), p.quote.cents
	if p.mode == modeExtend {
		r := p.target
		return func() tea.Msg {
			x, err := eng.Extend(c.Ctx, uid, r.ID, days, price)
			notice := fmt.Sprintf("Extended %s by %s: it ends %s UTC.", ref(r), dayWord(days), kit.When(x.EndsAt))
			return doneMsg{id: r.ID, notice: notice, err: err}
		}
	}
	service, country := p.service, p.country
	return func() tea.Msg {
		r, err := eng.Rent(c.Ctx, uid, service, country, days, price)
		notice := fmt.Sprintf("Rented %s for %s: %s. Its SMS appear below as they come.", sanitize.Line(r.Phone),
			dayWord(days), ref(r))
		return doneMsg{id: r.ID, notice: notice, err: err}
	}
}

func (p *Pane) cancelRental(r store.Rental) tea.Cmd {
	p.busy = true
	c, eng, uid := p.c, p.eng, p.c.UserID
	return func() tea.Msg {
		x, err := eng.CancelRental(c.Ctx, uid, r.ID)
		return doneMsg{id: r.ID, notice: fmt.Sprintf("Cancelled %s (%s): %s refunded.", ref(r), sanitize.Line(r.Phone),
			store.FormatCents(x.RefundCents)), err: err}
	}
}

// dayWord writes "1 day", "7 days".
func dayWord(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// ShortHelp offers only what the screen allows now.
func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.cancel.Asking() {
		return []key.Binding{k.Yes, k.No}
	}
	pick := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
	typing := key.NewBinding(key.WithKeys("a"), key.WithHelp("type", "filter"))
	switch p.mode {
	case modeService, modeCountry:
		return []key.Binding{pick, typing, k.Back}
	case modeRent, modeExtend:
		if p.ready() != nil {
			return []key.Binding{k.RentDays, k.No}
		}
		return []key.Binding{k.RentDays, k.Yes, k.No}
	}
	out := []key.Binding{k.RentNew}
	r, ok := p.current()
	if !ok {
		return out
	}
	now := p.st.Now()
	if r.LatestCode() != "" {
		out = append(out, k.CopyCode)
	}
	out = append(out, k.CopyNumber)
	if r.CheckExtend(now) == nil && p.eng != nil && p.eng.CanExtend(r.Provider) {
		out = append(out, k.RentExtend)
	}
	if r.CheckCancel(now) == nil {
		out = append(out, k.RentCancel)
	}
	if len(r.Messages) > p.smsRows() {
		out = append(out, k.RentScroll)
	}
	return out
}

func (p *Pane) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down}, p.ShortHelp()}
}
