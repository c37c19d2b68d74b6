package tui

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
)

// PrivacyPolicy is our published privacy policy; it ships with the
// product and is shown, followed by RetentionSchedule, in the dashboard
// and by `ssh HOST privacy`. Its "Last updated" date is
// store.PrivacyPolicyVersion, the version sign-up records.
//
//go:embed privacy-policy.txt
var PrivacyPolicy string

// RetentionSchedule lists every retention period the service applies,
// from the constants its purge runs on: the policy's §9 names the two
// main ones; this is the whole list.
func RetentionSchedule() string {
	var b strings.Builder
	b.WriteString("Retention periods in detail (with §9, as this service applies them)\n")
	b.WriteString("A purge that runs every hour removes each record once its period is over.\n")
	for _, p := range store.RetentionPeriods() {
		b.WriteString("- " + p.String() + "\n")
	}
	return b.String()
}

// PrivacyDocument is what the policy screen and `privacy` show: the policy,
// then the retention schedule.
func PrivacyDocument() string { return PrivacyPolicy + "\n" + RetentionSchedule() }

// privacyView shows the policy, scrollable, until the person goes back.
type privacyView struct {
	c  *Common
	vp viewport.Model
}

// privacyClosedMsg tells the owner of a privacyView that it was closed.
type privacyClosedMsg struct{}

func newPrivacyView(c *Common, w, h int) *privacyView {
	p := &privacyView{c: c, vp: viewport.New(w, h)}
	p.setSize(w, h)
	return p
}

func (p *privacyView) setSize(w, h int) {
	p.vp.Width, p.vp.Height = w, max(3, h-2)
	p.vp.SetContent(lipgloss.NewStyle().Width(w).Render(PrivacyDocument()))
}

func (p *privacyView) update(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, p.c.Keys.Back) || msg.String() == "q" {
		return func() tea.Msg { return privacyClosedMsg{} }
	}
	var cmd tea.Cmd
	p.vp, cmd = p.vp.Update(msg)
	return cmd
}

func (p *privacyView) help() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Up, k.Down, k.PageDown, k.Back}
}

func (p *privacyView) view() string {
	st := p.c.Styles
	head := st.Title.Render("Privacy policy") +
		st.Muted.Render(fmt.Sprintf("  %3.0f%%  ↑/↓ scroll · esc back", p.vp.ScrollPercent()*100))
	return lipgloss.JoinVertical(lipgloss.Left, head, "", p.vp.View())
}
