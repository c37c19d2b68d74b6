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

// An account's page in the Users section: who it is, then one table at a
// time ([ and ] switch): ledger, numbers, orders, keys, sign-ins and the
// admin actions on it.

var pageViews = []string{"Ledger", "Numbers", "Orders", "Keys", "Sign-ins", "Audit"}

func (u *adminUsers) pageKey(msg tea.KeyMsg) tea.Cmd {
	k, p := u.c.Keys, u.page
	switch {
	case key.Matches(msg, k.Back):
		// The page is fresher than the list: carry its account back
		// rather than search again (every search is audited).
		for i := range u.users {
			if u.users[i].ID == p.User.ID {
				u.users[i] = p.User
			}
		}
		u.page = nil
	case msg.String() == "]":
		u.pageView, u.pageCur = (u.pageView+1)%len(pageViews), kit.ListCursor{}
	case msg.String() == "[":
		u.pageView, u.pageCur = (u.pageView+len(pageViews)-1)%len(pageViews), kit.ListCursor{}
	case key.Matches(msg, k.AdminRefresh):
		return u.openPage(p.User.ID)
	// Before the cursor keys: b also pages up in lists.
	case key.Matches(msg, k.AdminBan) && !p.User.Banned():
		u.openForm(usersBan, kit.Field{Label: "Reason", Limit: store.MaxReasonLen,
			Hint: "shown to the person when refused"})
	case key.Matches(msg, k.AdminUnban) && p.User.Banned():
		u.openForm(usersUnban, kit.Field{Label: "Reason", Limit: store.MaxReasonLen, Hint: "kept in the audit"})
	case key.Matches(msg, k.AdminAdjust):
		u.openForm(usersAdjust, kit.Field{Label: "Amount $", Limit: 12, Hint: "5.00 credits, -5.00 debits"},
			kit.Field{Label: "Reason", Limit: store.MaxReasonLen, Hint: "kept in the ledger and the audit"})
	case u.pageCur.Key(k, msg, u.pageRowCount(), u.rows):
	}
	return nil
}

// submitPageForm runs the ban, unban or credit/debit form.
func (u *adminUsers) submitPageForm() tea.Cmd {
	c, a, id := u.c, u.c.Actor(), u.page.User.ID
	st := c.db
	switch u.formKind {
	case usersBan:
		reason := u.form.Value(0)
		u.status.Busy = true
		return adminRun(u, func() (string, error) {
			_, err := st.BanUser(c.Ctx, a, id, reason)
			return "Account suspended: it can sign in and read, not reserve or top up.", err
		})
	case usersUnban:
		reason := u.form.Value(0)
		u.status.Busy = true
		return adminRun(u, func() (string, error) {
			_, err := st.UnbanUser(c.Ctx, a, id, reason)
			return "Suspension lifted.", err
		})
	case usersAdjust:
		cents, err := parseDollars(u.form.Value(0))
		if err != nil {
			u.status.Err = c.Explain(err)
			return nil
		}
		reason := u.form.Value(1)
		u.status.Busy = true
		return adminRun(u, func() (string, error) {
			r, err := st.AdjustAsAdmin(c.Ctx, a, id, cents, reason)
			what := "Credited"
			if cents < 0 {
				what = "Debited"
			}
			return fmt.Sprintf("%s %s: balance %s (ledger %s).", what, store.FormatCents(abs(cents)),
				store.FormatCents(r.BalanceCents), r.Reference), err
		})
	}
	return nil
}

// plural counts things: "1 key", "3 keys".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func (u *adminUsers) pageRowCount() int {
	p := u.page
	return [...]int{len(p.Ledger), len(p.Reservations), len(p.Orders), len(p.Keys), len(p.Security),
		len(p.Audit)}[u.pageView]
}

