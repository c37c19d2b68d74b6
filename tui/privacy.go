package tui

import (
	_ "embed"
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// PrivacyPolicy is our published privacy policy; it ships with the
// product and is shown in the dashboard and by `ssh HOST privacy`.
//
//go:embed privacy-policy.txt
var PrivacyPolicy string

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
	p.vp.SetContent(lipgloss.NewStyle().Width(w).Render(PrivacyPolicy))
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
