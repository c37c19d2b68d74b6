// Package wallet is the Wallet pane: the balance (and any debt), top-ups
// by card (Stripe Checkout) or in Bitcoin (Blockonomics) with their pay
// screen, link, address, QR code and live status, and the history of
// payments, all updated live by the store's order events.
//
// May import from this repository: billing, store, tui/kit, tui/qr,
// tui/sanitize, tui/wording.
package wallet

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// walletMode is what the Wallet pane shows.
type walletMode int

const (
	walletChoose  walletMode = iota // amounts, methods, payment history
	walletCustom                    // typing a custom amount
	walletOpening                   // waiting for Stripe or Blockonomics
	walletPay                       // one order: how to pay it, its status
)

// Focus rows of the choose screen; history rows follow them.
const (
	rowAmount = iota
	rowMethod
	rowHistory
)

// The payment methods, in the order they are shown.
const (
	methodCard = iota
	methodBitcoin
	methodCount
)

// walletHistory is how many orders the pane loads: a screenful and more,
// older ones stay in the database.
const walletHistory = 50

// Pane is the Wallet pane: balance, top-ups by card or Bitcoin, and the
// history of payments, all updated live by the store's order events.
type Pane struct {
	c      *kit.Common
	st     Store
	pay    Payments // nil: no payment desk on this server
	w, h   int
	mode   walletMode
	row    int // focused row: rowAmount, rowMethod, or rowHistory+i
	amount int // index in the packs; len(packs) is the custom amount
	method int
	custom int64 // the custom amount last entered, cents
	form   *kit.Form

	orders   []store.Order
	top      int         // first history row shown
	order    store.Order // the order of the pay screen
	payments []store.BTCPayment
	hideQR   bool
	qrCache  qrCache

	err, notice string
	visible     bool // the pane is on screen
	ticking     bool // a countdown tick is pending
	tickGen     int  // ticks of older generations are dropped
}

type loadedMsg struct {
	orders []store.Order
	err    error
}

type orderMsg struct {
	order    store.Order
	payments []store.BTCPayment
	err      error
}

type openedMsg struct {
	order store.Order
	err   error
}

type tickMsg struct{ gen int }

// New makes the pane; pay nil shows it without payment methods.
func New(c *kit.Common, st Store, pay Payments) *Pane {
	w := &Pane{c: c, st: st, pay: pay}
	if p := pay; p != nil && !p.CardReady() && p.BitcoinReady() {
		w.method = methodBitcoin
	}
	return w
}

func (w *Pane) Title() string { return "Wallet" }

func (w *Pane) Init() tea.Cmd { return w.load() }

func (w *Pane) SetSize(width, height int) { w.w, w.h = width, height }

func (w *Pane) Capturing() bool { return w.mode == walletCustom }

func (w *Pane) packs() billing.Packs {
	if w.pay == nil {
		return billing.DefaultPacks()
	}
	return w.pay.Packs()
}

func (w *Pane) ready(method int) bool {
	p := w.pay
	if p == nil {
		return false
	}
	if method == methodCard {
		return p.CardReady()
	}
	return p.BitcoinReady()
}

func (w *Pane) now() time.Time { return w.st.Now() }

// Commands read c.UserID, never c.User: they run in their own goroutines
// while the update loop may replace c.User.

func (w *Pane) load() tea.Cmd {
	c, st, uid := w.c, w.st, w.c.UserID
	return func() tea.Msg {
		orders, err := st.Orders(c.Ctx, uid, walletHistory)
		return loadedMsg{orders: orders, err: err}
	}
}

func (w *Pane) loadOrder(number string) tea.Cmd {
	c, st, uid := w.c, w.st, w.c.UserID
	return func() tea.Msg {
		o, err := st.OrderByNumber(c.Ctx, number)
		if err != nil || o.UserID != uid {
			return orderMsg{err: store.ErrNoOrder}
		}
		var pays []store.BTCPayment
		if o.Processor == store.ProcessorBlockonomics {
			pays, err = st.BTCPayments(c.Ctx, o.ID)
		}
		return orderMsg{order: o, payments: pays, err: err}
	}
}

