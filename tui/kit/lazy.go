package kit

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Lazy is a pane built the first time it comes into view. A pane whose
// title never changes and which loads all it shows when it comes into
// view then costs a session nothing until the person opens it: neither
// its memory nor its queries at sign-in, which thousands of sessions that
// never leave the first tab would otherwise pay. Its Init is not called:
// the ActivatedMsg that builds it loads it.
type Lazy struct {
	title string
	build func() Pane
	pane  Pane // nil until the first ActivatedMsg
	w, h  int
}

// NewLazy is a pane titled title that build makes when first shown.
func NewLazy(title string, build func() Pane) *Lazy {
	return &Lazy{title: title, build: build}
}

// Built is the pane, or nil while it was never shown.
func (l *Lazy) Built() Pane { return l.pane }

func (l *Lazy) Init() tea.Cmd { return nil }

// Update builds the pane when it first comes into view; until then the
// messages it would have had are dropped (what they changed, it loads).
func (l *Lazy) Update(msg tea.Msg) (Pane, tea.Cmd) {
	if l.pane == nil {
		if _, ok := msg.(ActivatedMsg); !ok {
			return l, nil
		}
		l.pane = l.build()
		l.pane.SetSize(l.w, l.h)
	}
	var cmd tea.Cmd
	l.pane, cmd = l.pane.Update(msg)
	return l, cmd
}

func (l *Lazy) View() string {
	if l.pane == nil {
		return ""
	}
	return l.pane.View()
}

func (l *Lazy) Title() string {
	if l.pane == nil {
		return l.title
	}
	return l.pane.Title()
}

func (l *Lazy) ShortHelp() []key.Binding {
	if l.pane == nil {
		return nil
	}
	return l.pane.ShortHelp()
}

func (l *Lazy) FullHelp() [][]key.Binding {
	if l.pane == nil {
		return nil
	}
	return l.pane.FullHelp()
}

func (l *Lazy) SetSize(w, h int) {
	l.w, l.h = w, h
	if l.pane != nil {
		l.pane.SetSize(w, h)
	}
}

func (l *Lazy) Capturing() bool { return l.pane != nil && l.pane.Capturing() }

// Close releases what the built pane holds (Closer).
func (l *Lazy) Close() {
	if c, ok := l.pane.(Closer); ok {
		c.Close()
	}
}
