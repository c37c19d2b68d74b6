package rentals

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// listRows is how many rentals the list shows at once: a quarter of the
// pane, so the chosen one's SMS have room.
func (p *Pane) listRows() int { return min(len(p.open), max(2, p.h/4)) }

// smsRows is how many SMS of the chosen rental fit under the list.
func (p *Pane) smsRows() int {
	rows := p.h - p.listRows() - 7 // title, header, blank, detail lines, status
	if r, ok := p.current(); ok && r.LatestCode() != "" {
		rows -= 3 // the code box
	}
	return max(1, rows)
}

func (p *Pane) View() string {
	st := p.c.Styles
	if !p.loaded {
		return st.Title.Render("Rentals")
	}
	var lines []string
	switch p.mode {
	case modeService, modeCountry:
		lines = p.pickView()
	case modeRent, modeExtend:
		lines = p.periodView()
	default:
		lines = p.listView()
	}
	return lipgloss.JoinVertical(lipgloss.Left, append(lines, p.status()...)...)
}

func (p *Pane) listView() []string {
	st := p.c.Styles
	if len(p.open) == 0 {
		return []string{st.Title.Render("Rentals"), "", st.Muted.Width(max(20, p.w)).Render(
			"No active rental. Press r to rent a number for 1, 7, 14 or 30 days: every SMS sent to it shows " +
				"here until it ends.")}
	}
	lines := []string{st.Title.Render(fmt.Sprintf("Rentals · %d active", len(p.open))),
		st.Muted.Render(fmt.Sprintf("  %-18s %-14s %-16s %3s %9s", "NUMBER", "SERVICE", "COUNTRY", "SMS", "LEFT"))}
	rows := p.listRows()
	top := max(0, min(p.cursor-rows/2, len(p.open)-rows))
	now := p.st.Now()
	for i := top; i < top+rows; i++ {
		r := p.open[i]
		marker, style := "  ", st.Text
		if i == p.cursor {
			marker, style = st.Selected.Render("▸ "), st.Selected
		}
		row := fmt.Sprintf("%-18s %-14s %-16s %3d %9s", sanitize.Truncate(sanitize.Line(r.Phone), 18),
			sanitize.Truncate(wording.Service(r.Service), 14), sanitize.Truncate(wording.Country(r.Country), 16),
			len(r.Messages), kit.LongClock(r.EndsAt.Sub(now)))
		tail := ""
		switch {
		case r.Noticed():
			tail = st.Warning.Render(" ends soon")
		case r.Simulated:
			tail = st.Sim.Render(" simulated")
		}
		lines = append(lines, marker+style.Render(row)+tail)
	}
	lines = append(lines, "")
	return append(lines, p.detail(p.open[p.cursor])...)
}

// detail is the chosen rental: what it is, its end and cancel window, its
// newest code large and its SMS (pgup/pgdn page through older ones).
func (p *Pane) detail(r store.Rental) []string {
	st := p.c.Styles
	now := p.st.Now()
	lines := []string{st.Subtitle.Render(sanitize.Line(r.Phone) + " · " + wording.Service(r.Service) + " · " +
		wording.FlagCountry(r.Country) + " · " + ref(r))}
	facts := fmt.Sprintf("Ends %s UTC · %s paid for %s", kit.When(r.EndsAt), store.FormatCents(r.PaidCents()),
		dayWord(r.TotalDays()))
	if r.CheckCancel(now) == nil {
		facts += fmt.Sprintf(" · cancel until %s for a full refund", r.CancelUntil.UTC().Format("15:04"))
	}
	lines = append(lines, st.Muted.Width(max(20, p.w)).Render(facts))
	if r.Noticed() {
		lines = append(lines, st.Warning.Render("It ends in "+kit.LongClock(r.EndsAt.Sub(now))+": press e to keep it longer."))
	}
	if code := r.LatestCode(); code != "" {
		lines = append(lines, kit.BigCode(st, code))
	}
	if len(r.Messages) == 0 {
		return append(lines, st.Muted.Render("No SMS yet: they show here as they come."))
	}
	room := p.smsRows()
	end := len(r.Messages) - min(p.scroll, len(r.Messages)-1)
	start := max(0, end-room)
	if start > 0 {
		room-- // the line saying more are above
		start = max(0, end-room)
		lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d older SMS (pgup)", start)))
	}
	for _, m := range r.Messages[start:end] {
		from := ""
		if m.Sender != "" {
			from = sanitize.Truncate(sanitize.Line(m.Sender), 16) + ": "
		}
		text := m.ReceivedAt.UTC().Format("01-02 15:04") + " " + from + sanitize.Line(m.Body)
		lines = append(lines, st.Text.Render(sanitize.Truncate(text, max(20, p.w))))
	}
	if end < len(r.Messages) {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("… %d newer SMS (pgdn)", len(r.Messages)-end)))
	}
	return lines
}

