// Package admin is the Admin pane: running the business from the
// dashboard. Its sections (←/→) are Users (users.go, an account's page in
// userpage.go), Orders, Numbers, Providers, Prices, Support, Audit and
// Mail, one file each. Every action goes through a store or engine method that
// checks the admin role and the session's key itself and writes the audit
// row; this pane only shows. The shell adds the pane only for a session
// whose key the host enrolled for admin use.
//
// May import from this repository: provider, provider/engine, store,
// tui/kit, tui/sanitize.
package admin

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// Pane is the Admin pane. While it is in view it subscribes to everyone's
// events, so open numbers, orders and the support inbox stay live; it
// unsubscribes when it leaves the view.
type Pane struct {
	c        *env
	w, h     int
	sections []adminSection
	cur      int
	sub      *store.Subscription
}

// adminSection is one page of the Admin pane.
type adminSection interface {
	title() string
	// load refreshes what the section shows, when it comes into view.
	load() tea.Cmd
	// update takes the section's own messages, everyone's events
	// (adminEventMsg) and, when the section is in view, keys.
	update(msg tea.Msg) tea.Cmd
	view(w, h int) []string
	help() []key.Binding
	capturing() bool
}

// adminEventMsg is a change to anyone's data, from the pane's
// subscription to everyone.
type adminEventMsg struct {
	sub    *store.Subscription
	event  store.Event
	missed bool
}

type adminHubClosedMsg struct{}

// adminOpenUserMsg asks the Users section to open an account's page.
type adminOpenUserMsg struct{ userID int64 }

// New makes the pane; ops nil hides what needs the provider engine.
func New(c *kit.Common, st Store, ops Operations) *Pane {
	e := &env{Common: c, db: st, ops: ops}
	p := &Pane{c: e}
	p.sections = []adminSection{newAdminUsers(e), newAdminOrders(e), newAdminNumbers(e), newAdminProviders(e),
		newAdminPrices(e), newAdminSupport(e), newAdminAudit(e), newAdminMail(e)}
	return p
}

func (p *Pane) Title() string { return "Admin" }

func (p *Pane) Init() tea.Cmd { return nil }

func (p *Pane) SetSize(w, h int) {
	p.w, p.h = w, h
	for _, s := range p.sections {
		if r, ok := s.(interface{ resize(w, h int) }); ok {
			r.resize(w, max(1, h-2))
		}
	}
}

func (p *Pane) Capturing() bool { return p.sections[p.cur].capturing() }

// Close ends the subscription when the session ends.
func (p *Pane) Close() {
	if p.sub != nil {
		p.sub.Close()
		p.sub = nil
	}
}

func waitAdminEvent(sub *store.Subscription) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-sub.C
		if !ok {
			return adminHubClosedMsg{}
		}
		return adminEventMsg{sub: sub, event: e, missed: sub.Missed()}
	}
}

func (p *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case kit.ActivatedMsg:
		var wait tea.Cmd
		if p.sub == nil {
			p.sub = p.c.db.Hub().SubscribeAll()
			wait = waitAdminEvent(p.sub)
		}
		return p, tea.Batch(wait, p.sections[p.cur].load())
	case kit.DeactivatedMsg:
		p.Close()
		return p, nil
	case adminEventMsg:
		if msg.sub != p.sub {
			return p, nil // from a subscription closed since
		}
		return p, tea.Batch(p.broadcast(msg), waitAdminEvent(p.sub))
	case adminOpenUserMsg:
		p.cur = 0
		return p, p.sections[0].update(msg)
	case tea.KeyMsg:
		return p, p.key(msg)
	}
	return p, p.broadcast(msg)
}

func (p *Pane) broadcast(msg tea.Msg) tea.Cmd {
	cmds := make([]tea.Cmd, len(p.sections))
	for i, s := range p.sections {
		cmds[i] = s.update(msg)
	}
	return tea.Batch(cmds...)
}

func (p *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k, sec := p.c.Keys, p.sections[p.cur]
	if !sec.capturing() && adminAtTop(sec) {
		switch {
		case key.Matches(msg, k.Left):
			p.cur = (p.cur + len(p.sections) - 1) % len(p.sections)
			return p.sections[p.cur].load()
		case key.Matches(msg, k.Right):
			p.cur = (p.cur + 1) % len(p.sections)
			return p.sections[p.cur].load()
		}
	}
	return sec.update(msg)
}

// adminAtTop reports whether a section shows its main list (not a page,
// a form or a confirmation), where ←/→ move between sections.
func adminAtTop(s adminSection) bool {
	if d, ok := s.(interface{ deep() bool }); ok {
		return !d.deep()
	}
	return true
}

func (p *Pane) ShortHelp() []key.Binding {
	sec := p.sections[p.cur]
	if sec.capturing() || !adminAtTop(sec) {
		return sec.help()
	}
	return append([]key.Binding{p.c.Keys.Left}, sec.help()...)
}

func (p *Pane) FullHelp() [][]key.Binding {
	k := p.c.Keys
	sec := p.sections[p.cur].help()
	for _, b := range sec {
		if b.Help().Key == k.AdminRefresh.Help().Key {
			return [][]key.Binding{{k.Left, k.Up, k.Down}, sec}
		}
	}
	return [][]key.Binding{{k.Left, k.Up, k.Down}, append(sec, k.AdminRefresh)}
}

func (p *Pane) View() string {
	st := p.c.Styles
	if err := p.c.User.CheckAdmin(); err != nil {
		// Revoked or suspended during this session: the store already
		// refuses every action; say so instead of showing stale data.
		return st.Warning.Render("This account no longer holds the admin role. Reconnect to refresh your tabs.")
	}
	titles := make([]string, len(p.sections))
	for i, s := range p.sections {
		if i == p.cur {
			titles[i] = st.Selected.Render(s.title())
		} else {
			titles[i] = st.Muted.Render(s.title())
		}
	}
	lines := []string{strings.Join(titles, st.Muted.Render(" · ")), ""}
	lines = append(lines, p.sections[p.cur].view(p.w, max(1, p.h-2))...)
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}