func (w *Pane) Update(msg tea.Msg) (kit.Pane, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			w.err = w.c.Explain(msg.err)
			return w, nil
		}
		w.orders = msg.orders
		w.row = min(w.row, rowHistory+max(0, len(w.orders)-1))
	case orderMsg:
		if msg.err == nil && w.mode == walletPay && msg.order.ID == w.order.ID {
			if msg.order.Status != w.order.Status {
				w.notice = "" // about the order as it was
			}
			w.order, w.payments = msg.order, msg.payments
		}
		return w, w.ensureTick()
	case openedMsg:
		return w, w.opened(msg)
	case tickMsg:
		return w, w.tick(msg)
	case kit.EventMsg:
		if msg.Event.Kind != store.EventOrder && !msg.Missed {
			return w, nil
		}
		cmds := []tea.Cmd{w.load()}
		if w.mode == walletPay && (msg.Missed || msg.Event.Ref == w.order.ID) {
			cmds = append(cmds, w.loadOrder(w.order.Number))
		}
		return w, tea.Batch(cmds...)
	case kit.ActivatedMsg:
		w.visible = true
		cmds := []tea.Cmd{w.load(), w.ensureTick()}
		if w.mode == walletPay {
			cmds = append(cmds, w.loadOrder(w.order.Number))
		}
		return w, tea.Batch(cmds...)
	case kit.DeactivatedMsg:
		w.visible = false
		w.stopTick()
	case tea.KeyMsg:
		w.visible = true // only the pane on screen gets keys
		if w.mode == walletOpening {
			return w, nil
		}
		return w, w.key(msg)
	}
	return w, nil
}

func (w *Pane) key(msg tea.KeyMsg) tea.Cmd {
	k := w.c.Keys
	switch w.mode {
	case walletCustom:
		return w.customKey(msg)
	case walletPay:
		switch {
		case key.Matches(msg, k.Back):
			w.mode, w.err, w.notice = walletChoose, "", ""
			w.stopTick()
			return w.load()
		case key.Matches(msg, k.ShowQR):
			w.hideQR = !w.hideQR
		case key.Matches(msg, k.Copy) && w.payable():
			w.copyPayment()
		}
		return nil
	}
	w.err, w.notice = "", ""
	switch {
	case key.Matches(msg, k.Up):
		w.row = max(0, w.row-1)
	case key.Matches(msg, k.Down):
		w.row = min(rowHistory+max(0, len(w.orders)-1), w.row+1)
		if len(w.orders) == 0 {
			w.row = min(w.row, rowMethod)
		}
	case key.Matches(msg, k.Left):
		w.choose(-1)
	case key.Matches(msg, k.Right):
		w.choose(+1)
	case key.Matches(msg, k.Enter):
		return w.enter()
	}
	return nil
}

// choose moves the selection of the focused row, skipping methods that are
// not configured.
func (w *Pane) choose(step int) {
	switch w.row {
	case rowAmount:
		n := len(w.packs().FixedCents) + 1
		w.amount = (w.amount + step + n) % n
	case rowMethod:
		for i := 1; i < methodCount; i++ {
			if m := (w.method + step*i + methodCount*i) % methodCount; w.ready(m) {
				w.method = m
				return
			}
		}
	}
}

// enter opens the chosen top-up, asks for the custom amount, or shows the
// focused order.
func (w *Pane) enter() tea.Cmd {
	if w.row >= rowHistory {
		if i := w.row - rowHistory; i < len(w.orders) {
			return w.show(w.orders[i])
		}
		return nil
	}
	if w.amount == len(w.packs().FixedCents) {
		w.mode = walletCustom
		w.form = kit.NewForm(w.c, kit.Field{Label: "Amount $", Limit: 12, Hint: w.rangeHint()})
		w.form.SetWidth(min(w.w, 40))
		if w.custom > 0 {
			w.form.SetValue(0, strings.TrimPrefix(store.FormatCents(w.custom), "$"))
		}
		return nil
	}
	return w.open(w.packs().FixedCents[w.amount])
}

func (w *Pane) rangeHint() string {
	p := w.packs()
	return store.FormatCents(p.MinCents) + " to " + store.FormatCents(p.MaxCents)
}

