package numbers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// Column widths of the lists: with " simulated" after a row they fit 80
// columns.
const (
	labelWidth = 32
	rowFormat  = "%10s %7s %7s %5s" // price, stock, SMS 24 h, SMS 7 days
)

func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	pick := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
	typing := key.NewBinding(key.WithKeys("a"), key.WithHelp("type", "filter"))
	switch p.mode {
	case numServices:
		if p.cursor < len(p.rows) && p.rows[p.cursor].fav {
			return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "reserve now")),
				k.Star, typing}
		}
		return []key.Binding{pick, typing}
	case numCountries:
		return []key.Binding{pick, k.Star, typing, k.Back}
	case numOperators:
		return []key.Binding{pick, k.Back}
	case numConfirm:
		var out []key.Binding
		if p.affordable() && !p.soldOut {
			out = append(out, k.Yes)
		}
		if len(p.ops) > 0 {
			out = append(out, k.Operator)
		}
		return append(out, k.Star, k.No)
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
	var status []string
	switch {
	case p.err != "":
		status = append([]string{""}, strings.Split(st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.err)), "\n")...)
	case p.notice != "":
		status = append([]string{""}, strings.Split(st.Success.Width(max(20, p.w)).Render(p.notice), "\n")...)
	}
	var lines []string
	switch p.mode {
	case numServices, numCountries:
		lines = p.listView(p.h - len(status))
	case numOperators:
		lines = p.operatorView()
	case numConfirm, numReserving:
		lines = p.confirmView()
	case numReserved:
		lines = p.reservedView()
	}
	return lipgloss.JoinVertical(lipgloss.Left, append(lines, status...)...)
}

// listView is the list in height rows.
func (p *Pane) listView(height int) []string {
	st := p.c.Styles
	title, what := "Numbers · choose a service", "SERVICE"
	hint := "Type to filter · * on a country makes it a favourite, listed here"
	if len(p.favs) > 0 {
		hint = "Type to filter · enter on a ★ favourite reserves it at once"
	}
	if p.mode == numCountries {
		title, what = "Numbers · "+wording.Service(p.service)+" · choose a country", "COUNTRY"
		hint = "Type to filter · * makes a favourite · SMS: share of numbers that got one"
	}
	filter := st.Muted.Render(hint)
	if p.filter != "" {
		filter = st.Label.Render("Filter") + st.FocusedIn.Render(sanitize.Line(p.filter)+"▏") + st.Muted.Render("  esc clears")
	}
	allSim := p.allSimulated()
	if allSim {
		title += st.Sim.Render("  simulated numbers")
	}
	day, week := "SMS 24H", "7D"
	if !p.anyRated() {
		day, week = "", ""
	}
	lines := []string{st.Title.Render(title), filter, "",
		st.Muted.Render(fmt.Sprintf("  %-*s "+rowFormat, labelWidth, what, "PRICE", "STOCK", day, week))}
	if len(p.rows) == 0 {
		msg := "Nothing matches."
		if p.filter == "" {
			msg = "No numbers in stock right now: try again in a few minutes."
		}
		return append(lines, st.Muted.Render("  "+msg))
	}
	visible := max(1, height-len(lines))
	top := max(0, min(p.cursor-visible/2, len(p.rows)-visible))
	for i := top; i < min(len(p.rows), top+visible); i++ {
		lines = append(lines, p.rowView(i, allSim))
	}
	return lines
}

// anyRated: some row shows success rates (a favourite, a country), so the
// columns get their heading.
func (p *Pane) anyRated() bool {
	for _, r := range p.rows {
		if r.rated {
			return true
		}
	}
	return false
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
	label := r.label
	if r.starred {
		label = "★ " + label
	}
	price, stock := store.FormatCents(r.cents), strconv.Itoa(r.stock)
	switch {
	case r.fav && r.stock <= 0:
		price, stock = "sold out", "0"
	case p.mode == numServices && !r.fav:
		price = "from " + price
	}
	day, week := "", ""
	if r.rated {
		day, week = wording.Rate(r.rate.Day), wording.Rate(r.rate.Week)
	}
	sim := ""
	if r.sim && !allSim {
		sim = st.Sim.Render(" simulated")
	}
	return marker + name.Width(labelWidth).Render(sanitize.Truncate(label, labelWidth-1)) + " " +
		st.Text.Render(fmt.Sprintf(rowFormat, price, stock, day, week)) + sim
}

// rateLine says how often numbers of the pair got an SMS lately.
func rateLine(r store.SuccessRate) string {
	if _, ok := r.Week.Percent(); !ok {
		return "new: too few numbers yet to tell"
	}
	return wording.Rate(r.Day) + " in the last 24 h · " + wording.Rate(r.Week) + " in 7 days"
}

