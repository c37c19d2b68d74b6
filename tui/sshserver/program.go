package sshserver

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/tui/screen"
)

// framed runs the dashboard's model with its frames going to a Screen
// instead of bubbletea's ticking renderer (the program is started
// WithoutRenderer). bubbletea calls View after every Update anyway; here
// that one call feeds the screen.
type framed struct {
	inner tea.Model
	scr   *screen.Screen
}

func (f framed) Init() tea.Cmd {
	cmd := f.inner.Init()
	f.scr.Frame(f.inner.View())
	return cmd
}

func (f framed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		f.scr.Resize(ws.Width, ws.Height)
	}
	m, cmd := f.inner.Update(msg)
	f.inner = m
	f.scr.Frame(m.View())
	return f, cmd
}

func (f framed) View() string { return "" }
