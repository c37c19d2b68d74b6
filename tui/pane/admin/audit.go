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

// The Admin pane's Audit section: every admin action, newest first,
// searchable by action, account, reason or detail; enter opens the
// account acted upon.

// auditShown is how many audit rows one search lists.
const auditShown = 200

type adminAudit struct {
	c       *env
	text    string
	entries []store.AuditEntry
	cur     kit.ListCursor
	rows    int
	form    *kit.Form
	status  kit.Status
}

type adminAuditMsg struct {
	entries []store.AuditEntry
	err     error
}

func newAdminAudit(c *env) *adminAudit { return &adminAudit{c: c} }

func (s *adminAudit) title() string { return "Audit" }

func (s *adminAudit) capturing() bool { return s.form != nil }

func (s *adminAudit) deep() bool { return s.form != nil }

func (s *adminAudit) load() tea.Cmd {
	c, a, text := s.c, s.c.Actor(), s.text
	s.status.Busy = true
	return func() tea.Msg {
		e, err := c.db.SearchAudit(c.Ctx, a, store.AuditQuery{Text: text, Limit: auditShown})
		return adminAuditMsg{entries: e, err: err}
	}
}

func (s *adminAudit) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminAuditMsg:
		s.status.Busy = false
		if msg.err != nil {
			s.status.Err = s.c.Explain(msg.err)
			return nil
		}
		s.entries = msg.entries
		s.cur.Clamp(len(s.entries))
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *adminAudit) key(msg tea.KeyMsg) tea.Cmd {
	k := s.c.Keys
	if s.form != nil {
		if key.Matches(msg, k.Back) {
			s.form = nil
			return nil
		}
		submit, cmd := s.form.Update(msg)
		if !submit {
			return cmd
		}
		s.text, s.form, s.cur = strings.TrimSpace(s.form.Value(0)), nil, kit.ListCursor{}
		return s.load()
	}
	s.status.Clear()
	switch {
	case s.cur.Key(k, msg, len(s.entries), s.rows):
	case key.Matches(msg, k.AdminSearch):
		s.form = kit.NewForm(s.c.Common, kit.Field{Label: "Search", Limit: store.MaxUserSearchLen,
			Hint: "an action, an email, a reason…"})
		s.form.SetWidth(adminFormWidth)
		s.form.SetValue(0, s.text)
	case key.Matches(msg, k.Back) && s.text != "":
		s.text = ""
		return s.load()
	case key.Matches(msg, k.AdminRefresh):
		return s.load()
	case key.Matches(msg, k.AdminOpenUser) && len(s.entries) > 0 && s.entries[s.cur.At].TargetUserID != 0:
		id := s.entries[s.cur.At].TargetUserID
		return func() tea.Msg { return adminOpenUserMsg{userID: id} }
	}
	return nil
}

func (s *adminAudit) help() []key.Binding {
	k := s.c.Keys
	if s.form != nil {
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "search")), k.Back}
	}
	return []key.Binding{k.AdminSearch, k.AdminOpenUser, k.AdminRefresh}
}

var auditHead = fmt.Sprintf("%-11s %-16s %-14s %s", "WHEN", "ADMIN", "ACTION", "ON · WHY")

// auditLabels name the audited actions in the list's narrow column; the
// detail line and searches use the recorded names.
var auditLabels = map[store.AuditAction]string{
	store.AuditUserSearch: "searched", store.AuditUserView: "opened page", store.AuditCredit: "credit",
	store.AuditDebit: "debit", store.AuditBan: "ban", store.AuditUnban: "unban",
	store.AuditOrderSearch: "order lookup", store.AuditForceCancel: "force-cancel",
	store.AuditProviderOn: "provider on", store.AuditProviderOff: "provider off",
	store.AuditPriceSet: "markup set", store.AuditPriceClear: "markup cleared",
	store.AuditSupportReply: "answered", store.AuditSupportClose: "closed thread",
	store.AuditMailFailed: "failed mails",
}

func auditLabel(a store.AuditAction) string {
	if l, ok := auditLabels[a]; ok {
		return l
	}
	return string(a)
}

// auditRow is one audit entry on one line.
func auditRow(e store.AuditEntry, w int) string {
	who := e.TargetEmail
	if who == "" && e.TargetUserID != 0 {
		who = userRef(e.TargetUserID)
	}
	what := e.Target
	if e.Action == store.AuditUserSearch && what == "" {
		what = "all accounts"
	}
	var parts []string
	for _, p := range []string{who, what, e.Reason, e.Detail} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return fmt.Sprintf("%-11s %s %s %s", kit.When(e.At), kit.Cell(e.ActorEmail, 16), kit.Cell(auditLabel(e.Action), 14),
		kit.Cell(strings.Join(parts, " · "), max(10, w-46)))
}

func (s *adminAudit) view(w, h int) []string {
	st := s.c.Styles
	head := "Every admin action"
	if s.text != "" {
		head = "Admin actions matching " + sanitize.Truncate(sanitize.Line(s.text), 40)
	}
	lines := []string{st.Subtitle.Render(head) + st.Muted.Render("  times in UTC")}
	if s.form != nil {
		lines = append(lines, s.form.View())
	}
	lines = append(lines, st.Muted.Render("  "+auditHead))
	s.rows = max(1, h-len(lines)-4)
	from, to := s.cur.Window(len(s.entries), s.rows)
	for i := from; i < to; i++ {
		lines = append(lines, kit.MarkedRow(st, i == s.cur.At, auditRow(s.entries[i], w)))
	}
	if len(s.entries) == 0 && !s.status.Busy {
		lines = append(lines, st.Muted.Render("  Nothing recorded."))
	}
	return append(lines, "", s.detail(w), s.status.View(st))
}

// detail is the selected entry in full, on at most two lines.
func (s *adminAudit) detail(w int) string {
	if len(s.entries) == 0 {
		return ""
	}
	e := s.entries[s.cur.At]
	parts := []string{string(e.Action)}
	if e.TargetEmail != "" {
		parts = append(parts, "on "+e.TargetEmail+" ("+userRef(e.TargetUserID)+")")
	}
	for _, p := range []string{e.Target, e.Reason, e.Detail} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if e.Action == store.AuditUserSearch && e.Target == "" {
		parts = append(parts, "all accounts")
	}
	parts = append(parts, "by "+e.ActorEmail+" from "+kit.HostOnly(e.RemoteAddr))
	text := lipgloss.NewStyle().Width(w).Render(sanitize.Line(strings.Join(parts, " · ")))
	if l := strings.Split(text, "\n"); len(l) > 2 {
		text = strings.Join(l[:2], "\n")
	}
	return s.c.Styles.Muted.Render(text)
}