func (p *Pane) confirmView() []string {
	st := p.c.Styles
	o, bal := p.offer, p.c.User.BalanceCents
	after := store.FormatCents(bal) + " → " + store.FormatCents(bal-o.SellCents)
	if !p.affordable() {
		after = store.FormatCents(bal)
	}
	price := st.Strong.Render(store.FormatCents(o.SellCents))
	if p.priceWas > 0 && p.priceWas != o.SellCents && !p.soldOut {
		price += st.Muted.Render("  (was " + store.FormatCents(p.priceWas) + ")")
	}
	fav := st.Muted.Render("  * makes it a favourite")
	if p.isFavourite(o.Service, o.Country) {
		fav = st.Muted.Render("  ★ a favourite")
	}
	lines := []string{st.Title.Render("Reserve this number?"), "",
		st.Label.Render("Service") + st.Text.Render(wording.Service(o.Service)),
		st.Label.Render("Country") + st.Text.Render(wording.FlagCountry(o.Country)) + fav,
	}
	if line, ok := p.operatorLine(); ok {
		lines = append(lines, st.Label.Render("Operator")+line)
	}
	lines = append(lines,
		st.Label.Render("Price")+price,
		st.Label.Render("Balance")+st.Text.Render(after),
		st.Label.Render("Got SMS")+st.Text.Render(rateLine(p.rates.Of(o.Service, o.Country, o.Provider))),
		st.Label.Render("Lifetime")+st.Text.Render(fmt.Sprintf("%s; refunded in full if no SMS arrives",
			kit.Minutes(p.eng.Lifetime()))),
	)
	if p.simulated(o) {
		lines = append(lines, st.Label.Render("")+st.Sim.Render("simulated: a built-in test number, no real SMS"))
	}
	lines = append(lines, "")
	repriced := p.priceWas > 0 && p.priceWas != o.SellCents
	switch {
	case p.mode == numReserving:
		lines = append(lines, st.Muted.Render("Reserving…"))
	case p.soldOut:
		lines = append(lines, st.Key.Render("n")+st.Text.Render(" back"), "",
			st.Error.Width(max(20, p.w)).Render("None of these numbers are left at any price right now: "+
				"try another country, or again in a few minutes."))
	case p.affordable():
		ask := st.Key.Render("y") + st.Text.Render(" reserve   ") + st.Key.Render("n") + st.Text.Render(" back")
		if repriced {
			lines = append(lines, st.Warning.Width(max(20, p.w)).Render(fmt.Sprintf(
				"The price changed from %s to %s while you were looking. Reserve at %s?",
				store.FormatCents(p.priceWas), store.FormatCents(o.SellCents), store.FormatCents(o.SellCents))))
			ask = st.Key.Render("y") + st.Text.Render(" reserve at "+store.FormatCents(o.SellCents)+"   ") +
				st.Key.Render("n") + st.Text.Render(" back")
		}
		lines = append(lines, ask)
	default:
		// Worked out on every render: a top-up in another window
		// lifts it at once.
		lines = append(lines, st.Key.Render("n")+st.Text.Render(" back"), "",
			st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.c.Explain(p.unaffordable()))+". "+topUpHint))
	}
	return lines
}

// operatorLine is the operator row of the confirmation: the one chosen,
// and how to choose one where the pair is sold by operator.
func (p *Pane) operatorLine() (string, bool) {
	st := p.c.Styles
	if p.offer.Operator != "" {
		return st.Text.Render(sanitize.Line(p.offer.Operator)) + st.Muted.Render("  o: another"), true
	}
	if len(p.ops) == 0 {
		return "", false
	}
	return st.Text.Render("any operator") + st.Muted.Render(fmt.Sprintf("  o: choose one of %d", len(p.ops))), true
}

func (p *Pane) operatorView() []string {
	st := p.c.Styles
	o := p.offer
	lines := []string{st.Title.Render(wording.Service(o.Service) + " · " + wording.FlagCountry(o.Country) +
		" · choose an operator"),
		st.Muted.Render("A service may take one operator's numbers and refuse another's."), "",
		st.Muted.Render(fmt.Sprintf("  %-*s %10s %7s", labelWidth, "OPERATOR", "PRICE", "STOCK"))}
	rows := p.operatorRows()
	visible := max(1, p.h-6)
	top := max(0, min(p.opCursor-visible/2, len(rows)-visible))
	for i := top; i < min(len(rows), top+visible); i++ {
		r := rows[i]
		marker, name := "  ", st.Text
		if i == p.opCursor {
			marker, name = st.Selected.Render("▸ "), st.Selected
		}
		lines = append(lines, marker+name.Width(labelWidth).Render(sanitize.Truncate(wording.Operator(r.Operator),
			labelWidth-1))+" "+st.Text.Render(fmt.Sprintf("%10s %7d", store.FormatCents(r.SellCents), r.Stock)))
	}
	return lines
}

func (p *Pane) reservedView() []string {
	st := p.c.Styles
	r := p.res
	head := "Your " + wording.Service(r.Service) + " number in " + wording.FlagCountry(r.Country)
	if r.Operator != "" {
		head += " (" + wording.Operator(r.Operator) + ")"
	}
	if r.Simulated {
		head += st.Sim.Render("  simulated")
	}
	lines := []string{st.Title.Render(head), "", "  " + st.Code.Render(sanitize.Line(r.Phone)), ""}
	now := p.st.Now()
	switch {
	case r.State.Open():
		left := "Open for " + kit.Clock(r.ExpiresAt.Sub(now))
		if wait := r.CancelAfter.Sub(now); wait > 0 && r.State == store.ResActive {
			left += " · can be cancelled in " + kit.GuardLeft(wait, false)
		}
		lines = append(lines, st.Text.Render(left))
	default:
		lines = append(lines, st.Muted.Render("Ended: "+wording.State(r.State, r.Refunded)))
	}
	if code := r.LatestCode(); code != "" {
		lines = append(lines, "", lipgloss.JoinHorizontal(lipgloss.Center, st.Label.Render("Code"), kit.BigCode(st, code)))
	} else if r.State == store.ResActive {
		lines = append(lines, st.Muted.Render("Waiting for the SMS: it appears here and in Inbox (press 2)."),
			st.Muted.Render("No SMS, no charge: the price comes back if none arrives in time."),
			st.Muted.Render("Banned or used at the service? Report it in Inbox (r): refunded at once."))
	}
	return lines
}
