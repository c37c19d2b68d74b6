package kit

import (
	"fmt"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/tui/privacy"
)

// PolicyView shows the privacy policy, scrollable, until the person goes
// back (sign-up links to it, Account shows it).
type PolicyView struct {
	c  *Common
	vp viewport.Model
}

// PolicyClosedMsg tells the owner of a PolicyView that it was closed.
type PolicyClosedMsg struct{}

// NewPolicyView makes the reader for a w×h area.
func NewPolicyView(c *Common, w, h int) *PolicyView {
	p := &PolicyView{c: c, vp: viewport.New(w, h)}
	p.SetSize(w, h)
	return p
}

// SetSize lays the text out again for a w×h area.
func (p *PolicyView) SetSize(w, h int) {
	p.vp.Width, p.vp.Height = w, max(3, h-2)
	p.vp.SetContent(lipgloss.NewStyle().Width(w).Render(privacy.Document()))
}

// Update scrolls, or closes on esc or q.
func (p *PolicyView) Update(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, p.c.Keys.Back) || msg.String() == "q" {
		return func() tea.Msg { return PolicyClosedMsg{} }
	}
	var cmd tea.Cmd
	p.vp, cmd = p.vp.Update(msg)
	return cmd
}

// Help is the reader's keys.
func (p *PolicyView) Help() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Up, k.Down, k.PageDown, k.Back}
}

// View draws the title, how far the person has read, and the text.
func (p *PolicyView) View() string {
	st := p.c.Styles
	head := st.Title.Render("Privacy policy") +
		st.Muted.Render(fmt.Sprintf("  %3.0f%%  ↑/↓ scroll · esc back", p.vp.ScrollPercent()*100))
	return lipgloss.JoinVertical(lipgloss.Left, head, "", p.vp.View())
}
