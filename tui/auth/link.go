package tui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/tui/sanitize"
)

// linkModel offers, right after a password sign-in, to remember the key the
// session proved, so the next connection lands on the dashboard directly.
type linkModel struct {
	c    *Common
	busy bool
	err  string
}

// linkDoneMsg ends the offer (linked or declined).
type linkDoneMsg struct{ linked bool }

type linkFailedMsg struct{ err error }

func newLink(c *Common) *linkModel { return &linkModel{c: c} }

func (l *linkModel) Update(msg tea.Msg) (*linkModel, tea.Cmd) {
	switch msg := msg.(type) {
	case linkFailedMsg:
		l.busy, l.err = false, l.c.explain(msg.err)
	case tea.KeyMsg:
		if l.busy {
			return l, nil
		}
		switch {
		case key.Matches(msg, l.c.Keys.Yes), msg.String() == "enter":
			l.busy = true
			c := l.c
			return l, func() tea.Msg {
				_, err := c.Deps.Store.LinkKey(c.Ctx, c.UserID, *c.Session.Key, "", c.Session.Origin)
				if err != nil {
					return linkFailedMsg{err}
				}
				return linkDoneMsg{linked: true}
			}
		case key.Matches(msg, l.c.Keys.No):
			return l, func() tea.Msg { return linkDoneMsg{} }
		}
	}
	return l, nil
}

func (l *linkModel) help() []key.Binding {
	yes := key.NewBinding(key.WithKeys("y"), key.WithHelp("y/enter", "remember this key"))
	no := key.NewBinding(key.WithKeys("n"), key.WithHelp("n/esc", "not now"))
	return []key.Binding{yes, no}
}

func (l *linkModel) View() string {
	st := l.c.Styles
	fp := l.c.Session.Key.Fingerprint
	lines := []string{
		st.Title.Render("Remember this key?"),
		"",
		st.Text.Render("You are signed in as ") + st.Strong.Render(sanitize.Line(l.c.User.Email)) + st.Text.Render("."),
		st.Text.Render("Link the key this connection used and you will land on your"),
		st.Text.Render("dashboard without a password next time:"),
		"",
		"  " + st.Key.Render(fp),
		"",
		st.Key.Render("y") + st.Text.Render(" remember it    ") + st.Key.Render("n") + st.Text.Render(" not now"),
	}
	if l.busy {
		lines = append(lines, "", st.Muted.Render("Linking…"))
	}
	if l.err != "" {
		lines = append(lines, "", st.Error.Render(l.err), st.Muted.Render("Press n to continue."))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}
