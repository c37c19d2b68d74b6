package wallet

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/qr"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// minTextCols is the narrowest text column kept beside a QR code.
const minTextCols = 30

// payLabel is the width of the labels of the pay screen.
const payLabel = 8

func (w *Pane) payView() string {
	if w.order.Processor == store.ProcessorBlockonomics {
		return w.bitcoinView()
	}
	return w.cardView()
}

// payable is true while the order waits for its payment: its link,
// address and QR code are shown only then. Once coins are seen or a
// delayed card payment is on its way they go, so nobody pays twice.
func (w *Pane) payable() bool {
	o := w.order
	return w.mode == walletPay && o.Status == store.OrderCreated && !o.ExpiresAt.IsZero() && w.now().Before(o.ExpiresAt)
}

// showQR is true while the QR code is on screen (v hides it).
func (w *Pane) showQR() bool { return w.payable() && !w.hideQR }

func (w *Pane) label(s string) string {
	return w.c.Styles.Muted.Width(payLabel).Render(s)
}

func (w *Pane) cardView() string {
	st := w.c.Styles
	o := w.order
	link := w.pay.PayLink(o.Number)
	lines := []string{
		st.Title.Render("Pay " + store.FormatCents(o.AmountCents) + " by card"),
		st.Muted.Render("Order " + o.Number),
		"",
	}
	// The plain link must stay on one line to be copied: beside the QR code
	// when it fits there, else under it at full width.
	_, _, beside := w.payQR()
	beside = beside || !w.showQR()
	if w.payable() {
		lines = append(lines, hyperlink(o.CheckoutURL, st.Link.Render("Open the payment page")))
		if beside {
			lines = append(lines, st.Text.Render(link))
		}
		lines = append(lines,
			st.Muted.Render(w.scanHint()),
			"",
			st.Muted.Render("Card details go to Stripe only,"),
			st.Muted.Render("never through WantSMS."),
			"")
	}
	lines = append(lines, w.cardStatus()...)
	lines = append(lines, "", w.payBalanceLine())
	if m := w.message(); m != "" {
		lines = append(lines, "", m)
	}
	view := w.besideQR(lines)
	if w.showQR() && !beside {
		view += "\n" + st.Text.Render(link)
	}
	return view
}

func (w *Pane) scanHint() string {
	if w.hideQR {
		return "v shows a QR code for your phone."
	}
	return "or scan the code with your phone."
}

func (w *Pane) cardStatus() []string {
	st := w.c.Styles
	o := w.order
	var first, second string
	switch {
	case o.Status == store.OrderPaid:
		first = st.Success.Render("✓ paid: " + store.FormatCents(o.Credited) + " credited")
	case o.Status == store.OrderPending:
		first, second = st.Warning.Render("◐ payment processing"), st.Muted.Render("credited when it clears")
	case o.Status == store.OrderFailed:
		first = st.Error.Render("✗ payment failed")
		if o.Note != "" {
			second = st.Muted.Render(sanitize.Line(o.Note))
		}
	case o.Status == store.OrderReview:
		first = st.Warning.Render("◐ paid, under review: nothing credited yet")
		second = st.Muted.Render("not as ordered (" + sanitize.Line(o.Note) + "): support settles it")
	case o.Status == store.OrderRefunded || o.Status == store.OrderDisputed:
		first = st.Error.Render("↺ " + string(o.Status) + ": " + store.FormatCents(o.Reversed) + " of " +
			store.FormatCents(o.Credited) + " credited taken back")
		if d := w.c.User.DebtCents; d > 0 {
			second = st.Warning.Render("you owe " + store.FormatCents(d) + ": your next top-up pays it first")
		}
	case o.Status == store.OrderExpired || (o.Status == store.OrderCreated && !w.now().Before(o.ExpiresAt)):
		first, second = st.Muted.Render("✗ expired: nothing was charged"), st.Muted.Render("open a new top-up")
	default:
		first = st.Warning.Render("○ waiting for payment")
		second = st.Muted.Render("open until " + o.ExpiresAt.UTC().Format("15:04") + " UTC")
	}
	lines := []string{w.label("Status") + first}
	if second != "" {
		lines = append(lines, w.label("")+second)
	}
	return lines
}

