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

// The Admin pane's Orders section: top-ups filtered by status (s) and
// processor (p), or looked up (/) by order number, Checkout Session id,
// PaymentIntent id, Bitcoin address or txid. Accounts show as #id; enter
// opens the account. The list follows new orders live. A card payment
// held for review (paid, but not as ordered) is settled with v: credit
// what was really paid, or 0 to reject it, with a reason for the audit.

// ordersShown is how many orders one page lists.
const ordersShown = 200

var (
	orderStatusCycle = []store.OrderStatus{"", store.OrderReview, store.OrderCreated, store.OrderPending,
		store.OrderPaid, store.OrderFailed, store.OrderExpired, store.OrderRefunded, store.OrderDisputed}
	processorCycle = []store.Processor{"", store.ProcessorStripe, store.ProcessorBlockonomics}
)

type adminOrders struct {
	c      *env
	status int // index in orderStatusCycle
	proc   int // index in processorCycle
	ref    string
	orders []store.Order
	cur    kit.ListCursor
	rows   int
	form   *kit.Form
	settle string // the order the form settles; "" when the form looks up
	live   kit.LiveLoad
	st     kit.Status
}

type adminOrdersMsg struct {
	orders []store.Order
	err    error
}

func newAdminOrders(c *env) *adminOrders { return &adminOrders{c: c} }

func (o *adminOrders) title() string { return "Orders" }

func (o *adminOrders) capturing() bool { return o.form != nil }

func (o *adminOrders) deep() bool { return o.form != nil }

func (o *adminOrders) load() tea.Cmd {
	if !o.live.Begin() {
		return nil
	}
	return o.fetch()
}

func (o *adminOrders) fetch() tea.Cmd {
	c, a := o.c, o.c.Actor()
	q := store.OrderQuery{Status: orderStatusCycle[o.status], Processor: processorCycle[o.proc], Ref: o.ref,
		Limit: ordersShown}
	return func() tea.Msg {
		list, err := c.db.AdminOrders(c.Ctx, a, q)
		return adminOrdersMsg{orders: list, err: err}
	}
}

func (o *adminOrders) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case adminOrdersMsg:
		again := o.live.End()
		if msg.err != nil {
			o.st.Err = o.c.Explain(msg.err)
		} else {
			o.orders = msg.orders
			o.cur.Clamp(len(o.orders))
		}
		if again {
			return o.fetch()
		}
	case adminEventMsg:
		// A lookup is audited: only lists follow events.
		if (msg.event.Kind == store.EventOrder || msg.missed) && o.ref == "" {
			return o.load()
		}
	case adminDoneMsg:
		if msg.to != o {
			return nil
		}
		o.st.Busy = false
		if msg.err != nil {
			o.st.Err = o.c.Explain(msg.err)
			return nil
		}
		o.form, o.settle, o.st.Notice = nil, "", msg.notice
		return o.load()
	case tea.KeyMsg:
		if o.st.Busy {
			return nil
		}
		return o.key(msg)
	}
	return nil
}

// openSettle asks how to settle the selected order in review: the credits
// prefilled with what was paid when that was in dollars.
func (o *adminOrders) openSettle(or store.Order) {
	o.settle = or.Number
	o.form = kit.NewForm(o.c.Common, kit.Field{Label: "Credit $", Limit: 12,
		Hint: "what was really paid; 0 rejects"},
		kit.Field{Label: "Reason", Limit: store.MaxReasonLen, Hint: "kept in the order's note and the audit"})
	o.form.SetWidth(adminFormWidth)
	if strings.EqualFold(or.ChargedCurrency, "usd") {
		o.form.SetValue(0, strings.TrimPrefix(store.FormatCents(min(or.ChargedCents, or.Credits)), "$"))
	}
}

// submitSettle credits or rejects the order of the settle form.
func (o *adminOrders) submitSettle() tea.Cmd {
	cents, err := parseDollars(o.form.Value(0))
	if err == nil && cents < 0 {
		err = errBadDollars
	}
	if err != nil {
		o.st.Err = o.c.Explain(err)
		return nil
	}
	c, a, number, reason := o.c, o.c.Actor(), o.settle, o.form.Value(1)
	o.st.Busy = true
	return adminRun(o, func() (string, error) {
		got, err := c.db.SettleReview(c.Ctx, a, number, cents, reason)
		if err != nil {
			return "", err
		}
		if got.Status == store.OrderFailed {
			return "Order " + number + " rejected: nothing credited.", nil
		}
		return "Order " + number + " settled: " + store.FormatCents(got.Credited) + " credited.", nil
	})
}

