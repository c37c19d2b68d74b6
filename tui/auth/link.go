package auth

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// linkOffer offers, right after a password sign-in, to remember the key
// the session proved, so the next connection lands on the dashboard
// directly.
type linkOffer struct {
	c    *kit.Common
	st   Store
	user store.User // who signed in
	busy bool
	err  string
}

// linkDoneMsg ends the offer (linked or declined).
type linkDoneMsg struct{ linked bool }

type linkFailedMsg struct{ err error }

func newLinkOffer(c *kit.Common, st Store, user store.User) *linkOffer {
	return &linkOffer{c: c, st: st, user: user}
}

func (l *linkOffer) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case linkFailedMsg:
		l.busy, l.err = false, l.c.Explain(msg.err)
	case tea.KeyMsg:
		if l.busy {
			return nil
		}
		switch {
		case key.Matches(msg, l.c.Keys.Yes), msg.String() == "enter":
			l.busy = true
			c, st, uid := l.c, l.st, l.user.ID
			return func() tea.Msg {
				_, err := st.LinkKey(c.Ctx, uid, *c.Session.Key, "", c.Session.Origin)
				if err != nil {
					return linkFailedMsg{err}
				}
				return linkDoneMsg{linked: true}
			}
		case key.Matches(msg, l.c.Keys.No):
			return func() tea.Msg { return linkDoneMsg{} }
		}
	}
	return nil
}

func (l *linkOffer) help() []key.Binding {
	yes := key.NewBinding(key.WithKeys("y"), key.WithHelp("y/enter", "remember this key"))
	no := key.NewBinding(key.WithKeys("n"), key.WithHelp("n/esc", "not now"))
	return []key.Binding{yes, no}
}

func (l *linkOffer) setSize(int, int) {}

func (l *linkOffer) view() string {
	st := l.c.Styles
	fp := l.c.Session.Key.Fingerprint
	lines := []string{
		st.Title.Render("Remember this key?"),
		"",
		st.Text.Render("You are signed in as ") + st.Strong.Render(sanitize.Line(l.user.Email)) + st.Text.Render("."),
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
