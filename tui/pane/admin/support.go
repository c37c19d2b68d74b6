package admin

import (
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

// The Admin pane's Support section: the staff inbox (open conversations
// first, those waiting for an answer first among them), a conversation
// with its messages, a reply (w) that the person sees as unread at once,
// and closing (c). New messages arrive live.

// inboxShown is how many conversations the inbox lists.
const inboxShown = 200

type adminSupport struct {
	c       *env
	h       int
	threads []store.InboxThread
	cur     kit.ListCursor
	rows    int
	thread  *store.SupportThread // open conversation, nil in the inbox
	vp      viewport.Model
	box     *textarea.Model     // the reply being written, nil otherwise
	confirm kit.Question[int64] // close this conversation?
	live    kit.LiveLoad
	st      kit.Status
}

type adminInboxMsg struct {
	threads []store.InboxThread
	err     error
}

type adminThreadMsg struct {
	thread store.SupportThread
	reload bool // a live refresh: applies only while that thread is still open
	err    error
}

func newAdminSupport(c *env) *adminSupport { return &adminSupport{c: c, vp: viewport.New(0, 0)} }

// title counts the conversations waiting for an answer.
func (s *adminSupport) title() string {
	n := 0
	for _, t := range s.threads {
		if t.Open && t.Waiting {
			n++
		}
	}
	if n > 0 {
		return fmt.Sprintf("Support (%d)", n)
	}
	return "Support"
}

func (s *adminSupport) capturing() bool { return s.box != nil }

func (s *adminSupport) deep() bool { return s.thread != nil || s.confirm.Asking() }

func (s *adminSupport) load() tea.Cmd {
	if !s.live.Begin() {
		return nil
	}
	return s.fetch()
}

// fetch reads the inbox and, when one is open, the conversation.
func (s *adminSupport) fetch() tea.Cmd {
	c, a := s.c, s.c.Actor()
	var id int64
	if s.thread != nil {
		id = s.thread.ID
	}
	return func() tea.Msg {
		list, err := c.db.SupportInbox(c.Ctx, a, inboxShown)
		if err != nil || id == 0 {
			return adminInboxMsg{threads: list, err: err}
		}
		t, err := c.db.StaffThread(c.Ctx, a, id)
		return tea.BatchMsg{func() tea.Msg { return adminInboxMsg{threads: list} },
			func() tea.Msg { return adminThreadMsg{thread: t, reload: true, err: err} }}
	}
}

func (s *adminSupport) openThread(id int64) tea.Cmd {
	c, a := s.c, s.c.Actor()
	s.st.Busy = true
	return func() tea.Msg {
		t, err := c.db.StaffThread(c.Ctx, a, id)
		return adminThreadMsg{thread: t, err: err}
	}
}

func (s *adminSupport) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminInboxMsg:
		again := s.live.End()
		if msg.err != nil {
			s.st.Err = s.c.Explain(msg.err)
		} else {
			var selected int64
			if s.cur.At < len(s.threads) {
				selected = s.threads[s.cur.At].ID
			}
			s.threads = msg.threads
			s.cur.Keep(selected, len(s.threads), func(i int) int64 { return s.threads[i].ID })
		}
		if again {
			return s.fetch()
		}
	case adminThreadMsg:
		if msg.reload && (s.thread == nil || s.thread.ID != msg.thread.ID) {
			return nil // left meanwhile
		}
		s.st.Busy = false
		if msg.err != nil {
			s.st.Err = s.c.Explain(msg.err)
			return nil
		}
		s.thread = &msg.thread
		s.layoutThread()
	case adminEventMsg:
		if msg.event.Kind == store.EventSupport || msg.missed {
			return s.load()
		}
	case adminDoneMsg:
		if msg.to != s {
			return nil
		}
		s.st.Busy = false
		if msg.err != nil {
			s.st.Err = s.c.Explain(msg.err)
			return nil
		}
		s.box, s.st.Notice = nil, msg.notice
		s.layoutThread()
		return s.load()
	case tea.KeyMsg:
		if s.st.Busy {
			return nil
		}
		return s.key(msg)
	}
	return nil
}

func (s *adminSupport) key(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	switch {
	case s.box != nil:
		return s.boxKey(msg)
	case s.confirm.Asking():
		id := s.confirm.About()
		yes := s.confirm.Answer(k, msg)
		s.layoutThread()
		if yes {
			return s.closeThread(id)
		}
		return nil
	case s.thread != nil:
		return s.threadKey(msg)
	}
	s.st.Clear()
	switch {
	case s.cur.Key(k, msg, len(s.threads), s.rows):
	case key.Matches(msg, k.Enter) && len(s.threads) > 0:
		return s.openThread(s.threads[s.cur.At].ID)
	case key.Matches(msg, k.AdminRefresh):
		return s.load()
	}
	return nil
}

func (s *adminSupport) threadKey(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	s.st.Clear()
	switch {
	case key.Matches(msg, k.Back):
		s.thread = nil
		return s.load()
	case key.Matches(msg, k.AdminReply) && s.thread.Open:
		box := textarea.New()
		box.CharLimit = store.MaxSupportMessageLen
		box.ShowLineNumbers = false
		box.Prompt = "│ "
		box.Placeholder = "Your answer…"
		box.SetHeight(3)
		box.SetWidth(adminFormWidth)
		box.Cursor.SetMode(cursor.CursorStatic)
		box.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("alt+enter", "ctrl+j"))
		s.box = &box
		s.layoutThread()
		return s.box.Focus()
	case key.Matches(msg, k.AdminClose) && s.thread.Open:
		s.confirm.Ask(s.thread.ID)
		s.layoutThread()
	case key.Matches(msg, k.AdminOpenUser):
		id := s.thread.UserID
		return func() tea.Msg { return adminOpenUserMsg{userID: id} }
	default:
		var cmd tea.Cmd
		s.vp, cmd = s.vp.Update(msg)
		return cmd
	}
	return nil
}

