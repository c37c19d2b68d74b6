package inbox

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// drawn keeps the parts of the Inbox as last drawn. Most frames change
// one row (a countdown's second, a state) or add an SMS; the rows, the
// code and the messages that did not change are drawn once, not at every
// frame of every session.
type drawn struct {
	title    kit.Memo[int] // the count of open numbers
	rows     []kit.Memo[rowKey]
	head     kit.Memo[headKey]
	waiting  kit.Memo[waitingKey]
	messages kit.Memo[messagesKey]
}

// rowKey is all one row of the list is drawn from.
type rowKey struct {
	text      string
	selected  bool
	simulated bool
}

// headKey is what the selected number's heading and code are drawn from:
// a reservation's phone, service and country never change.
type headKey struct {
	id   int64
	code string
}

type waitingKey struct {
	text  string
	width int
}

// messagesKey is what the selected number's messages are drawn from: a
// reservation's messages are only ever added to.
type messagesKey struct {
	id, newest  int64
	count, room int
	width       int
}

func (p *Pane) View() string {
	st := p.c.Styles
	if !p.loaded {
		return st.Title.Render("Inbox")
	}
	if len(p.open) == 0 {
		lines := []string{st.Title.Render("Inbox"), "",
			st.Muted.Render("No open numbers. Reserve one in Numbers (press 1): its SMS appear here.")}
		return kit.Rows(append(lines, p.status()...)...)
	}
	lines := []string{p.drawn.title.Get(len(p.open), p.drawTitle)}
	listRows := min(len(p.open), max(2, p.h/4))
	top := max(0, min(p.cursor-listRows/2, len(p.open)-listRows))
	if len(p.drawn.rows) != listRows {
		p.drawn.rows = make([]kit.Memo[rowKey], listRows)
	}
	now := p.st.Now()
	for i := top; i < top+listRows; i++ {
		r := p.open[i]
		k := rowKey{text: fmt.Sprintf("%-18s %-14s %-10s %6s", sanitize.Truncate(sanitize.Line(r.Phone), 18),
			sanitize.Truncate(wording.Service(r.Service), 14), wording.State(r.State, r.Refunded), kit.Clock(r.ExpiresAt.Sub(now))),
			selected: i == p.cursor, simulated: r.Simulated}
		lines = append(lines, p.drawn.rows[i-top].Get(k, func() string { return p.drawRow(k) }))
	}
	lines = append(lines, "")
	lines = append(lines, p.detail(p.open[p.cursor])...)
	return kit.Rows(append(lines, p.status()...)...)
}

// drawTitle is the list's title and column headings.
func (p *Pane) drawTitle() string {
	st := p.c.Styles
	return st.Title.Render(fmt.Sprintf("Inbox · %d open", len(p.open))) + "\n" +
		st.Muted.Render(fmt.Sprintf("  %-18s %-14s %-10s %6s", "NUMBER", "SERVICE", "STATE", "LEFT"))
}

func (p *Pane) drawRow(k rowKey) string {
	st := p.c.Styles
	marker, style := "  ", st.Text
	if k.selected {
		marker, style = st.Selected.Render("▸ "), st.Selected
	}
	sim := ""
	if k.simulated {
		sim = st.Sim.Render(" simulated")
	}
	return marker + style.Render(k.text) + sim
}

