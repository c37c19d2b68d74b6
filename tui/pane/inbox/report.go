package inbox

import (
	"errors"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// anotherOffer is another number of a reported number's pair, offered
// at once: y reserves it at its price, n lets it be. was is the price the
// person said yes to when the engine refused it as changed (0: none);
// none means no number of the pair is left.
type anotherOffer struct {
	offer provider.RoutedOffer
	was   int64
	none  bool
}

// reasonKey takes the reason of a report (b, u, s) or drops the question.
func (p *Pane) reasonKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	switch {
	case key.Matches(msg, k.ReportBanned):
		return p.report(store.ReportBanned)
	case key.Matches(msg, k.ReportUsed):
		return p.report(store.ReportUsed)
	case key.Matches(msg, k.ReportNoSMS):
		return p.report(store.ReportNoSMS)
	case key.Matches(msg, k.No), key.Matches(msg, k.Back):
		p.confirm = inboxNone
	}
	return nil
}

func (p *Pane) reasonLines() []string {
	st := p.c.Styles
	k := p.c.Keys
	q := fmt.Sprintf("Report %s as bad? You get %s back.", sanitize.Line(p.target.Phone),
		store.FormatCents(p.target.PriceCents))
	keys := ""
	for _, b := range []key.Binding{k.ReportBanned, k.ReportUsed, k.ReportNoSMS} {
		keys += st.Key.Render(b.Help().Key) + st.Text.Render(" "+b.Help().Desc+"  ")
	}
	return []string{"", st.Warning.Render(q), keys + st.Key.Render("esc") + st.Text.Render(" back")}
}

// report reports the number asked about, then looks up another of its
// pair to offer.
func (p *Pane) report(reason store.ReportReason) tea.Cmd {
	c, uid, r, n := p.c, p.c.UserID, p.target, p.eng
	p.busy = true
	return func() tea.Msg {
		ended, err := n.Report(c.Ctx, uid, r.ID, reason)
		if err != nil {
			return doneMsg{id: r.ID, err: err}
		}
		notice := fmt.Sprintf("Reported %s as %s: %s refunded.", sanitize.Line(r.Phone),
			wording.ReportReason(reason), store.FormatCents(r.PriceCents))
		if !ended.Refunded {
			notice = fmt.Sprintf("Reported %s as %s.", sanitize.Line(r.Phone), wording.ReportReason(reason))
		}
		another := &anotherOffer{none: true}
		if o, ok := n.Replacement(c.Ctx, ended); ok {
			another = &anotherOffer{offer: o}
		}
		another.offer.Service, another.offer.Country = r.Service, r.Country
		return doneMsg{id: r.ID, notice: notice, another: another}
	}
}

// anotherKey answers the offer of another number.
func (p *Pane) anotherKey(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	a := p.another
	switch {
	case key.Matches(msg, k.Yes) && !a.none && p.canAfford(a.offer.SellCents):
		return p.reserveAnother()
	case key.Matches(msg, k.No), key.Matches(msg, k.Back), a.none && key.Matches(msg, k.Yes):
		p.another, p.notice = nil, ""
	}
	return nil
}

func (p *Pane) canAfford(cents int64) bool {
	return store.CheckNoDebt(p.c.User.DebtCents) == nil && store.CheckAffordable(p.c.User.BalanceCents, cents) == nil
}

// reserveAnother reserves the number offered at its price; a price that
// changed meanwhile is looked up and offered again in place.
func (p *Pane) reserveAnother() tea.Cmd {
	c, uid, o, n := p.c, p.c.UserID, p.another.offer, p.eng
	p.busy = true
	return func() tea.Msg {
		r, err := n.ReservePick(c.Ctx, uid, o.Pick(), o.SellCents)
		switch {
		case errors.Is(err, engine.ErrPriceChanged):
			again := &anotherOffer{offer: o, was: o.SellCents, none: true}
			if q, ok := n.Quote(c.Ctx, o.Pick()); ok {
				again.offer, again.none = q, false
			}
			return doneMsg{another: again}
		case err != nil:
			return doneMsg{err: err}
		}
		return doneMsg{notice: fmt.Sprintf("Reserved %s for %s instead: its SMS appear here.",
			sanitize.Line(r.Phone), store.FormatCents(r.PriceCents)), reserved: r.ID}
	}
}

func (p *Pane) anotherLines() []string {
	st := p.c.Styles
	a := p.another
	var lines []string
	if p.notice != "" {
		lines = append(lines, "", st.Success.Render(p.notice))
	}
	pair := wording.Service(a.offer.Service) + " number in " + wording.FlagCountry(a.offer.Country)
	if a.offer.Operator != "" {
		pair += " (" + wording.Operator(a.offer.Operator) + ")"
	}
	switch {
	case a.none:
		return append(lines, "", st.Muted.Render("No other "+pair+" is left right now.")+"  "+
			st.Key.Render("n")+st.Text.Render(" ok"))
	case a.was > 0:
		lines = append(lines, "", st.Warning.Width(max(20, p.w)).Render(fmt.Sprintf(
			"The price changed from %s to %s meanwhile. Another %s for %s?", store.FormatCents(a.was),
			store.FormatCents(a.offer.SellCents), pair, store.FormatCents(a.offer.SellCents))))
	default:
		lines = append(lines, "", st.Warning.Width(max(20, p.w)).Render(fmt.Sprintf("Another %s for %s?", pair,
			store.FormatCents(a.offer.SellCents))))
	}
	if !p.canAfford(a.offer.SellCents) {
		return append(lines, st.Error.Render("Not enough credits for it: top up in Wallet.")+"  "+
			st.Key.Render("n")+st.Text.Render(" ok"))
	}
	return append(lines, st.Key.Render("y")+st.Text.Render(" reserve it   ")+st.Key.Render("n")+
		st.Text.Render(" not now"))
}

func (p *Pane) anotherHelp() []key.Binding {
	k := p.c.Keys
	if p.another.none || !p.canAfford(p.another.offer.SellCents) {
		return []key.Binding{k.No}
	}
	return []key.Binding{k.Yes, k.No}
}
