package admin

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// The Admin pane's Numbers section: every open reservation, live, with a
// filter (/) by service, country, provider and state, and force-cancel
// (x) with a full refund, the number given back upstream.

// numbersShown is how many open numbers the section lists at most.
const numbersShown = 500

type adminNumbers struct {
	c      *env
	filter string
	q      store.ReservationQuery
	res    []store.Reservation
	cur    kit.ListCursor
	rows   int
	form   *kit.Form
	cancel bool              // the form is the force-cancel reason
	target store.Reservation // the number the force-cancel is about
	live   kit.LiveLoad
	st     kit.Status
}

type adminNumbersMsg struct {
	res []store.Reservation
	err error
}

func newAdminNumbers(c *env) *adminNumbers {
	return &adminNumbers{c: c, q: store.ReservationQuery{Limit: numbersShown}}
}

func (n *adminNumbers) title() string { return "Numbers" }

func (n *adminNumbers) capturing() bool { return n.form != nil }

func (n *adminNumbers) deep() bool { return n.form != nil }

func (n *adminNumbers) load() tea.Cmd {
	if !n.live.Begin() {
		return nil
	}
	return n.fetch()
}

func (n *adminNumbers) fetch() tea.Cmd {
	c, a, q := n.c, n.c.Actor(), n.q
	return func() tea.Msg {
		list, err := c.db.AdminOpenReservations(c.Ctx, a, q)
		return adminNumbersMsg{res: list, err: err}
	}
}

func (n *adminNumbers) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminNumbersMsg:
		again := n.live.End()
		if msg.err != nil {
			n.st.Err = n.c.Explain(msg.err)
		} else {
			selected := n.selected()
			n.res = msg.res
			n.cur.Keep(selected, len(n.res), func(i int) int64 { return n.res[i].ID })
		}
		if again {
			return n.fetch()
		}
	case adminEventMsg:
		if k := msg.event.Kind; k == store.EventReservation || k == store.EventMessage || msg.missed {
			return n.load()
		}
	case adminDoneMsg:
		if msg.to != n {
			return nil
		}
		n.st.Busy = false
		if msg.err != nil {
			n.st.Err = n.c.Explain(msg.err)
			return nil
		}
		n.form, n.cancel, n.st.Notice = nil, false, msg.notice
		return n.load()
	case tea.KeyMsg:
		if n.st.Busy {
			return nil
		}
		return n.key(msg)
	}
	return nil
}

// selected is the id of the number under the cursor (0: none).
func (n *adminNumbers) selected() int64 {
	if n.cur.At < len(n.res) {
		return n.res[n.cur.At].ID
	}
	return 0
}

func (n *adminNumbers) key(msg tea.KeyMsg) tea.Cmd {
	k := n.c.Keys
	if n.form != nil {
		if key.Matches(msg, k.Back) {
			n.form, n.cancel = nil, false
			n.st.Clear()
			return nil
		}
		submit, cmd := n.form.Update(msg)
		if submit {
			return n.submit()
		}
		return cmd
	}
	n.st.Clear()
	switch {
	case n.cur.Key(k, msg, len(n.res), n.rows):
	case key.Matches(msg, k.AdminSearch):
		n.form = kit.NewForm(n.c.Common, kit.Field{Label: "Filter", Limit: 80, Hint: "e.g. telegram gb sim active"})
		n.form.SetWidth(adminFormWidth)
		n.form.SetValue(0, n.filter)
	case key.Matches(msg, k.Back) && n.filter != "":
		n.filter, n.q = "", store.ReservationQuery{Limit: numbersShown}
		return n.load()
	case key.Matches(msg, k.AdminCancel) && len(n.res) > 0:
		n.cancel, n.target = true, n.res[n.cur.At]
		n.form = kit.NewForm(n.c.Common, kit.Field{Label: "Reason", Limit: store.MaxReasonLen,
			Hint: "why support refunds this number"})
		n.form.SetWidth(adminFormWidth)
	case key.Matches(msg, k.AdminOpenUser) && len(n.res) > 0:
		id := n.res[n.cur.At].UserID
		return func() tea.Msg { return adminOpenUserMsg{userID: id} }
	case key.Matches(msg, k.AdminRefresh):
		return n.load()
	}
	return nil
}

