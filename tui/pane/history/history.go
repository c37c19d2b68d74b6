// Package history is the History pane: the numbers that ended, newest
// first, a page at a time, filterable by service, country, number or
// code, with the chosen one's messages.
//
// May import from this repository: provider, store, tui/kit,
// tui/sanitize, tui/wording.
package history

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// Store is what the History pane reads from the store.
type Store interface {
	History(ctx context.Context, userID int64, q store.HistoryQuery) ([]store.Reservation, bool, error)
}

// historyPageSize is how many past numbers a page lists: with the chosen
// one's messages below, a page fits 80×24.
const historyPageSize = 8

// Pane is the History pane: past numbers, newest first, paginated and
// filterable by text.
type Pane struct {
	c       *kit.Common
	st      Store
	w, h    int
	rows    []store.Reservation
	more    bool
	page    int
	cursor  int
	loaded  bool
	filter  string
	input   *textinput.Model // only while the filter is edited
	editing bool
	err     string
}

type loadedMsg struct {
	page int
	rows []store.Reservation
	more bool
	err  error
}

// New makes the pane.
func New(c *kit.Common, st Store) *Pane { return &Pane{c: c, st: st} }

// editFilter makes the filter's field, which exists only while it is
// edited: a text input is some 4 KB, times every session.
func (p *Pane) editFilter() tea.Cmd {
	in := textinput.New()
	in.Prompt, in.CharLimit, in.Placeholder = "", 40, "service, country, number, code…"
	in.Cursor.Style, in.PlaceholderStyle = p.c.Styles.FocusedIn, p.c.Styles.Muted
	in.Width = p.inputWidth()
	in.SetValue(p.filter)
	p.input, p.editing = &in, true
	return p.input.Focus()
}

func (p *Pane) inputWidth() int { return max(10, min(40, p.w-20)) }

func (p *Pane) Title() string { return "History" }
func (p *Pane) Init() tea.Cmd { return nil }
func (p *Pane) SetSize(w, h int) {
	p.w, p.h = w, h
	if p.input != nil {
		p.input.Width = p.inputWidth()
	}
}
func (p *Pane) Capturing() bool { return p.editing }

func (p *Pane) load() tea.Cmd {
	c, st, uid, page, text := p.c, p.st, p.c.UserID, p.page, strings.TrimSpace(p.filter)
	q := store.HistoryQuery{Text: text, Offset: page * historyPageSize, Limit: historyPageSize}
	if text != "" {
		q.Services, q.Countries = namedCodes(text)
	}
	return func() tea.Msg {
		rows, more, err := st.History(c.Ctx, uid, q)
		return loadedMsg{page: page, rows: rows, more: more, err: err}
	}
}

// namedCodes are the services and countries whose names contain text, so
// "germ" finds numbers from Germany.
func namedCodes(text string) (services, countries []string) {
	t := strings.ToLower(text)
	for _, s := range provider.Services() {
		if strings.Contains(strings.ToLower(s.Name), t) {
			services = append(services, s.Code)
		}
	}
	for _, c := range provider.Countries() {
		if strings.Contains(strings.ToLower(c.Name), t) {
			countries = append(countries, c.Code)
		}
	}
	return services, countries
}

func (p *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			p.err = p.c.Explain(msg.err)
			return p, nil
		}
		if msg.page == p.page {
			p.rows, p.more, p.loaded, p.err = msg.rows, msg.more, true, ""
			p.cursor = min(p.cursor, max(0, len(p.rows)-1))
		}
	case kit.EventMsg:
		// A number that ends joins the history.
		if p.loaded && (msg.Missed || msg.Event.Kind == store.EventReservation) {
			return p, p.load()
		}
	case kit.ActivatedMsg:
		return p, p.load()
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func (p *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	if p.editing {
		switch msg.Type {
		case tea.KeyEnter:
			p.editing, p.filter, p.page, p.cursor, p.input = false, p.input.Value(), 0, 0, nil
			return p.load()
		case tea.KeyEsc:
			p.editing, p.input = false, nil
			return nil
		}
		in, cmd := p.input.Update(msg)
		p.input = &in
		return cmd
	}
	switch {
	case key.Matches(msg, k.Filter):
		return p.editFilter()
	case key.Matches(msg, k.Back) && p.filter != "":
		p.filter, p.page, p.cursor = "", 0, 0
		return p.load()
	case key.Matches(msg, k.Up):
		p.cursor = max(0, p.cursor-1)
	case key.Matches(msg, k.Down):
		p.cursor = min(max(0, len(p.rows)-1), p.cursor+1)
	case key.Matches(msg, k.PageDown) && p.more:
		p.page, p.cursor = p.page+1, 0
		return p.load()
	case key.Matches(msg, k.PageUp) && p.page > 0:
		p.page, p.cursor = p.page-1, 0
		return p.load()
	}
	return nil
}

