package admin

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Admin pane's Users section: find an account by email or key
// fingerprint, open its page (userpage.go), ban, unban, credit or
// debit it. Every search and every page opened is in the audit trail.

// usersShown is how many accounts one search lists.
const usersShown = 200

type usersForm int

const (
	usersNoForm usersForm = iota
	usersSearch
	usersBan
	usersUnban
	usersAdjust
)

type adminUsers struct {
	c      *env
	search string
	users  []store.User
	more   bool
	loaded bool
	cur    kit.ListCursor
	rows   int

	page     *store.UserPage // nil while the list is shown
	pageView int
	pageCur  kit.ListCursor

	formKind usersForm
	form     *kit.Form
	status   kit.Status
}

type adminUsersMsg struct {
	users []store.User
	more  bool
	err   error
}

type adminPageMsg struct {
	page   store.UserPage
	reload bool // after an action: applies only while that page is still open
	err    error
}

func newAdminUsers(c *env) *adminUsers { return &adminUsers{c: c} }

func (u *adminUsers) title() string { return "Users" }

func (u *adminUsers) capturing() bool { return u.form != nil }

func (u *adminUsers) deep() bool { return u.page != nil || u.form != nil }

// load searches once, when the section is first shown: a search is
// audited, so coming back to the section does not search again (r does).
func (u *adminUsers) load() tea.Cmd {
	if u.loaded {
		return nil
	}
	u.loaded = true
	return u.find()
}

func (u *adminUsers) find() tea.Cmd {
	c, a, search := u.c, u.c.Actor(), u.search
	u.status.Busy = true
	return func() tea.Msg {
		users, more, err := c.db.AdminUsers(c.Ctx, a, search, usersShown)
		return adminUsersMsg{users: users, more: more, err: err}
	}
}

func (u *adminUsers) openPage(id int64) tea.Cmd {
	c, a, reload := u.c, u.c.Actor(), u.page != nil && u.page.User.ID == id
	u.status.Busy = true
	return func() tea.Msg {
		p, err := c.db.AdminUserPage(c.Ctx, a, id)
		p.User.ID = id
		return adminPageMsg{page: p, reload: reload, err: err}
	}
}

func (u *adminUsers) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminUsersMsg:
		u.status.Busy = false
		if msg.err != nil {
			u.status.Err = u.c.Explain(msg.err)
			return nil
		}
		u.users, u.more = msg.users, msg.more
		u.cur.Clamp(len(u.users))
	case adminPageMsg:
		u.status.Busy = false
		if msg.reload && (u.page == nil || u.page.User.ID != msg.page.User.ID) {
			return nil // left meanwhile
		}
		if msg.err != nil {
			u.status.Err = u.c.Explain(msg.err)
			return nil
		}
		if u.page == nil || u.page.User.ID != msg.page.User.ID {
			u.pageView, u.pageCur = 0, kit.ListCursor{}
		}
		u.page = &msg.page
	case adminDoneMsg:
		if msg.to != u {
			return nil
		}
		u.status.Busy = false
		if msg.err != nil {
			u.status.Err = u.c.Explain(msg.err)
			return nil
		}
		u.form, u.formKind, u.status.Notice = nil, usersNoForm, msg.notice
		if u.page != nil {
			return u.openPage(u.page.User.ID)
		}
	case adminOpenUserMsg:
		u.form, u.formKind = nil, usersNoForm
		u.status.Clear()
		return u.openPage(msg.userID)
	case tea.KeyMsg:
		if u.status.Busy {
			return nil
		}
		if u.form != nil {
			return u.formKey(msg)
		}
		u.status.Clear()
		if u.page != nil {
			return u.pageKey(msg)
		}
		return u.listKey(msg)
	}
	return nil
}

func (u *adminUsers) listKey(msg tea.KeyMsg) tea.Cmd {
	k := u.c.Keys
	switch {
	case u.cur.Key(k, msg, len(u.users), u.rows):
	case key.Matches(msg, k.AdminSearch):
		u.openForm(usersSearch, kit.Field{Label: "Search", Limit: store.MaxUserSearchLen,
			Hint: "part of an email, or a key's SHA256:…"})
		u.form.SetValue(0, u.search)
	case key.Matches(msg, k.AdminRefresh):
		return u.find()
	case key.Matches(msg, k.Back) && u.search != "":
		u.search = ""
		return u.find()
	case key.Matches(msg, k.Enter) && len(u.users) > 0:
		return u.openPage(u.users[u.cur.At].ID)
	}
	return nil
}

func (u *adminUsers) openForm(kind usersForm, specs ...kit.Field) {
	u.formKind, u.form = kind, kit.NewForm(u.c.Common, specs...)
	u.form.SetWidth(adminFormWidth)
}

func (u *adminUsers) formKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, u.c.Keys.Back) {
		u.form, u.formKind = nil, usersNoForm
		u.status.Clear()
		return nil
	}
	submit, cmd := u.form.Update(msg)
	if !submit {
		return cmd
	}
	u.status.Clear()
	if u.formKind == usersSearch {
		u.search, u.form, u.formKind = strings.TrimSpace(u.form.Value(0)), nil, usersNoForm
		u.cur = kit.ListCursor{}
		return u.find()
	}
	return u.submitPageForm()
}

func (u *adminUsers) help() []key.Binding {
	k := u.c.Keys
	switch {
	case u.form != nil:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")), k.Back}
	case u.page != nil && u.page.User.Banned():
		return []key.Binding{k.AdminView, k.AdminUnban, k.AdminAdjust, k.Back}
	case u.page != nil:
		return []key.Binding{k.AdminView, k.AdminBan, k.AdminAdjust, k.Back}
	}
	return []key.Binding{k.AdminSearch, k.Enter, k.AdminRefresh}
}

func (u *adminUsers) view(w, h int) []string {
	if u.page != nil {
		return u.pageLines(w, h)
	}
	st := u.c.Styles
	head := "All accounts"
	if u.search != "" {
		head = "Accounts matching " + sanitize.Truncate(sanitize.Line(u.search), 40)
	}
	lines := []string{st.Subtitle.Render(head) + st.Muted.Render(fmt.Sprintf("  %d shown", len(u.users)))}
	if u.form != nil {
		lines = append(lines, u.form.View())
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-6s %-32s %-5s %9s  %s", "ID", "EMAIL", "ROLE", "BALANCE",
		"STATUS")))
	u.rows = max(1, h-len(lines)-2)
	from, to := u.cur.Window(len(u.users), u.rows)
	for i := from; i < to; i++ {
		us := u.users[i]
		row := fmt.Sprintf("%-6s %s %-5s %9s  %s", userRef(us.ID), kit.Cell(us.Email, 32), us.Role,
			store.FormatCents(us.BalanceCents), kit.Cell(statusOf(us), max(8, w-62)))
		lines = append(lines, kit.MarkedRow(st, i == u.cur.At, row))
	}
	if len(u.users) == 0 && !u.status.Busy {
		lines = append(lines, st.Muted.Render("  No account matches."))
	}
	if u.more {
		lines = append(lines, st.Muted.Render("  More match: narrow the search."))
	}
	return append(lines, "", u.status.View(st))
}