func (p *Pane) pickView() []string {
	st := p.c.Styles
	title := "Rentals · rent a number · choose a service"
	if p.mode == modeCountry {
		title = "Rentals · rent a " + wording.Service(p.service) + " number · choose a country"
	}
	filter := st.Muted.Render("Type to filter")
	if p.filter != "" {
		filter = st.Text.Render("Filter: " + sanitize.Line(p.filter) + "▏")
	}
	lines := []string{st.Title.Render(title), filter, ""}
	rows := max(3, p.h-6)
	top := max(0, min(p.pick-rows/2, len(p.rows)-rows))
	for i := top; i < min(len(p.rows), top+rows); i++ {
		if i == p.pick {
			lines = append(lines, st.Selected.Render("▸ "+p.rows[i].label))
		} else {
			lines = append(lines, st.Text.Render("  "+p.rows[i].label))
		}
	}
	if len(p.rows) == 0 {
		lines = append(lines, st.Muted.Render("Nothing matches: esc clears the filter."))
	}
	return lines
}

// periodView is the days to choose, the price of the day and the balance
// after it, and what the person agrees to.
func (p *Pane) periodView() []string {
	st := p.c.Styles
	var lines []string
	if p.mode == modeExtend {
		r := p.target
		lines = append(lines, st.Title.Render("Rentals · extend "+ref(r)), "",
			st.Subtitle.Render(sanitize.Line(r.Phone)+" · "+wording.Service(r.Service)+" · "+wording.FlagCountry(r.Country)),
			st.Muted.Render("Ends "+kit.When(r.EndsAt)+" UTC; extended, it ends "+
				kit.When(r.EndsAt.Add(p.newDays()))+" UTC."))
	} else {
		lines = append(lines, st.Title.Render("Rentals · rent a number"), "",
			st.Subtitle.Render(wording.Service(p.service)+" · "+wording.FlagCountry(p.country)))
	}
	lines = append(lines, "", st.Text.Render("Days:    ")+p.daysChoice())
	balance := p.c.User.BalanceCents
	switch {
	case p.quote.loading:
		lines = append(lines, st.Text.Render("Price:   ")+st.Muted.Render("asking the provider…"))
	case p.quote.err != nil:
		lines = append(lines, st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.c.Explain(p.quote.err))+"."))
	default:
		price := st.Strong.Render(store.FormatCents(p.quote.cents))
		if p.quote.sim {
			price += st.Sim.Render(" simulated")
		}
		lines = append(lines, st.Text.Render("Price:   ")+price,
			st.Text.Render("Balance: ")+st.Text.Render(store.FormatCents(balance)+" → "+
				store.FormatCents(balance-p.quote.cents)))
	}
	lines = append(lines, "")
	var terms string
	if p.mode == modeExtend {
		terms = "Paid now. An extended rental can no longer be cancelled; if the provider refuses the extension, " +
			"the price comes back at once."
	} else {
		terms = "It receives every SMS sent to it for " + dayWord(p.period()) + ". "
		if p.quote.window > 0 {
			terms += "Cancel within " + store.FormatPeriod(p.quote.window) + " for a full refund if no SMS came; after " +
				"that it is paid. "
		} else {
			terms += "Its provider takes no rental back: it cannot be cancelled. "
		}
		terms += "A notice comes before it ends."
	}
	lines = append(lines, strings.Split(st.Muted.Width(max(20, p.w)).Render(terms), "\n")...)
	if err := p.ready(); err != nil && !p.quote.loading && p.quote.err == nil {
		lines = append(lines, "", st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.c.Explain(err))+". To top "+
			"up, open Wallet (press the Wallet tab number)."))
	}
	return lines
}

// newDays is what the chosen extension adds.
func (p *Pane) newDays() time.Duration {
	if p.eng == nil {
		return 0
	}
	return time.Duration(p.period()) * p.eng.RentalDay()
}

// daysChoice shows the periods with the chosen one marked.
func (p *Pane) daysChoice() string {
	st := p.c.Styles
	var parts []string
	for i, d := range store.RentalDays {
		if i == p.days {
			parts = append(parts, st.Selected.Render(fmt.Sprintf("[%d]", d)))
		} else {
			parts = append(parts, st.Text.Render(fmt.Sprintf(" %d ", d)))
		}
	}
	return strings.Join(parts, " ") + st.Muted.Render("  ←/→")
}

// status is the question, or what just happened.
func (p *Pane) status() []string {
	st := p.c.Styles
	switch {
	case p.cancel.Asking():
		r := p.cancel.About()
		q := fmt.Sprintf("Cancel %s (%s)? You get %s back.", ref(r), sanitize.Line(r.Phone),
			store.FormatCents(r.PaidCents()))
		return []string{"", st.Warning.Render(q) + "  " + st.Key.Render("y") + st.Text.Render(" yes  ") +
			st.Key.Render("n") + st.Text.Render(" no")}
	case p.busy:
		return []string{"", st.Muted.Render("Working…")}
	case p.loadErr != "":
		return []string{"", st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.loadErr))}
	case p.failure != "":
		return []string{"", st.Error.Width(max(20, p.w)).Render(kit.Sentence(p.failure))}
	case p.notice != "":
		return []string{"", st.Success.Width(max(20, p.w)).Render(p.notice)}
	}
	return nil
}
