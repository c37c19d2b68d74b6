package sshserver

import (
	"sync"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/tui/screen"
)

// framed runs the dashboard's model with its frames going to a Screen
// instead of bubbletea's ticking renderer (the program is started
// WithoutRenderer). An update only invalidates the screen; the screen's
// writer renders the model when it writes, at most once per frame gap,
// so the dozen messages of a sign-in cost one or two renders, not a dozen.
type framed struct {
	m   *lockedModel
	scr *screen.Screen
	win *sessionWindow
}

// windowChangedMsg tells the program that its session's window changed;
// framed turns it into a WindowSizeMsg of the latest size.
type windowChangedMsg struct{}

// lockedModel is the current model, shared by the program's goroutine
// (Update) and the screen's writer (View), which take turns.
type lockedModel struct {
	mu    sync.Mutex
	inner tea.Model
}

func (l *lockedModel) view() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inner.View()
}

func newFramed(inner tea.Model, scr *screen.Screen, win *sessionWindow) framed {
	f := framed{m: &lockedModel{inner: inner}, scr: scr, win: win}
	scr.Source(f.m.view)
	return f
}

func (f framed) Init() tea.Cmd {
	f.m.mu.Lock()
	cmd := f.m.inner.Init()
	f.m.mu.Unlock()
	f.scr.Invalidate()
	return cmd
}

func (f framed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(windowChangedMsg); ok {
		w := f.win.take()
		msg = tea.WindowSizeMsg{Width: w.Width, Height: w.Height}
	}
	f.m.mu.Lock()
	m, cmd := f.m.inner.Update(msg)
	f.m.inner = m
	// The size changes with the model laid out for it: the writer never
	// sees the one without the other.
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		f.scr.Resize(ws.Width, ws.Height)
	}
	f.m.mu.Unlock()
	f.scr.Invalidate()
	return f, cmd
}

func (f framed) View() string { return "" }