func (p *Pane) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.editing {
		apply := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply"))
		return []key.Binding{apply, k.Back}
	}
	return []key.Binding{k.Filter, k.PageDown, k.PageUp}
}

func (p *Pane) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down}, p.ShortHelp()}
}

func (p *Pane) View() string {
	st := p.c.Styles
	head := st.Title.Render("History")
	if p.loaded {
		head += st.Muted.Render(fmt.Sprintf(" · page %d", p.page+1))
	}
	filter := st.Muted.Render("/ to filter")
	switch {
	case p.editing:
		filter = st.Label.Render("Filter") + p.input.View()
	case p.filter != "":
		filter = st.Label.Render("Filter") + st.Text.Render(sanitize.Line(p.filter)) + st.Muted.Render("  esc clears")
	}
	lines := []string{head, filter, ""}
	if p.err != "" {
		return lipgloss.JoinVertical(lipgloss.Left, append(lines, st.Error.Render(kit.Sentence(p.err)))...)
	}
	if len(p.rows) == 0 {
		msg := "Nothing yet: numbers you reserved show here once they end (kept for a year)."
		if p.filter != "" {
			msg = "Nothing matches."
		}
		return lipgloss.JoinVertical(lipgloss.Left, append(lines, st.Muted.Render(msg))...)
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-10s %-11s %-3s %-15s %6s  %s",
		"DATE", "SERVICE", "", "NUMBER", "PRICE", "STATE")))
	for i, r := range p.rows {
		lines = append(lines, p.rowView(i, r))
	}
	more := ""
	if p.more {
		more = "pgdn: older"
	}
	if p.page > 0 {
		more = strings.TrimPrefix(more+" · pgup: newer", " · ")
	}
	lines = append(lines, st.Muted.Render("  "+more), "")
	return lipgloss.JoinVertical(lipgloss.Left, append(lines, p.detail(p.rows[p.cursor])...)...)
}

func (p *Pane) rowView(i int, r store.Reservation) string {
	st := p.c.Styles
	marker, style := "  ", st.Text
	if i == p.cursor {
		marker, style = st.Selected.Render("▸ "), st.Selected
	}
	flag := ""
	if c, ok := provider.LookupCountry(r.Country); ok {
		flag = c.Flag()
	}
	state := wording.State(r.State, r.Refunded)
	stateStyle := st.Text
	if r.Refunded {
		stateStyle = st.Success
	}
	return marker + style.Render(fmt.Sprintf("%-10s %-11s ", r.CreatedAt.UTC().Format("2006-01-02"),
		sanitize.Truncate(wording.Service(r.Service), 11))) + lipgloss.NewStyle().Width(4).Render(flag) +
		style.Render(fmt.Sprintf("%-15s %6s  ", sanitize.Truncate(sanitize.Line(r.Phone), 15), store.FormatCents(r.PriceCents))) +
		stateStyle.Render(state)
}

// detail lists the chosen number's messages.
func (p *Pane) detail(r store.Reservation) []string {
	st := p.c.Styles
	head := wording.FlagCountry(r.Country) + " · " + r.CreatedAt.UTC().Format("2 Jan 2006 15:04")
	if r.Simulated {
		head += st.Sim.Render("  simulated")
	}
	lines := []string{st.Subtitle.Render(head)}
	if len(r.Messages) == 0 {
		return append(lines, st.Muted.Render("No SMS arrived."))
	}
	room := max(1, p.h-historyPageSize-9)
	msgs := r.Messages
	if len(msgs) > room {
		msgs = msgs[len(msgs)-room:]
	}
	for _, m := range msgs {
		code := ""
		if m.Code != "" {
			code = st.Strong.Render(sanitize.Line(m.Code)) + "  "
		}
		text := m.ReceivedAt.UTC().Format("15:04") + " " + sanitize.Line(m.Body)
		lines = append(lines, code+st.Text.Render(sanitize.Truncate(text, max(20, p.w-lipgloss.Width(code)))))
	}
	return lines
}