func (o *adminOrders) key(msg tea.KeyMsg) tea.Cmd {
	k := o.c.Keys
	if o.form != nil {
		if key.Matches(msg, k.Back) {
			o.form = nil
			return nil
		}
		submit, cmd := o.form.Update(msg)
		if !submit {
			return cmd
		}
		if o.settle != "" {
			return o.submitSettle()
		}
		o.ref, o.form, o.cur = strings.TrimSpace(o.form.Value(0)), nil, kit.ListCursor{}
		return o.load()
	}
	o.st.Clear()
	switch {
	case o.cur.Key(k, msg, len(o.orders), o.rows):
	case key.Matches(msg, k.AdminStatus):
		o.status, o.cur = (o.status+1)%len(orderStatusCycle), kit.ListCursor{}
		return o.load()
	case key.Matches(msg, k.AdminProc):
		o.proc, o.cur = (o.proc+1)%len(processorCycle), kit.ListCursor{}
		return o.load()
	case key.Matches(msg, k.AdminSearch):
		o.form = kit.NewForm(o.c.Common, kit.Field{Label: "Look up", Limit: 128,
			Hint: "order number, cs_…, pi_…, bc1… or txid"})
		o.form.SetWidth(adminFormWidth)
	case key.Matches(msg, k.Back) && o.ref != "":
		o.ref = ""
		return o.load()
	case key.Matches(msg, k.AdminRefresh):
		return o.load()
	case key.Matches(msg, k.AdminOpenUser) && len(o.orders) > 0:
		id := o.orders[o.cur.At].UserID
		return func() tea.Msg { return adminOpenUserMsg{userID: id} }
	case key.Matches(msg, k.AdminSettle) && len(o.orders) > 0:
		if or := o.orders[o.cur.At]; or.Status == store.OrderReview {
			o.openSettle(or)
		} else {
			o.st.Err = "Only an order in review is settled here: s shows those."
		}
	}
	return nil
}

func (o *adminOrders) help() []key.Binding {
	k := o.c.Keys
	if o.form != nil {
		verb := "look up"
		if o.settle != "" {
			verb = "settle"
		}
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", verb)), k.Back}
	}
	filter := key.NewBinding(key.WithKeys("s", "p"), key.WithHelp("s/p", "filter"))
	if len(o.orders) > 0 && o.orders[o.cur.At].Status == store.OrderReview {
		return []key.Binding{filter, k.AdminOpenUser, k.AdminSettle}
	}
	return []key.Binding{filter, k.AdminSearch, k.AdminOpenUser}
}

// via names a processor by what the person paid with.
func via(p store.Processor) string {
	switch p {
	case store.ProcessorStripe:
		return "card"
	case store.ProcessorBlockonomics:
		return "bitcoin"
	}
	return string(p)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (o *adminOrders) view(w, h int) []string {
	st := o.c.Styles
	head := st.Subtitle.Render("Orders") + st.Muted.Render(fmt.Sprintf("  status %s · processor %s",
		orDefault(string(orderStatusCycle[o.status]), "any"), orDefault(string(processorCycle[o.proc]), "any")))
	if o.ref != "" {
		head = st.Subtitle.Render("Orders for ") + st.Text.Render(sanitize.Truncate(sanitize.Line(o.ref), 50))
	}
	lines := []string{head}
	if o.form != nil {
		if o.settle != "" {
			lines = append(lines, st.Warning.Render("Settle order "+o.settle+" (in review)"))
		}
		lines = append(lines, o.form.View())
	}
	lines = append(lines, st.Muted.Render(fmt.Sprintf("  %-16s %-7s %-7s %-8s %8s %8s %s", "ORDER", "USER",
		"VIA", "STATUS", "AMOUNT", "CREDITED", "CREATED")))
	o.rows = max(1, h-len(lines)-4)
	from, to := o.cur.Window(len(o.orders), o.rows)
	for i := from; i < to; i++ {
		or := o.orders[i]
		row := fmt.Sprintf("%-16s %-7s %-7s %-8s %8s %8s %s", or.Number, userRef(or.UserID), via(or.Processor),
			or.Status, store.FormatCents(or.AmountCents), store.FormatCents(or.Credited), kit.When(or.CreatedAt))
		lines = append(lines, kit.MarkedRow(st, i == o.cur.At, row))
	}
	if len(o.orders) == 0 {
		lines = append(lines, st.Muted.Render("  No order."))
	}
	lines = append(lines, "", o.detail(w))
	return append(lines, o.st.View(st))
}

// detail shows the processor references of the selected order.
func (o *adminOrders) detail(w int) string {
	st := o.c.Styles
	if len(o.orders) == 0 {
		return ""
	}
	or := o.orders[o.cur.At]
	var refs []string
	for _, r := range []string{or.SessionID, or.PaymentIntentID, or.BTCAddress} {
		if r != "" {
			refs = append(refs, r)
		}
	}
	if or.ChargedCurrency != "" && or.Status != store.OrderReview { // a review's note says what was charged
		refs = append(refs, "charged "+chargedText(or))
	}
	if or.Reversed > 0 {
		refs = append(refs, store.FormatCents(or.Reversed)+" taken back")
	}
	if or.Note != "" {
		refs = append(refs, or.Note)
	}
	if len(refs) == 0 {
		refs = []string{"no processor reference yet"}
	}
	return st.Muted.Render(sanitize.Truncate(sanitize.Line(strings.Join(refs, " · ")), w))
}

// chargedText is what Stripe says it charged: "$50.00", or "1 jpy".
func chargedText(or store.Order) string {
	if strings.EqualFold(or.ChargedCurrency, "usd") {
		return store.FormatCents(or.ChargedCents)
	}
	return fmt.Sprintf("%d %s", or.ChargedCents, strings.ToLower(or.ChargedCurrency))
}