func (s *adminSupport) boxKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, s.c.Keys.Back):
		s.box = nil
		s.layoutThread()
		return nil
	case msg.String() == "enter":
		c, a, id, body := s.c, s.c.Actor(), s.thread.ID, s.box.Value()
		s.st.Busy = true
		return adminRun(s, func() (string, error) {
			_, err := c.db.ReplySupport(c.Ctx, a, id, body)
			return "Answer sent: the person's Support tab shows it now.", err
		})
	}
	box, cmd := s.box.Update(msg)
	s.box = &box
	return cmd
}

func (s *adminSupport) closeThread(id int64) tea.Cmd {
	c, a := s.c, s.c.Actor()
	s.st.Busy = true
	return adminRun(s, func() (string, error) {
		return "Conversation closed: the person's next message opens a new one.", c.db.CloseSupport(c.Ctx, a, id)
	})
}

func (s *adminSupport) help() []key.Binding {
	k := s.c.Keys
	switch {
	case s.box != nil:
		send := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send"))
		nl := key.NewBinding(key.WithKeys("alt+enter"), key.WithHelp("alt+enter", "new line"))
		return []key.Binding{send, nl, k.Back}
	case s.confirm.Asking():
		return []key.Binding{k.Yes, k.No}
	case s.thread != nil && s.thread.Open:
		return []key.Binding{k.AdminReply, k.AdminClose, k.AdminOpenUser, k.Back}
	case s.thread != nil:
		return []key.Binding{k.AdminOpenUser, k.Back}
	}
	return []key.Binding{k.Enter, k.AdminRefresh}
}

func (s *adminSupport) resize(w, h int) {
	s.vp.Width, s.h = w, h
	s.layoutThread()
}

// layoutThread fills the viewport with the open conversation, sized to
// what is left by the title, the reply box and the status line.
func (s *adminSupport) layoutThread() {
	if s.thread == nil {
		return
	}
	rest := 4
	if s.box != nil {
		rest += 3
	}
	if s.confirm.Asking() {
		rest++
	}
	s.vp.Height = max(2, s.h-rest)
	st := s.c.Styles
	var b strings.Builder
	for _, m := range s.thread.Messages {
		who, style := sanitize.Line(s.thread.Email), st.Strong
		if m.FromStaff {
			who, style = "WantSMS support", st.Selected
		}
		b.WriteString(style.Render(who) + st.Muted.Render("  "+kit.When(m.At)) + "\n")
		b.WriteString(lipgloss.NewStyle().Width(max(20, s.vp.Width-2)).PaddingLeft(2).Render(sanitize.Text(m.Body)) + "\n")
	}
	s.vp.SetContent(strings.TrimRight(b.String(), "\n"))
	s.vp.GotoBottom()
}

func (s *adminSupport) view(w, h int) []string {
	st := s.c.Styles
	if s.thread != nil {
		return s.threadView(w, h)
	}
	lines := []string{st.Subtitle.Render("Support inbox") + st.Muted.Render("  open first, waiting for us first; live"),
		st.Muted.Render(fmt.Sprintf("  %-7s %-6s %-22s %4s %-11s %s", "THREAD", "STATE", "FROM", "MSGS", "LAST", "LAST MESSAGE"))}
	s.rows = max(1, h-len(lines)-2)
	from, to := s.cur.Window(len(s.threads), s.rows)
	for i := from; i < to; i++ {
		t := s.threads[i]
		state := "closed"
		switch {
		case t.Open && t.Waiting:
			state = "WAITS"
		case t.Open:
			state = "open"
		}
		row := fmt.Sprintf("%-7s %-6s %s %4d %-11s %s", userRef(t.ID), state, kit.Cell(t.Email, 22), t.Messages,
			kit.When(t.Last.At), kit.Cell(t.Last.Body, max(8, w-59)))
		lines = append(lines, kit.MarkedRow(st, i == s.cur.At, row))
	}
	if len(s.threads) == 0 {
		lines = append(lines, st.Muted.Render("  No conversation yet."))
	}
	return append(lines, "", s.st.View(st))
}

func (s *adminSupport) threadView(w, h int) []string {
	st, t := s.c.Styles, s.thread
	state := "open"
	if !t.Open {
		state = "closed"
	}
	lines := []string{st.Subtitle.Render(fmt.Sprintf("Conversation %s", userRef(t.ID))) + st.Muted.Render(" with ") +
		st.Text.Render(sanitize.Truncate(sanitize.Line(t.Email), 36)) + st.Muted.Render(fmt.Sprintf(" (%s) · %s",
		userRef(t.UserID), state))}
	lines = append(lines, s.vp.View())
	if s.box != nil {
		lines = append(lines, s.box.View())
	}
	if s.confirm.Asking() {
		lines = append(lines, st.Warning.Render("Close this conversation? (y/n)"))
	}
	return append(lines, "", s.st.View(st))
}
