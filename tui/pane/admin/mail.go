package admin

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Admin pane's Mail section: the outbox counted by status (what waits,
// what went, what was given up), and the mails given up after their
// attempts, newest first, with the mail server's last answer; enter opens
// the account. Looking is audited (the list names addresses).

// mailFailedShown is how many failed mails the section lists.
const mailFailedShown = 100

// mailStatuses are the outbox's statuses in the order the counts show.
var mailStatuses = []store.MailStatus{store.MailQueued, store.MailSending, store.MailSent, store.MailFailed,
	store.MailDropped}

type adminMail struct {
	c      *env
	failed []store.MailLogEntry
	counts map[store.MailStatus]int64
	cur    kit.ListCursor
	rows   int
	status kit.Status
}

type adminMailMsg struct {
	failed []store.MailLogEntry
	counts map[store.MailStatus]int64
	err    error
}

func newAdminMail(c *env) *adminMail { return &adminMail{c: c} }

func (s *adminMail) title() string { return "Mail" }

func (s *adminMail) capturing() bool { return false }

func (s *adminMail) load() tea.Cmd {
	c, a := s.c, s.c.Actor()
	s.status.Busy = true
	return func() tea.Msg {
		// The list first: it checks the admin's session (and records the
		// look) before anything is read.
		failed, err := c.db.FailedMails(c.Ctx, a, mailFailedShown)
		if err != nil {
			return adminMailMsg{err: err}
		}
		g, err := c.db.ReadGauges(c.Ctx)
		return adminMailMsg{failed: failed, counts: g.MailsByStatus, err: err}
	}
}

func (s *adminMail) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminMailMsg:
		s.status.Busy = false
		if msg.err != nil {
			s.status.Err = s.c.Explain(msg.err)
			return nil
		}
		var selected int64
		if s.cur.At < len(s.failed) {
			selected = s.failed[s.cur.At].ID
		}
		s.failed, s.counts = msg.failed, msg.counts
		s.cur.Keep(selected, len(s.failed), func(i int) int64 { return s.failed[i].ID })
	case tea.KeyMsg:
		if s.status.Busy {
			return nil
		}
		return s.key(msg)
	}
	return nil
}

func (s *adminMail) key(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	s.status.Clear()
	switch {
	case s.cur.Key(k, msg, len(s.failed), s.rows):
	case key.Matches(msg, k.AdminRefresh):
		return s.load()
	case key.Matches(msg, k.AdminOpenUser) && len(s.failed) > 0:
		id := s.failed[s.cur.At].UserID
		return func() tea.Msg { return adminOpenUserMsg{userID: id} }
	}
	return nil
}

func (s *adminMail) help() []key.Binding {
	k := s.c.Keys
	return []key.Binding{k.AdminOpenUser, k.AdminRefresh}
}

// countsLine is the outbox by status.
func (s *adminMail) countsLine() string {
	parts := make([]string, 0, len(mailStatuses))
	for _, st := range mailStatuses {
		parts = append(parts, fmt.Sprintf("%s %d", st, s.counts[st]))
	}
	return strings.Join(parts, " · ")
}

func (s *adminMail) view(w, h int) []string {
	st := s.c.Styles
	lines := []string{st.Subtitle.Render("Outbox") + st.Muted.Render("  "+s.countsLine()), "",
		st.Subtitle.Render("Given up") + st.Muted.Render("  after their attempts or refused for good; times in UTC"),
		st.Muted.Render(fmt.Sprintf("  %-11s %-7s %-21s %-26s %s", "WHEN", "ACCOUNT", "MAIL", "TO", "TRIES"))}
	s.rows = max(1, h-len(lines)-4)
	from, to := s.cur.Window(len(s.failed), s.rows)
	for i := from; i < to; i++ {
		m := s.failed[i]
		row := fmt.Sprintf("%-11s %-7s %s %s %5d", kit.When(m.DoneAt), userRef(m.UserID), kit.Cell(m.Kind.Label(), 21),
			kit.Cell(m.To, 26), m.Attempts)
		lines = append(lines, kit.MarkedRow(st, i == s.cur.At, row))
	}
	if len(s.failed) == 0 && !s.status.Busy {
		lines = append(lines, st.Muted.Render("  None: every mail went, or waits for its next attempt."))
	}
	return append(lines, "", s.detail(w), s.status.View(st))
}

// detail is the selected mail's last answer from the mail server, on at
// most three lines.
func (s *adminMail) detail(w int) string {
	if len(s.failed) == 0 {
		return ""
	}
	m := s.failed[s.cur.At]
	text := lipgloss.NewStyle().Width(w).Render(sanitize.Line(fmt.Sprintf("mail %d to %s, queued %s: %s", m.ID, m.To,
		kit.When(m.CreatedAt), m.LastError)))
	if l := strings.Split(text, "\n"); len(l) > 3 {
		text = strings.Join(l[:3], "\n")
	}
	return s.c.Styles.Muted.Render(text)
}