// detail is the selected number: its code large and its messages.
func (p *Pane) detail(r store.Reservation) []string {
	st := p.c.Styles
	code := r.LatestCode()
	lines := []string{p.drawn.head.Get(headKey{id: r.ID, code: code}, func() string {
		head := st.Subtitle.Render(sanitize.Line(r.Phone) + " · " + wording.Service(r.Service) + " · " + wording.FlagCountry(r.Country))
		if code == "" {
			return head
		}
		return head + "\n" + kit.BigCode(st, code)
	})}
	if code == "" {
		waiting := "Waiting for the SMS… it shows here by itself."
		if wait := r.CancelAfter.Sub(p.st.Now()); wait > 0 && r.State == store.ResActive {
			waiting += " Can be cancelled in " + kit.GuardLeft(wait, p.showsRefusal(r)) + "."
		}
		k := waitingKey{text: waiting, width: max(20, p.w)}
		lines = append(lines, p.drawn.waiting.Get(k, func() string { return st.Muted.Width(k.width).Render(k.text) }))
	}
	// The rows above the messages, the code's box counted as one.
	above := 2
	if code == "" {
		above = 2 + strings.Count(lines[1], "\n")
	}
	room := max(1, p.h-above-8-min(len(p.open), max(2, p.h/4)))
	if len(r.Messages) > 0 {
		k := messagesKey{id: r.ID, newest: r.Messages[len(r.Messages)-1].ID, count: len(r.Messages), room: room, width: max(20, p.w)}
		lines = append(lines, p.drawn.messages.Get(k, func() string { return p.drawMessages(r.Messages, k) }))
	}
	return lines
}

// drawMessages is the last k.room of msgs, the newest whole.
func (p *Pane) drawMessages(msgs []store.Message, k messagesKey) string {
	st := p.c.Styles
	if len(msgs) > k.room {
		msgs = msgs[len(msgs)-k.room:]
	}
	var lines []string
	for i, m := range msgs {
		from := ""
		if m.Sender != "" {
			from = sanitize.Truncate(sanitize.Line(m.Sender), 16) + ": "
		}
		text := m.ReceivedAt.UTC().Format("15:04:05") + " " + from + sanitize.Line(m.Body)
		if i < len(msgs)-1 {
			lines = append(lines, st.Muted.Render(sanitize.Truncate(text, k.width)))
			continue
		}
		// The newest message is shown whole (a code may hide in a link).
		wrapped := strings.Split(lipgloss.NewStyle().Width(k.width).Render(text), "\n")
		if len(wrapped) > newestMessageLines {
			wrapped = append(wrapped[:newestMessageLines-1], sanitize.Truncate(strings.Join(wrapped[newestMessageLines-1:], " "), k.width))
		}
		for _, l := range wrapped {
			lines = append(lines, st.Text.Render(l))
		}
	}
	return kit.Rows(lines...)
}

// newestMessageLines bounds how many rows the newest SMS may take: an SMS
// is at most a few hundred characters; more would push the list away.
const newestMessageLines = 4

func (p *Pane) status() []string {
	st := p.c.Styles
	if p.another != nil && !p.busy {
		return p.anotherLines()
	}
	if p.confirm == inboxReport {
		return p.reasonLines()
	}
	if p.confirm != inboxNone {
		r := p.target
		q := map[inboxAction]string{
			inboxCancel: fmt.Sprintf("Cancel %s? You get %s back.", r.Phone, store.FormatCents(r.PriceCents)),
			inboxFinish: fmt.Sprintf("Finish %s? No more SMS will arrive on it.", r.Phone),
			inboxAgain:  fmt.Sprintf("Ask for another SMS on %s? It is free.", r.Phone),
		}[p.confirm]
		return []string{"", st.Warning.Render(sanitize.Line(q)) + "  " + st.Key.Render("y") + st.Text.Render(" yes  ") +
			st.Key.Render("n") + st.Text.Render(" no")}
	}
	errLine := func(text string) []string {
		return []string{"", st.Error.Width(max(20, p.w)).Render(kit.Sentence(text))}
	}
	r, ok := p.current()
	switch {
	case p.busy:
		return []string{"", st.Muted.Render("Working…")}
	case p.loadErr != "":
		return errLine(p.loadErr)
	case ok && p.showsRefusal(r):
		return errLine(p.refusalText(p.refusal.action, r))
	case p.failure != nil && p.failure.id == 0:
		return errLine(p.failure.text)
	case ok && p.failure != nil && p.failure.id == r.ID && (p.failure.stamp == "" || p.failure.stamp == stamp(r)):
		return errLine(p.failure.text)
	case p.notice != "":
		return []string{"", st.Success.Render(p.notice)}
	}
	return nil
}