func (u *adminUsers) pageLines(w, h int) []string {
	st, p := u.c.Styles, u.page
	us := p.User
	status := st.Success.Render("active")
	if us.Banned() {
		status = st.Error.Render("suspended: " + sanitize.Truncate(sanitize.Line(us.BanReason), 40))
	}
	lines := []string{
		st.Subtitle.Render(sanitize.Truncate(sanitize.Line(us.Email), 40)) + st.Muted.Render(fmt.Sprintf("  %s · %s · ",
			userRef(us.ID), us.Role)) + st.Balance.Render(store.FormatCents(us.BalanceCents)) + st.Muted.Render(" · ") + status,
		st.Muted.Render(fmt.Sprintf("joined %s · %s · %s · %s",
			us.CreatedAt.UTC().Format("2006-01-02"), plural(len(p.Keys), "key"), plural(len(p.Reservations), "number"),
			plural(len(p.Orders), "order"))),
	}
	tabs := make([]string, len(pageViews))
	for i, t := range pageViews {
		if i == u.pageView {
			tabs[i] = st.Selected.Render(t)
		} else {
			tabs[i] = st.Muted.Render(t)
		}
	}
	lines = append(lines, strings.Join(tabs, st.Muted.Render(" · ")))
	if u.form != nil {
		return append(lines, "", u.form.View(), "", u.status.View(st))
	}
	head, rows := u.pageTable(w)
	lines = append(lines, st.Muted.Render("  "+head))
	u.rows = max(1, h-len(lines)-2)
	from, to := u.pageCur.Window(len(rows), u.rows)
	for i := from; i < to; i++ {
		lines = append(lines, kit.MarkedRow(st, i == u.pageCur.At, rows[i]))
	}
	if len(rows) == 0 {
		lines = append(lines, st.Muted.Render("  Nothing here."))
	}
	return append(lines, "", u.status.View(st))
}

// pageTable is the header and rows of the page's current table.
func (u *adminUsers) pageTable(w int) (string, []string) {
	p, rest := u.page, max(10, w-50)
	var rows []string
	switch u.pageView {
	case 0:
		for _, e := range p.Ledger {
			rows = append(rows, fmt.Sprintf("%-11s %-7s %9s %-16s %s", kit.When(e.At), e.Kind, store.FormatCents(e.AmountCents),
				kit.Cell(e.Reference, 16), kit.Cell(e.Note, rest)))
		}
		return fmt.Sprintf("%-11s %-7s %9s %-16s %s", "WHEN", "KIND", "AMOUNT", "REFERENCE", "NOTE"), rows
	case 1:
		for _, r := range p.Reservations {
			rows = append(rows, fmt.Sprintf("%-7s %-11s %-10s %-3s %-9s %7s %s", userRef(r.ID), kit.When(r.CreatedAt),
				kit.Cell(r.Service, 10), r.Country, r.State, store.FormatCents(r.PriceCents), kit.Cell(r.Provider, 12)))
		}
		return fmt.Sprintf("%-7s %-11s %-10s %-3s %-9s %7s %s", "ID", "WHEN", "SERVICE", "CC", "STATE", "PRICE",
			"PROVIDER"), rows
	case 2:
		for _, o := range p.Orders {
			rows = append(rows, fmt.Sprintf("%-16s %-12s %-8s %8s %8s %s", o.Number, o.Processor, o.Status,
				store.FormatCents(o.AmountCents), store.FormatCents(o.Credited), kit.When(o.CreatedAt)))
		}
		return fmt.Sprintf("%-16s %-12s %-8s %8s %8s %s", "ORDER", "PROCESSOR", "STATUS", "AMOUNT", "CREDITED",
			"WHEN"), rows
	case 3:
		for _, k := range p.Keys {
			rows = append(rows, fmt.Sprintf("%s %s %-11s", kit.Cell(k.Name, 10), kit.Cell(k.Fingerprint, 50), kit.When(k.LastUsedAt)))
		}
		return fmt.Sprintf("%-10s %-50s %s", "NAME", "FINGERPRINT", "LAST USED"), rows
	case 4:
		for _, e := range p.Security {
			rows = append(rows, fmt.Sprintf("%-11s %-16s %s %s", kit.When(e.At), kit.Cell(string(e.Kind), 16),
				kit.Cell(kit.HostOnly(e.RemoteAddr), 20), kit.Cell(e.Detail, max(8, w-54))))
		}
		return fmt.Sprintf("%-11s %-16s %-20s %s", "WHEN", "EVENT", "FROM", "DETAIL"), rows
	}
	for _, e := range p.Audit {
		e.TargetEmail, e.TargetUserID = "", 0 // it is this account
		rows = append(rows, auditRow(e, w))
	}
	return auditHead, rows
}