func (n *adminNumbers) submit() tea.Cmd {
	if !n.cancel {
		q, err := parseNumbersFilter(n.form.Value(0))
		if err != nil {
			n.st.Err = n.c.Explain(err)
			return nil
		}
		n.filter, n.q, n.form, n.cur = strings.TrimSpace(n.form.Value(0)), q, nil, kit.ListCursor{}
		return n.load()
	}
	ops := n.c.ops
	if ops == nil {
		n.st.Err = "Force-cancel needs the provider engine, which this server does not run."
		return nil
	}
	c, a, r, reason := n.c, n.c.Actor(), n.target, n.form.Value(0)
	n.st.Busy = true
	return adminRun(n, func() (string, error) {
		got, err := ops.ForceCancel(c.Ctx, a, r.ID, reason)
		return fmt.Sprintf("Number %s cancelled, %s refunded to %s.", r.Phone, store.FormatCents(got.PriceCents),
			userRef(r.UserID)), err
	})
}

var errBadNumbersFilter = kit.Refusal("filter with words: a service, a country, a provider, active or received")

// parseNumbersFilter reads "telegram gb sim active": each word is a state,
// a service code, a country code or else a provider name.
func parseNumbersFilter(s string) (store.ReservationQuery, error) {
	q := store.ReservationQuery{Limit: numbersShown}
	for _, w := range strings.Fields(strings.ToLower(s)) {
		_, isService := provider.LookupService(w)
		_, isCountry := provider.LookupCountry(w)
		switch st := store.ReservationState(w); {
		case st.Open() && q.State == "":
			q.State = st
		case isService && q.Service == "":
			q.Service = w
		case isCountry && q.Country == "":
			q.Country = w
		case q.Provider == "" && !isService && !isCountry:
			q.Provider = w
		default:
			return q, errBadNumbersFilter
		}
	}
	return q, nil
}

func (n *adminNumbers) help() []key.Binding {
	k := n.c.Keys
	if n.form != nil {
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "ok")), k.Back}
	}
	return []key.Binding{k.AdminSearch, k.AdminCancel, k.AdminOpenUser}
}

func (n *adminNumbers) view(w, h int) []string {
	st := n.c.Styles
	head := st.Subtitle.Render("Open numbers") + st.Muted.Render(fmt.Sprintf("  %d, live", len(n.res)))
	if n.filter != "" {
		head += st.Muted.Render(" · filter: ") + st.Text.Render(sanitize.Truncate(sanitize.Line(n.filter), 30))
	}
	lines := []string{head}
	if n.form != nil {
		if n.cancel {
			r := n.target
			lines = append(lines, st.Warning.Render(fmt.Sprintf("Force-cancel %s (%s %s, %s) and refund %s to %s?",
				r.Phone, r.Service, r.Country, r.State, store.FormatCents(r.PriceCents), userRef(r.UserID))))
		}
		lines = append(lines, n.form.View())
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-7s %-7s %-10s %-2s %-10s %-8s %7s %3s %s", "ID", "USER",
		"SERVICE", "CC", "PROVIDER", "STATE", "PRICE", "SMS", "ENDS")))
	n.rows = max(1, h-len(lines)-4)
	from, to := n.cur.Window(len(n.res), n.rows)
	for i := from; i < to; i++ {
		r := n.res[i]
		row := fmt.Sprintf("%-7s %-7s %s %-2s %s %-8s %7s %3d %s", userRef(r.ID), userRef(r.UserID),
			kit.Cell(r.Service, 10), r.Country, kit.Cell(r.Provider, 10), r.State, store.FormatCents(r.PriceCents), len(r.Messages),
			r.ExpiresAt.UTC().Format("15:04"))
		lines = append(lines, kit.MarkedRow(st, i == n.cur.At, row))
	}
	if len(n.res) == 0 {
		lines = append(lines, st.Muted.Render("  No open number."))
	}
	lines = append(lines, "", n.detail(w))
	return append(lines, n.st.View(st))
}

// detail shows the selected number, its code and its times.
func (n *adminNumbers) detail(w int) string {
	if len(n.res) == 0 {
		return ""
	}
	r := n.res[n.cur.At]
	parts := []string{r.Phone, "ref " + r.ProviderRef, "reserved " + r.CreatedAt.UTC().Format("15:04")}
	if code := r.LatestCode(); code != "" {
		parts = append(parts, "code "+code)
	}
	if r.Simulated {
		parts = append(parts, "simulated")
	}
	return n.c.Styles.Muted.Render(sanitize.Truncate(sanitize.Line(strings.Join(parts, " · ")), w))
}
