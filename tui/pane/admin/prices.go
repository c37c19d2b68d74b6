package admin

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Admin pane's Prices section: per service and country on sale, the
// cheapest provider's cost, the markup in force and the sell price. m sets
// a markup override for a service, a country or a pair; x removes the one
// that prices the selected row. Overrides apply to new reservations only:
// a number sold keeps its price.

type adminPrices struct {
	c         *env
	rows      []engine.PriceRow
	overrides []store.PriceOverride
	filter    string
	cur       kit.ListCursor
	shown     int
	form      *kit.Form
	formKind  int                               // pricesFilter or pricesMarkup
	confirm   kit.Question[store.PriceOverride] // remove this override?
	st        kit.Status
}

const (
	pricesFilter = iota + 1
	pricesMarkup
)

type adminPricesMsg struct {
	rows      []engine.PriceRow
	overrides []store.PriceOverride
	err       error
}

func newAdminPrices(c *env) *adminPrices { return &adminPrices{c: c} }

func (p *adminPrices) title() string { return "Prices" }

func (p *adminPrices) capturing() bool { return p.form != nil }

func (p *adminPrices) deep() bool { return p.form != nil || p.confirm.Asking() }

func (p *adminPrices) load() tea.Cmd {
	ops := p.c.ops
	if ops == nil {
		p.st.Err = "No provider engine runs in this server."
		return nil
	}
	c, a := p.c, p.c.Actor()
	p.st.Busy = true
	return func() tea.Msg {
		rows, o, err := ops.PriceList(c.Ctx, a)
		return adminPricesMsg{rows: rows, overrides: o, err: err}
	}
}

// visible is the rows the filter keeps.
func (p *adminPrices) visible() []engine.PriceRow {
	if p.filter == "" {
		return p.rows
	}
	var out []engine.PriceRow
	for _, r := range p.rows {
		if strings.Contains(r.Service, p.filter) || r.Country == p.filter || strings.Contains(r.Provider, p.filter) {
			out = append(out, r)
		}
	}
	return out
}

func (p *adminPrices) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminPricesMsg:
		p.st.Busy = false
		if msg.err != nil {
			p.st.Err = p.c.Explain(msg.err)
			return nil
		}
		p.rows, p.overrides = msg.rows, msg.overrides
		p.cur.Clamp(len(p.visible()))
	case adminDoneMsg:
		if msg.to != p {
			return nil
		}
		p.st.Busy = false
		if msg.err != nil {
			p.st.Err = p.c.Explain(msg.err)
			return nil
		}
		p.form, p.st.Notice = nil, msg.notice
		return p.load()
	case tea.KeyMsg:
		if p.st.Busy {
			return nil
		}
		return p.key(msg)
	}
	return nil
}

func (p *adminPrices) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	switch {
	case p.confirm.Asking():
		o := p.confirm.About()
		if p.confirm.Answer(k, msg) {
			return p.clear(o)
		}
		return nil
	case p.form != nil:
		if key.Matches(msg, k.Back) {
			p.form = nil
			p.st.Clear()
			return nil
		}
		submit, cmd := p.form.Update(msg)
		if submit {
			return p.submit()
		}
		return cmd
	}
	p.st.Clear()
	vis := p.visible()
	switch {
	case p.cur.Key(k, msg, len(vis), p.shown):
	case key.Matches(msg, k.AdminSearch):
		p.openForm(pricesFilter, kit.Field{Label: "Filter", Limit: 32, Hint: "a service, country or provider code"})
		p.form.SetValue(0, p.filter)
	case key.Matches(msg, k.Back) && p.filter != "":
		p.filter, p.cur = "", kit.ListCursor{}
	case key.Matches(msg, k.AdminMarkup):
		p.openForm(pricesMarkup, kit.Field{Label: "Service", Limit: 32, Hint: "a code, or empty for every service"},
			kit.Field{Label: "Country", Limit: 8, Hint: "a code, or empty for every country"},
			kit.Field{Label: "Markup ×", Limit: 8, Hint: "e.g. 1.8 (1 sells at cost)"})
		if len(vis) > 0 {
			r := vis[p.cur.At]
			p.form.SetValue(0, r.Service)
			p.form.SetValue(2, strings.TrimPrefix(store.FormatMarkup(int64(r.Markup)), "×"))
		}
	case key.Matches(msg, k.AdminClear) && len(vis) > 0:
		if o, ok := p.overrideOf(vis[p.cur.At]); ok {
			p.confirm.Ask(o)
		} else {
			p.st.Err = "No override prices this row: it sells at the configured markup."
		}
	case key.Matches(msg, k.AdminRefresh):
		return p.load()
	}
	return nil
}

