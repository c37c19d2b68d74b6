package wallet

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

func (w *Pane) View() string {
	var body string
	switch w.mode {
	case walletPay:
		body = w.payView()
	case walletOpening:
		body = w.openingView()
	default:
		body = w.chooseView()
	}
	if w.mode == walletPay {
		return body // the pay screen shows its message in its text column
	}
	if m := w.message(); m != "" {
		body += "\n\n" + m
	}
	return body
}

// message is the error or notice of the last action, styled ("" if none).
func (w *Pane) message() string {
	st := w.c.Styles
	switch {
	case w.err != "":
		return st.Error.Render(w.err)
	case w.notice != "":
		return st.Success.Render(w.notice)
	}
	return ""
}

func (w *Pane) balanceLine() string {
	st := w.c.Styles
	return st.Label.Render("Balance") + st.Balance.Render(store.FormatCents(w.c.User.BalanceCents)) + w.debtNote()
}

// payBalanceLine is the balance with the pay screen's narrower labels.
func (w *Pane) payBalanceLine() string {
	return w.label("Balance") + w.c.Styles.Balance.Render(store.FormatCents(w.c.User.BalanceCents)) + w.debtNote()
}

// debtNote follows the balance while the account owes money: a card
// payment was refunded or disputed after its credits were spent.
func (w *Pane) debtNote() string {
	if d := w.c.User.DebtCents; d > 0 {
		return w.c.Styles.Error.Render("  " + wording.Owed(d))
	}
	return ""
}

func (w *Pane) methodName(m int) string {
	if m == methodCard {
		return "card"
	}
	return "bitcoin"
}

// chosenCents is the amount selected on the choose screen (0: a custom
// amount not typed yet).
func (w *Pane) chosenCents() int64 {
	if fixed := w.packs().FixedCents; w.amount < len(fixed) {
		return fixed[w.amount]
	}
	return w.custom
}

func (w *Pane) chooseView() string {
	st := w.c.Styles
	lines := []string{st.Title.Render("Wallet"), w.balanceLine()}
	if l := w.unverifiedLine(); l != "" {
		lines = append(lines, l)
	}
	lines = append(lines, "", w.amountRow(), w.methodRow())
	if w.mode == walletCustom {
		lines = append(lines, "", w.form.View())
	} else {
		lines = append(lines, "", w.hint())
	}
	lines = append(lines, "", st.Subtitle.Render("Payments"))
	return lipgloss.JoinVertical(lipgloss.Left, append(lines, w.historyView(w.h-len(lines)-3)...)...)
}

// unverifiedLine tells an account whose address is not verified, before
// it chooses, how far it may top up ("" once verified).
func (w *Pane) unverifiedLine() string {
	if w.pay == nil || w.c.User.Verified() || !w.ready(methodCard) && !w.ready(methodBitcoin) {
		return ""
	}
	text := "Verify your email to top up: Account tab, press v."
	if limit := w.pay.UnverifiedMaxCents(); limit > 0 {
		text = "Until your email is verified, top-ups are limited to " + store.FormatCents(limit) + " in all."
	}
	return w.c.Styles.Warning.Render(text)
}

// marker is the focus arrow of a row.
func (w *Pane) marker(row int) string {
	if w.row == row && w.mode == walletChoose {
		return w.c.Styles.Selected.Render("▸ ")
	}
	return "  "
}

func (w *Pane) amountRow() string {
	st := w.c.Styles
	fixed := w.packs().FixedCents
	parts := make([]string, 0, len(fixed)+1)
	for i, c := range fixed {
		parts = append(parts, w.choice(strings.TrimSuffix(store.FormatCents(c), ".00"), i == w.amount, true))
	}
	other := "other…"
	if w.custom > 0 {
		other = "other " + store.FormatCents(w.custom)
	}
	parts = append(parts, w.choice(other, w.amount == len(fixed), true))
	return w.marker(rowAmount) + st.Label.Render("Amount") + strings.Join(parts, " ")
}

func (w *Pane) methodRow() string {
	st := w.c.Styles
	parts := make([]string, 0, methodCount)
	for m := range methodCount {
		name := w.methodName(m)
		if !w.ready(m) {
			name += " (not set up)"
		}
		parts = append(parts, w.choice(name, m == w.method && w.ready(m), w.ready(m)))
	}
	return w.marker(rowMethod) + st.Label.Render("Method") + strings.Join(parts, " ")
}