func (w *Pane) bitcoinView() string {
	st := w.c.Styles
	o := w.order
	lines := []string{
		st.Title.Render("Pay " + store.FormatCents(o.AmountCents) + " in Bitcoin"),
		st.Muted.Render("Order " + o.Number),
		"",
	}
	if w.payable() {
		lines = append(lines, w.label("Send")+st.Strong.Render(billing.FormatBTC(o.BTCExpectedSats)+" BTC"))
		lines = append(lines, w.addressLines(o.BTCAddress)...)
		lines = append(lines, "")
	}
	lines = append(lines, w.label("Price")+st.Text.Render(store.FormatCents(o.BTCPriceCents)+" per BTC"))
	if o.Status != store.OrderPaid {
		lines = append(lines, w.label("")+w.lockLine())
	}
	lines = append(lines, "")
	lines = append(lines, w.bitcoinStatus()...)
	lines = append(lines, "", w.payBalanceLine())
	if m := w.message(); m != "" {
		lines = append(lines, "", m)
	}
	return w.besideQR(lines)
}

// addressLines shows the address after "to", cut into pieces when the
// column beside the QR code is too narrow (v shows it on one line).
func (w *Pane) addressLines(addr string) []string {
	st := w.c.Styles
	width := max(w.textCols()-payLabel, 8)
	var out []string
	for i := 0; i < len(addr); i += width {
		lbl := ""
		if i == 0 {
			lbl = "to"
		}
		out = append(out, w.label(lbl)+st.Strong.Render(addr[i:min(len(addr), i+width)]))
	}
	return out
}

func (w *Pane) lockLine() string {
	st := w.c.Styles
	o := w.order
	left := o.ExpiresAt.Sub(w.now()).Truncate(time.Second)
	switch {
	case left > 0:
		return st.Warning.Render(fmt.Sprintf("locked for %d:%02d more", int(left.Minutes()), int(left.Seconds())%60))
	}
	return st.Muted.Render("lock ended: new coins re-priced")
}

// bitcoinStep is how far the payment got: waiting, seen, confirming, paid.
func (w *Pane) bitcoinStep() (step int, p store.BTCPayment) {
	if w.order.Status == store.OrderPaid {
		return 3, p
	}
	for _, q := range w.payments {
		if q.Status+1 > step {
			step, p = q.Status+1, q
		}
	}
	return step, p
}

func (w *Pane) bitcoinStatus() []string {
	st := w.c.Styles
	step, p := w.bitcoinStep()
	names := []string{"waiting", "seen", "confirming", "paid"}
	parts := make([]string, len(names))
	for i, n := range names {
		switch {
		case i < step:
			parts[i] = st.Success.Render(n)
		case i == step:
			parts[i] = st.Selected.Render(n)
		default:
			parts[i] = st.Muted.Render(n)
		}
	}
	sep := " › "
	if w.textCols() < payLabel+34 { // "waiting › seen › confirming › paid"
		sep = "›"
	}
	lines := []string{w.label("Status") + strings.Join(parts, st.Muted.Render(sep))}
	for _, d := range w.bitcoinDetail(step, p) {
		lines = append(lines, w.label("")+st.Muted.Render(d))
	}
	return lines
}

// bitcoinDetail says more about the step the payment is at.
func (w *Pane) bitcoinDetail(step int, p store.BTCPayment) []string {
	o := w.order
	switch step {
	case 0:
		if o.Status == store.OrderExpired {
			return []string{"expired: nothing arrived"}
		}
		return []string{"send the exact amount above"}
	case 1:
		d := []string{billing.FormatBTC(p.ValueSats) + " BTC in the mempool"}
		if p.RBF {
			d = append(d, "replaceable (RBF): not final yet")
		}
		return d
	case 2:
		return []string{billing.FormatBTC(p.ValueSats) + " BTC, 1 confirmation"}
	}
	d := []string{"✓ " + store.FormatCents(o.Credited) + " credited"}
	if o.Note != "" && o.Note != "paid as quoted" {
		note := lipgloss.NewStyle().Width(max(10, w.textCols()-payLabel)).Render(sanitize.Line(o.Note))
		d = append(d, strings.Split(note, "\n")...)
	}
	return d
}