func (p *adminPrices) openForm(kind int, specs ...kit.Field) {
	p.formKind, p.form = kind, kit.NewForm(p.c.Common, specs...)
	p.form.SetWidth(adminFormWidth)
}

// overrideOf is the override that prices a row: pair, then service, then
// country, as the router applies them.
func (p *adminPrices) overrideOf(r engine.PriceRow) (store.PriceOverride, bool) {
	for _, want := range [][2]string{{r.Service, r.Country}, {r.Service, ""}, {"", r.Country}} {
		for _, o := range p.overrides {
			if o.Service == want[0] && o.Country == want[1] {
				return o, true
			}
		}
	}
	return store.PriceOverride{}, false
}

func (p *adminPrices) submit() tea.Cmd {
	if p.formKind == pricesFilter {
		p.filter, p.form, p.cur = strings.ToLower(strings.TrimSpace(p.form.Value(0))), nil, kit.ListCursor{}
		return nil
	}
	m, err := parseMarkup(p.form.Value(2))
	if err != nil {
		p.st.Err = p.c.Explain(err)
		return nil
	}
	service := strings.ToLower(strings.TrimSpace(p.form.Value(0)))
	country := strings.ToLower(strings.TrimSpace(p.form.Value(1)))
	c, a, ops := p.c, p.c.Actor(), p.c.ops
	p.st.Busy = true
	return adminRun(p, func() (string, error) {
		return fmt.Sprintf("%s now sells at %s for new numbers.", scopeLabel(service, country),
			store.FormatMarkup(int64(m))), ops.SetMarkup(c.Ctx, a, service, country, m)
	})
}

func (p *adminPrices) clear(o store.PriceOverride) tea.Cmd {
	c, a, ops := p.c, p.c.Actor(), p.c.ops
	p.st.Busy = true
	return adminRun(p, func() (string, error) {
		return fmt.Sprintf("Override of %s removed.", scopeLabel(o.Service, o.Country)),
			ops.ClearMarkup(c.Ctx, a, o.Service, o.Country)
	})
}

// scopeLabel names what an override covers, in words.
func scopeLabel(service, country string) string {
	switch {
	case country == "":
		return service + " in every country"
	case service == "":
		return "every service in " + country
	}
	return service + " in " + country
}

func (p *adminPrices) help() []key.Binding {
	k := p.c.Keys
	switch {
	case p.confirm.Asking():
		return []key.Binding{k.Yes, k.No}
	case p.form != nil:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")), k.NextIn, k.Back}
	}
	return []key.Binding{k.AdminSearch, k.AdminMarkup, k.AdminClear}
}

func (p *adminPrices) view(w, h int) []string {
	st := p.c.Styles
	var ovr []string
	for _, o := range p.overrides {
		ovr = append(ovr, o.Scope()+" "+store.FormatMarkup(o.MarkupBP))
	}
	summary := "no override: every price at the configured markup"
	if len(ovr) > 0 {
		summary = "overrides: " + strings.Join(ovr, " · ")
	}
	head := st.Subtitle.Render("Prices")
	if p.filter != "" {
		head += st.Muted.Render(" · filter: ") + st.Text.Render(sanitize.Truncate(p.filter, 20))
	}
	lines := []string{head, st.Muted.Render(sanitize.Truncate(summary, w))}
	switch {
	case p.form != nil:
		return append(lines, "", p.form.View(), "", st.Muted.Render("Applies to numbers reserved from now on."),
			p.st.View(st))
	case p.confirm.Asking():
		o := p.confirm.About()
		lines = append(lines, "", st.Warning.Render(fmt.Sprintf("Remove the override of %s (%s)? (y/n)",
			scopeLabel(o.Service, o.Country), store.FormatMarkup(o.MarkupBP))))
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-12s %-2s %-12s %9s %7s %7s", "SERVICE", "CC",
		"PROVIDER", "COST", "MARKUP", "SELL")))
	vis := p.visible()
	p.shown = max(1, h-len(lines)-2)
	from, to := p.cur.Window(len(vis), p.shown)
	for i := from; i < to; i++ {
		r := vis[i]
		mark := ""
		if _, ok := p.overrideOf(r); ok {
			mark = " override"
		}
		row := fmt.Sprintf("%s %-2s %s %9s %7s %7s%s", kit.Cell(r.Service, 12), r.Country, kit.Cell(r.Provider, 12),
			r.Cost.String(), store.FormatMarkup(int64(r.Markup)), store.FormatCents(r.SellCents), mark)
		lines = append(lines, kit.MarkedRow(st, i == p.cur.At, row))
	}
	if len(vis) == 0 && !p.st.Busy {
		lines = append(lines, st.Muted.Render("  Nothing on sale."))
	}
	return append(lines, "", p.st.View(st))
}
