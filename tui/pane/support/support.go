// Package support is the Support pane: the person's conversation with
// us, newest at the bottom, and a box to write the next message. Its tab
// counts the replies not read yet, live; they are read once the pane is
// in view.
//
// May import from this repository: store, tui/kit, tui/sanitize.
package support

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// Store is what the Support pane reads and writes in the store.
type Store interface {
	SupportHistory(ctx context.Context, userID int64) (threads []store.SupportThread, unread int, err error)
	MarkSupportSeen(ctx context.Context, userID int64) error
	WriteSupport(ctx context.Context, userID int64, body string) (store.SupportMessage, error)
}

// Pane is the Support pane: the person's conversation with us, and a
// box to write the next message. Its tab shows how many replies are
// unread, live.
type Pane struct {
	c       *kit.Common
	st      Store
	active  bool // in view: replies are read as they arrive
	w, h    int
	threads []store.SupportThread
	unread  int
	// vp is made with the first conversation: most sessions never have
	// one, and a viewport is some kilobytes of styles and keys.
	vp *viewport.Model
	// box is made on the first w, not with the pane: textarea.New
	// reserves room for 10,000 lines (~240 KB), which every idle session
	// would otherwise hold (the load test found it).
	box     *textarea.Model
	writing bool
	busy    bool
	err     string
	notice  string
}

type loadedMsg struct {
	threads []store.SupportThread
	unread  int
	err     error
}

type sentMsg struct{ err error }

// supportBoxHeight is the writing box's height in rows.
const supportBoxHeight = 4

// New makes the pane.
func New(c *kit.Common, st Store) *Pane {
	return &Pane{c: c, st: st}
}

func newSupportBox() *textarea.Model {
	box := textarea.New()
	box.CharLimit = store.MaxSupportMessageLen
	box.ShowLineNumbers = false
	box.Prompt = "│ "
	box.Placeholder = "Your message: what happened, which number or order…"
	box.SetHeight(supportBoxHeight)
	box.Cursor.SetMode(cursor.CursorStatic)
	// Enter sends; a new line is alt+enter (or ctrl+j), which every
	// terminal can type.
	box.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("alt+enter", "ctrl+j"))
	return &box
}

func (s *Pane) Title() string {
	if s.unread > 0 {
		return fmt.Sprintf("Support (%d)", s.unread)
	}
	return "Support"
}

func (s *Pane) Init() tea.Cmd { return s.load(false) }

func (s *Pane) Capturing() bool { return s.writing }

func (s *Pane) SetSize(w, h int) {
	s.w, s.h = w, h
	if s.box != nil {
		s.box.SetWidth(min(w, 76))
	}
	s.refresh()
}

// load reads the conversation; seen marks replies read when the pane is
// in view.
func (s *Pane) load(seen bool) tea.Cmd {
	c, st, uid := s.c, s.st, s.c.UserID
	return func() tea.Msg {
		if seen {
			if err := st.MarkSupportSeen(c.Ctx, uid); err != nil {
				return loadedMsg{err: err}
			}
		}
		threads, unread, err := st.SupportHistory(c.Ctx, uid)
		return loadedMsg{threads: threads, unread: unread, err: err}
	}
}

func (s *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			s.err = s.c.Explain(msg.err)
			return s, nil
		}
		s.threads, s.unread = msg.threads, msg.unread
		s.refresh()
		if s.active && s.unread > 0 {
			return s, s.load(true)
		}
	case sentMsg:
		s.busy = false
		if msg.err != nil {
			s.err = s.c.Explain(msg.err)
			return s, nil
		}
		s.box.Reset()
		s.writing, s.notice = false, "Sent. We answer here, usually within a day."
		s.box.Blur()
		return s, s.load(true)
	case kit.ActivatedMsg:
		s.active = true
		return s, s.load(true)
	case kit.DeactivatedMsg:
		s.active = false
	case kit.EventMsg:
		if msg.Event.Kind == store.EventSupport || msg.Missed {
			return s, s.load(s.active)
		}
	case tea.KeyMsg:
		return s, s.key(msg)
	}
	return s, nil
}

func (s *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if !s.writing {
		switch {
		case key.Matches(msg, k.Write):
			s.writing, s.err, s.notice = true, "", ""
			if s.box == nil {
				s.box = newSupportBox()
				s.box.SetWidth(min(s.w, 76))
			}
			return s.box.Focus()
		default:
			if s.vp == nil {
				return nil
			}
			var cmd tea.Cmd
			*s.vp, cmd = s.vp.Update(msg)
			return cmd
		}
	}
	switch {
	case s.busy:
		return nil
	case key.Matches(msg, k.Back):
		s.writing = false
		s.box.Blur()
		return nil
	case msg.String() == "enter":
		body := s.box.Value()
		s.busy, s.err = true, ""
		c, st, uid := s.c, s.st, s.c.UserID
		return func() tea.Msg {
			_, err := st.WriteSupport(c.Ctx, uid, body)
			return sentMsg{err: err}
		}
	}
	var cmd tea.Cmd
	*s.box, cmd = s.box.Update(msg)
	return cmd
}

// refresh lays out the conversation in the viewport, newest at the bottom.
func (s *Pane) refresh() {
	if len(s.threads) == 0 {
		return
	}
	if s.vp == nil {
		vp := viewport.New(0, 0)
		s.vp = &vp
	}
	s.vp.Width, s.vp.Height = s.w, max(3, s.h-supportBoxHeight-4)
	st := s.c.Styles
	var b strings.Builder
	width := max(20, s.w-2)
	for _, t := range s.threads {
		state := "open"
		if !t.Open {
			state = "closed"
		}
		b.WriteString(st.Muted.Render(fmt.Sprintf("── conversation #%d, %s, started %s ──", t.ID, state,
			t.CreatedAt.UTC().Format("2006-01-02"))) + "\n")
		for _, m := range t.Messages {
			who, style := "You", st.Strong
			if m.FromStaff {
				who, style = "WantSMS support", st.Selected
			}
			b.WriteString(style.Render(who) + st.Muted.Render("  "+m.At.UTC().Format("2006-01-02 15:04")) + "\n")
			b.WriteString(lipgloss.NewStyle().Width(width).PaddingLeft(2).Render(sanitize.Text(m.Body)) + "\n\n")
		}
	}
	s.vp.SetContent(b.String())
	s.vp.GotoBottom()
}

func (s *Pane) ShortHelp() []key.Binding {
	k := s.c.Keys
	if s.writing {
		send := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send"))
		nl := key.NewBinding(key.WithKeys("alt+enter"), key.WithHelp("alt+enter", "new line"))
		return []key.Binding{send, nl, k.Back}
	}
	return []key.Binding{k.Write, k.Up, k.Down}
}

func (s *Pane) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

func (s *Pane) View() string {
	st := s.c.Styles
	lines := []string{st.Title.Render("Support") + st.Muted.Render("  we read every message; answers appear here")}
	if len(s.threads) == 0 {
		lines = append(lines, "", st.Muted.Render("No messages yet. Press w to write to us: a question, a number"),
			st.Muted.Render("that never got its SMS, a payment that did not arrive…"))
	} else {
		lines = append(lines, s.vp.View())
	}
	lines = append(lines, "")
	if s.writing {
		lines = append(lines, s.box.View())
	}
	switch {
	case s.busy:
		lines = append(lines, st.Muted.Render("Sending…"))
	case s.err != "":
		lines = append(lines, st.Error.Render(s.err))
	case s.notice != "":
		lines = append(lines, st.Success.Render(s.notice))
	}
	return lipgloss.JoinVertical(lipgloss.Left, lines...)
}