// textCols is the width of the text column of the pay screen.
func (w *Pane) textCols() int {
	if !w.showQR() {
		return w.w
	}
	if code, _, _ := w.payQR(); code != nil {
		return w.w - code.Cols() - 1
	}
	return w.w
}

// besideQR puts the text on the left and the order's QR code on the right
// (or a note when the window is too small for one).
func (w *Pane) besideQR(left []string) string {
	text := lipgloss.JoinVertical(lipgloss.Left, left...)
	if !w.showQR() {
		return text
	}
	code, style, _ := w.payQR()
	if code == nil {
		return text + "\n" + w.c.Styles.Muted.Render("Enlarge the window to see the QR code.")
	}
	qrLines := make([]string, len(code.Lines))
	for i, l := range code.Lines {
		qrLines[i] = style.Render(l)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(w.w-code.Cols()-1).Render(text), " ",
		strings.Join(qrLines, "\n"))
}

// payQR is the QR code of the pay screen: narrow enough to leave its
// one-line text (the link, the address) whole beside it when it can be
// (beside), else as wide as minTextCols allows, leaving reserve rows under
// it for that text. nil when the window holds no code.
func (w *Pane) payQR() (code *qr.Code, style lipgloss.Style, beside bool) {
	o := w.order
	content, mustFit, reserve := billing.PaymentURI(o.BTCAddress, o.BTCExpectedSats), payLabel+len(o.BTCAddress), 0
	if o.Processor == store.ProcessorStripe {
		link := w.pay.PayLink(o.Number)
		content, mustFit, reserve = link, len(link), 1
	}
	ink, style := w.qrInk()
	if code := w.qrCache.get(content, qr.Options{Ink: ink, MaxCols: w.w - mustFit - 1, MaxRows: w.h}); code != nil {
		return code, style, true
	}
	return w.qrCache.get(content, qr.Options{Ink: ink, MaxCols: w.w - minTextCols - 1, MaxRows: w.h - reserve}), style, false
}

// qrInk picks the polarity: black on white when the terminal has colours
// (the sturdiest for a camera), else the terminal's own colours.
func (w *Pane) qrInk() (qr.Ink, lipgloss.Style) {
	r := w.c.Styles.Renderer()
	if r.ColorProfile() != termenv.Ascii {
		return qr.DarkInk, w.c.Styles.QR
	}
	if r.HasDarkBackground() {
		return qr.LightInk, lipgloss.NewStyle()
	}
	return qr.DarkInk, lipgloss.NewStyle()
}

// qrCache keeps the codes of the last content drawn (one per size tried):
// views are redrawn far more often than their content changes.
type qrCache struct {
	content string
	codes   map[qr.Options]*qr.Code // nil: does not fit
}

func (c *qrCache) get(content string, o qr.Options) *qr.Code {
	if c.content != content || c.codes == nil {
		c.content, c.codes = content, map[qr.Options]*qr.Code{}
	}
	code, ok := c.codes[o]
	if !ok {
		var err error
		if code, err = qr.Render(content, o); err != nil {
			code = nil
		}
		c.codes[o] = code
	}
	return code
}

// hyperlink wraps text in an OSC 8 link to url, which terminals that
// support it make clickable (others show the text). A URL with anything
// but printable ASCII is not linked: it could end the sequence early.
func hyperlink(url, text string) string {
	if url == "" {
		return text
	}
	for i := 0; i < len(url); i++ {
		if url[i] < 0x21 || url[i] > 0x7e {
			return text
		}
	}
	return "\x1b]8;;" + url + "\x1b\\" + text + "\x1b]8;;\x1b\\"
}
