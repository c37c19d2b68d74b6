package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// historyPageSize is how many past numbers a page lists: with the chosen
// one's messages below, a page fits 80×24.
const historyPageSize = 8

// history is the History pane: past numbers, newest first, paginated and
// filterable by text.
type history struct {
	c       *Common
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

type historyLoadedMsg struct {
	page int
	rows []store.Reservation
	more bool
	err  error
}

func newHistory(c *Common) *history { return &history{c: c} }

// editFilter makes the filter's field, which exists only while it is
// edited: a text input is some 4 KB, times every session.
func (p *history) editFilter() tea.Cmd {
	in := textinput.New()
	in.Prompt, in.CharLimit, in.Placeholder = "", 40, "service, country, number, code…"
	in.Cursor.Style, in.PlaceholderStyle = p.c.Styles.FocusedIn, p.c.Styles.Muted
	in.Width = p.inputWidth()
	in.SetValue(p.filter)
	p.input, p.editing = &in, true
	return p.input.Focus()
}

func (p *history) inputWidth() int { return max(10, min(40, p.w-20)) }

func (p *history) Title() string { return "History" }
func (p *history) Init() tea.Cmd { return nil }
func (p *history) SetSize(w, h int) {
	p.w, p.h = w, h
	if p.input != nil {
		p.input.Width = p.inputWidth()
	}
}
func (p *history) Capturing() bool { return p.editing }

func (p *history) load() tea.Cmd {
	c, uid, page, text := p.c, p.c.UserID, p.page, strings.TrimSpace(p.filter)
	q := store.HistoryQuery{Text: text, Offset: page * historyPageSize, Limit: historyPageSize}
	if text != "" {
		q.Services, q.Countries = namedCodes(text)
	}
	return func() tea.Msg {
		rows, more, err := c.Deps.Store.History(c.Ctx, uid, q)
		return historyLoadedMsg{page: page, rows: rows, more: more, err: err}
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

func (p *history) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case historyLoadedMsg:
		if msg.err != nil {
			p.err = p.c.explain(msg.err)
			return p, nil
		}
		if msg.page == p.page {
			p.rows, p.more, p.loaded, p.err = msg.rows, msg.more, true, ""
			p.cursor = min(p.cursor, max(0, len(p.rows)-1))
		}
	case eventMsg:
		// A number that ends joins the history.
		if p.loaded && (msg.missed || msg.event.Kind == store.EventReservation) {
			return p, p.load()
		}
	case paneActivatedMsg:
		return p, p.load()
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, nil
}

func (p *history) key(msg tea.KeyMsg) tea.Cmd {
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

func (p *history) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.editing {
		apply := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply"))
		return []key.Binding{apply, k.Back}
	}
	return []key.Binding{k.Filter, k.PageDown, k.PageUp}
}

func (p *history) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{{k.Up, k.Down}, p.ShortHelp()}
}

func (p *history) View() string {
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
		return lipgloss.JoinVertical(lipgloss.Left, append(lines, st.Error.Render(sentence(p.err)))...)
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

func (p *history) rowView(i int, r store.Reservation) string {
	st := p.c.Styles
	marker, style := "  ", st.Text
	if i == p.cursor {
		marker, style = st.Selected.Render("▸ "), st.Selected
	}
	flag := ""
	if c, ok := provider.LookupCountry(r.Country); ok {
		flag = c.Flag()
	}
	state := stateLabel(r)
	stateStyle := st.Text
	if r.Refunded {
		stateStyle = st.Success
	}
	return marker + style.Render(fmt.Sprintf("%-10s %-11s ", r.CreatedAt.UTC().Format("2006-01-02"),
		sanitize.Truncate(serviceName(r.Service), 11))) + lipgloss.NewStyle().Width(4).Render(flag) +
		style.Render(fmt.Sprintf("%-15s %6s  ", sanitize.Truncate(sanitize.Line(r.Phone), 15), store.FormatCents(r.PriceCents))) +
		stateStyle.Render(state)
}

// detail lists the chosen number's messages.
func (p *history) detail(r store.Reservation) []string {
	st := p.c.Styles
	head := countryName(r.Country) + " · " + r.CreatedAt.UTC().Format("2 Jan 2006 15:04")
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
