package admin

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Admin pane's Providers section: each upstream, on or off (e flips
// it at once, for new numbers), its balance, the share of its numbers that
// got an SMS and the share of calls that failed over the last hour and
// day, and its last error.

type adminProviders struct {
	c       *env
	reports []engine.ProviderReport
	cur     kit.ListCursor
	confirm kit.Question[engine.ProviderReport] // switch this provider (as it was then)?
	st      kit.Status
}

type adminProvidersMsg struct {
	reports []engine.ProviderReport
	err     error
}

func newAdminProviders(c *env) *adminProviders { return &adminProviders{c: c} }

func (p *adminProviders) title() string { return "Providers" }

func (p *adminProviders) capturing() bool { return false }

func (p *adminProviders) deep() bool { return p.confirm.Asking() }

func (p *adminProviders) load() tea.Cmd {
	ops := p.c.ops
	if ops == nil {
		p.st.Err = "No provider engine runs in this server."
		return nil
	}
	c, a := p.c, p.c.Actor()
	p.st.Busy = true
	return func() tea.Msg {
		r, err := ops.ProviderReports(c.Ctx, a)
		return adminProvidersMsg{reports: r, err: err}
	}
}

func (p *adminProviders) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminProvidersMsg:
		p.st.Busy = false
		if msg.err != nil {
			p.st.Err = p.c.Explain(msg.err)
			return nil
		}
		var selected string
		if p.cur.At < len(p.reports) {
			selected = p.reports[p.cur.At].Provider
		}
		p.reports = msg.reports
		p.cur.Clamp(len(p.reports))
		for i, r := range p.reports {
			if r.Provider == selected {
				p.cur.At = i
			}
		}
	case adminDoneMsg:
		if msg.to != p {
			return nil
		}
		p.st.Busy = false
		if msg.err != nil {
			p.st.Err = p.c.Explain(msg.err)
			return nil
		}
		p.st.Notice = msg.notice
		return p.load()
	case tea.KeyMsg:
		if p.st.Busy {
			return nil
		}
		return p.key(msg)
	}
	return nil
}

func (p *adminProviders) key(msg tea.KeyMsg) tea.Cmd {
	k := p.c.Keys
	if p.confirm.Asking() {
		if p.confirm.Answer(k, msg) {
			return p.toggle()
		}
		return nil
	}
	p.st.Clear()
	switch {
	case p.cur.Key(k, msg, len(p.reports), len(p.reports)):
	case key.Matches(msg, k.AdminToggle) && len(p.reports) > 0:
		p.confirm.Ask(p.reports[p.cur.At])
	case key.Matches(msg, k.AdminRefresh):
		return p.load()
	}
	return nil
}

func (p *adminProviders) toggle() tea.Cmd {
	c, a, ops := p.c, p.c.Actor(), p.c.ops
	// What was asked: switch that provider to the other state it was in
	// then (another admin may have switched it meanwhile: then it stays).
	target := p.confirm.About()
	name, on := target.Provider, !target.Enabled
	p.st.Busy = true
	return adminRun(p, func() (string, error) {
		what := "off: no new numbers from it"
		if on {
			what = "on"
		}
		return fmt.Sprintf("%s is %s.", name, what), ops.SetProviderEnabled(c.Ctx, a, name, on)
	})
}

func (p *adminProviders) help() []key.Binding {
	k := p.c.Keys
	if p.confirm.Asking() {
		return []key.Binding{k.Yes, k.No}
	}
	return []key.Binding{k.AdminToggle, k.AdminRefresh}
}

// rate shows a share in percent, or "—" when there is nothing to count.
func rate(pct int64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%d%%", pct)
}

// smsRate is the share of decided numbers (those that got an SMS or
// ended without one) that got one, and how many were decided.
func smsRate(o store.Outcome) string {
	pct, ok := o.SuccessPercent()
	return fmt.Sprintf("%s of %d", rate(pct, ok), o.WithSMS+o.NoSMS)
}

func (p *adminProviders) view(w, h int) []string {
	st := p.c.Styles
	lines := []string{st.Subtitle.Render("Providers") + st.Muted.Render("  SMS: ended numbers that got one · "+
		"ERR: failed calls"),
		st.Muted.Render(fmt.Sprintf("  %-12s %-4s %13s %10s %10s %6s %7s", "NAME", "ON", "BALANCE", "SMS 1H",
			"SMS 24H", "ERR 1H", "ERR 24H"))}
	for i, r := range p.reports {
		on, bal := "off", r.Balance.String()
		if r.Enabled {
			on = "on"
		}
		if r.BalanceErr != "" {
			bal = "?"
		}
		row := fmt.Sprintf("%s %-4s %13s %10s %10s %6s %7s", kit.Cell(r.Provider, 12), on, bal, smsRate(r.SMSHour),
			smsRate(r.SMSDay), rate(r.Hour.ErrorPercent()), rate(r.Day.ErrorPercent()))
		lines = append(lines, kit.MarkedRow(st, i == p.cur.At, row))
	}
	if len(p.reports) > 0 {
		r := p.reports[p.cur.At]
		lines = append(lines, "", st.Subtitle.Render(sanitize.Line(r.Provider)))
		last := "no error since start"
		if r.LastError != "" {
			last = "last error " + kit.When(r.LastErrorAt) + ": " + r.LastError
		}
		lines = append(lines, st.Muted.Render(sanitize.Truncate(sanitize.Line(last), w)))
		if r.BalanceErr != "" {
			lines = append(lines, st.Error.Render(sanitize.Truncate(sanitize.Line("balance: "+r.BalanceErr), w)))
		}
		lines = append(lines, st.Muted.Render(fmt.Sprintf("%d calls since start, %d failed · catalogue of %d offers, %s",
			r.Calls, r.Errors, r.Offers, kit.When(r.CatalogueAt))))
		if p.confirm.Asking() {
			target := p.confirm.About()
			verb := "Switch off " + target.Provider + "? New numbers come from the others; open ones carry on."
			if !target.Enabled {
				verb = "Switch " + target.Provider + " back on?"
			}
			lines = append(lines, "", st.Warning.Render(sanitize.Line(verb)+" (y/n)"))
		}
	}
	return append(lines, "", p.st.View(st))
}