func (w *Pane) customKey(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, w.c.Keys.Back) {
		w.mode, w.form, w.err = walletChoose, nil, ""
		return nil
	}
	submit, cmd := w.form.Update(msg)
	if !submit {
		return cmd
	}
	cents, err := w.packs().ParseAmount(w.form.Value(0))
	if err != nil {
		w.err = err.Error()
		return nil
	}
	w.custom, w.form = cents, nil
	return w.open(cents)
}

// open starts a top-up of cents by the chosen method.
func (w *Pane) open(cents int64) tea.Cmd {
	if !w.ready(w.method) {
		w.err = "This payment method is not set up on this server."
		w.mode = walletChoose
		return nil
	}
	if err := w.c.User.CheckNotBanned(); err != nil {
		w.err, w.mode = w.c.Explain(err), walletChoose
		return nil
	}
	w.mode, w.err = walletOpening, ""
	ctx, user, p, method := w.c.Ctx, w.c.User, w.pay, w.method
	return func() tea.Msg {
		var o store.Order
		var err error
		if method == methodCard {
			o, err = p.OpenCard(ctx, user, cents)
		} else {
			o, err = p.OpenBitcoin(ctx, user, cents)
		}
		return openedMsg{order: o, err: err}
	}
}

func (w *Pane) opened(msg openedMsg) tea.Cmd {
	if msg.err != nil {
		w.mode, w.err = walletChoose, w.c.Explain(msg.err)
		return w.load()
	}
	return tea.Batch(w.show(msg.order), w.load())
}

// show opens the pay screen of an order.
func (w *Pane) show(o store.Order) tea.Cmd {
	if w.pay == nil {
		return nil // no payment desk, no links to draw
	}
	w.mode, w.order, w.payments, w.err, w.notice = walletPay, o, nil, "", ""
	return tea.Batch(w.loadOrder(o.Number), w.ensureTick())
}

// needTick is true while a countdown is on screen: the pay screen of a
// Bitcoin order whose price lock runs.
func (w *Pane) needTick() bool {
	o := w.order
	return w.visible && w.mode == walletPay && o.Processor == store.ProcessorBlockonomics &&
		(o.Status == store.OrderCreated || o.Status == store.OrderPending) &&
		!o.ExpiresAt.IsZero() && w.now().Before(o.ExpiresAt)
}

// ensureTick starts the one-second countdown tick if it is needed and not
// already running.
func (w *Pane) ensureTick() tea.Cmd {
	if w.ticking || !w.needTick() {
		return nil
	}
	w.ticking = true
	gen := w.tickGen
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

func (w *Pane) stopTick() {
	w.ticking = false
	w.tickGen++
}

func (w *Pane) tick(msg tickMsg) tea.Cmd {
	if msg.gen != w.tickGen {
		return nil
	}
	w.ticking = false
	return w.ensureTick()
}

// copyPayment puts what a payer pastes (the Checkout URL, the bitcoin
// address) on the clipboard.
func (w *Pane) copyPayment() {
	if w.c.Emit == nil {
		return
	}
	text, what := w.order.CheckoutURL, "payment link"
	if w.order.Processor == store.ProcessorBlockonomics {
		text, what = w.order.BTCAddress, "address"
	}
	w.c.CopyToClipboard(text)
	w.notice = "Copied the " + what + " to your clipboard."
}

func (w *Pane) ShortHelp() []key.Binding {
	k := w.c.Keys
	switch w.mode {
	case walletCustom:
		pay := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pay"))
		return []key.Binding{pay, k.Back}
	case walletPay:
		if w.payable() {
			return []key.Binding{k.Copy, k.ShowQR, k.Back}
		}
		return []key.Binding{k.Back}
	case walletOpening:
		return nil
	}
	rows := key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "row"))
	choose := key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "choose"))
	enter := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "pay or show"))
	return []key.Binding{rows, choose, enter}
}

func (w *Pane) FullHelp() [][]key.Binding {
	k := w.c.Keys
	if w.mode == walletChoose {
		return [][]key.Binding{{k.Up, k.Down}, {k.Left, k.Right}, {k.Enter}}
	}
	return [][]key.Binding{w.ShortHelp()}
}