// choice draws one option: bracketed when selected, dim when unavailable.
func (w *Pane) choice(label string, selected, available bool) string {
	st := w.c.Styles
	switch {
	case selected:
		return st.Selected.Render("[" + label + "]")
	case !available:
		return st.Muted.Render(" " + label + " ")
	}
	return st.Text.Render(" " + label + " ")
}

// hint says what enter does, or why it does nothing.
func (w *Pane) hint() string {
	st := w.c.Styles
	switch {
	case !w.ready(methodCard) && !w.ready(methodBitcoin):
		return st.Warning.Render("  No payment method is set up on this server yet.")
	case w.c.User.Banned():
		return st.Warning.Render("  Your account is suspended: top-ups are closed. Contact support.")
	case w.row >= rowHistory:
		return st.Key.Render("  enter") + st.Muted.Render(" show this payment")
	case w.chosenCents() == 0 || w.amount == len(w.packs().FixedCents):
		return st.Key.Render("  enter") + st.Muted.Render(" type an amount, "+w.rangeHint())
	}
	verb := " pay " + store.FormatCents(w.chosenCents()) + " by card"
	if w.method == methodBitcoin {
		verb = " pay " + store.FormatCents(w.chosenCents()) + " in bitcoin"
	}
	return st.Key.Render("  enter") + st.Muted.Render(verb)
}

// historyView lists the orders, scrolled to keep the focused one in view,
// in at most rows lines.
func (w *Pane) historyView(rows int) []string {
	st := w.c.Styles
	if len(w.orders) == 0 {
		return []string{st.Muted.Render("  No payments yet.")}
	}
	head := fmt.Sprintf("  %-16s  %-16s  %-7s  %8s  %7s  %s", "ORDER", "DATE (UTC)", "METHOD", "AMOUNT", "CREDITS", "STATUS")
	if w.narrow() {
		head = fmt.Sprintf("  %-16s  %-10s  %-7s  %8s  %s", "ORDER", "DATE (UTC)", "METHOD", "AMOUNT", "STATUS")
	}
	lines := []string{st.Muted.Render(head)}
	n := max(1, rows-1)
	if cur := w.row - rowHistory; cur >= 0 {
		w.top = min(max(w.top, cur-n+1), cur)
	}
	w.top = max(0, min(w.top, len(w.orders)-n))
	for i := w.top; i < len(w.orders) && i < w.top+n; i++ {
		lines = append(lines, w.historyLine(i))
	}
	return lines
}

func (w *Pane) historyLine(i int) string {
	st := w.c.Styles
	o := w.orders[i]
	method := "card"
	if o.Processor == store.ProcessorBlockonomics {
		method = "bitcoin"
	}
	credits := o.Credits
	switch o.Status {
	case store.OrderPaid:
		credits = o.Credited
	case store.OrderReview:
		credits = 0
	case store.OrderRefunded, store.OrderDisputed:
		credits = o.Credited - o.Reversed
	}
	text := fmt.Sprintf("%-16s  %-16s  %-7s  %8s  %7d  ", o.Number, o.CreatedAt.UTC().Format("2006-01-02 15:04"),
		method, store.FormatCents(o.AmountCents), credits)
	if w.narrow() {
		text = fmt.Sprintf("%-16s  %-10s  %-7s  %8s  ", o.Number, o.CreatedAt.UTC().Format("2006-01-02"),
			method, store.FormatCents(o.AmountCents))
	}
	style := st.Text
	if w.row == rowHistory+i {
		style = st.Selected
	}
	return w.marker(rowHistory+i) + style.Render(text) + w.statusStyle(o.Status).Render(string(o.Status))
}

// historyWidth is the width of a full history row; narrower panes drop
// the time and the credits (the order shows them).
const historyWidth = 73

func (w *Pane) narrow() bool { return w.w < historyWidth }

func (w *Pane) statusStyle(s store.OrderStatus) lipgloss.Style {
	st := w.c.Styles
	switch s {
	case store.OrderPaid:
		return st.Success
	case store.OrderFailed, store.OrderRefunded, store.OrderDisputed:
		return st.Error
	case store.OrderExpired:
		return st.Muted
	}
	return st.Warning
}

func (w *Pane) openingView() string {
	st := w.c.Styles
	who := "Stripe"
	if w.method == methodBitcoin {
		who = "Blockonomics"
	}
	return lipgloss.JoinVertical(lipgloss.Left, st.Title.Render("Wallet"), w.balanceLine(), "",
		st.Muted.Render("Opening your top-up with "+who+"…"))
}
