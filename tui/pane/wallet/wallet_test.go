package tui

import (
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
)

const (
	viewAddr     = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" // BIP 173's example
	viewCheckout = "https://checkout.stripe.com/c/pay/cs_test_a1b2c3#fidkdWxOYHwnPyd1blpxYHZxWjA0"
)

// walletEnv is a signed-in session over a real store with both payment
// methods configured (no processor is called: orders are made in the store).
type walletEnv struct {
	*viewEnv
	user store.User
	pay  *billing.Payments
}

func newWalletEnv(t *testing.T, configured bool) *walletEnv {
	t.Helper()
	return newWalletEnvAt(t, configured, "http://localhost:8080")
}

func newWalletEnvAt(t *testing.T, configured bool, publicURL string) *walletEnv {
	t.Helper()
	e := &walletEnv{viewEnv: newViewEnv(t)}
	// The same order numbers on every run: screens and QR codes are golden.
	clock := e.store.Now
	st, err := store.Open(filepath.Join(t.TempDir(), "wallet.db"), store.Options{Clock: clock,
		Rand: mathrand.NewChaCha8([32]byte{'w', 'a', 'l', 'l', 'e', 't'})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.store, e.c.Deps.Store = st, st
	cfg := billing.Config{PublicURL: publicURL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if configured {
		cfg.Stripe = billing.StripeConfig{SecretKey: "sk_test_view", WebhookSecret: "whsec_view"}
		cfg.Blockonomics = billing.BlockonomicsConfig{APIKey: "key", CallbackSecret: "secret-0123456789abcdef0123456789ab"}
	}
	pay, err := billing.NewPayments(e.store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.pay, e.c.Deps.Payments = pay, pay
	if e.user, err = e.store.CreateUser(context.Background(), "alice@example.com", "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	e.store.Move(context.Background(), store.Movement{UserID: e.user.ID, AmountCents: 1234, Kind: store.LedgerGrant, Reference: "g"})
	e.user, _ = e.store.UserByID(context.Background(), e.user.ID)
	return e
}

func (e *walletEnv) cardOrder(cents int64) store.Order {
	e.t.Helper()
	ctx := context.Background()
	o, err := e.store.CreateOrder(ctx, store.NewOrder{UserID: e.user.ID, Processor: store.ProcessorStripe, AmountCents: cents})
	if err != nil {
		e.t.Fatal(err)
	}
	o, err = e.store.AttachCheckout(ctx, o.Number, store.CheckoutRef{SessionID: "cs_" + o.Number, URL: viewCheckout,
		ExpiresAt: e.store.Now().Add(35 * time.Minute)})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *walletEnv) bitcoinOrder(cents int64) store.Order {
	e.t.Helper()
	ctx := context.Background()
	o, err := e.store.CreateOrder(ctx, store.NewOrder{UserID: e.user.ID, Processor: store.ProcessorBlockonomics, AmountCents: cents})
	if err != nil {
		e.t.Fatal(err)
	}
	q := billing.NewQuote(cents, 786685)
	o, err = e.store.AttachBitcoin(ctx, o.Number, store.BitcoinRef{Address: viewAddr, PriceCents: q.LockedCentsPerBTC,
		ExpectedSats: q.ExpectedSats, ExpiresAt: e.store.Now().Add(30 * time.Minute)})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// dashboard starts the signed-in dashboard at 80×24, on the Wallet pane.
func (e *walletEnv) dashboard() tea.Model { return e.dashboardAt(80, 24) }

func (e *walletEnv) dashboardAt(width, height int) tea.Model {
	var m tea.Model = New(e.c, &e.user)
	m = drive(m, m.Init()())
	m = drive(m, tea.WindowSizeMsg{Width: width, Height: height})
	return showPane(e.t, m, "Wallet")
}

// showPane switches to the pane with this title by its number key, as a
// person would, wherever it sits in the tab order.
func showPane(t *testing.T, m tea.Model, title string) tea.Model {
	t.Helper()
	for i, p := range m.(*Model).panes {
		if p.Title() == title {
			return drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rune('1' + i)}})
		}
	}
	t.Fatalf("no %s pane", title)
	return m
}

// walletPane is the session's Wallet pane.
func walletPane(t *testing.T, m tea.Model) *wallet {
	t.Helper()
	for _, p := range m.(*Model).panes {
		if w, ok := p.(*wallet); ok {
			return w
		}
	}
	t.Fatal("no Wallet pane")
	return nil
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(m tea.Model, keys ...string) tea.Model {
	for _, k := range keys {
		m = drive(m, keyMsg(k))
	}
	return m
}

// eventFor delivers a store event the way the root's subscription would.
func (e *walletEnv) event(m tea.Model, kind store.EventKind, ref int64) tea.Model {
	return drive(m, eventMsg{event: store.Event{UserID: e.user.ID, Kind: kind, Ref: ref}})
}

func TestViewWalletChoose(t *testing.T) {
	e := newWalletEnv(t, true)
	ctx := context.Background()
	paid := e.cardOrder(1000)
	if _, err := e.store.ApplyStripe(ctx, store.StripeUpdate{EventID: "evt", Outcome: store.StripePaid,
		SessionID: paid.SessionID, AmountTotal: 1000, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	e.bitcoinOrder(2500)
	e.user, _ = e.store.UserByID(ctx, e.user.ID)
	m := e.dashboard()
	golden(t, "wallet_80x24", m.View(), 80, 24)
	m = press(m, "down", "right") // bitcoin
	if v := m.View(); !strings.Contains(v, "[bitcoin]") || !strings.Contains(v, "pay $5.00 in bitcoin") {
		t.Fatalf("bitcoin not chosen:\n%s", v)
	}
	m = press(m, "down", "down", "enter") // the second order of the history: the paid card one
	if v := m.View(); !strings.Contains(v, "Order "+paid.Number) || !strings.Contains(v, "✓ paid: $10.00 credited") {
		t.Fatalf("history row did not open its order:\n%s", v)
	}
}

func TestViewWalletUnconfigured(t *testing.T) {
	e := newWalletEnv(t, false)
	m := e.dashboard()
	golden(t, "wallet_unconfigured_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	if orders, _ := e.store.Orders(context.Background(), e.user.ID, 5); len(orders) != 0 {
		t.Fatalf("an unconfigured method opened an order: %+v", orders)
	}
}

func TestViewWalletCustomAmount(t *testing.T) {
	e := newWalletEnv(t, true)
	m := e.dashboard()
	for range 5 {
		m = press(m, "right")
	}
	m = press(m, "enter")
	m = press(m, "q", "1") // typed into the field, not quitting nor switching pane
	golden(t, "wallet_custom_80x24", m.View(), 80, 24)
	m = press(m, "enter")
	if v := m.View(); !strings.Contains(v, "not a number") {
		t.Fatalf("bad amount accepted:\n%s", v)
	}
}

func TestViewWalletBanned(t *testing.T) {
	e := newWalletEnv(t, true)
	e.user.BannedAt = time.Unix(1, 0)
	m := press(e.dashboard(), "enter")
	if v := m.View(); !strings.Contains(v, "suspended") {
		t.Fatalf("banned account not told:\n%s", v)
	}
	if orders, _ := e.store.Orders(context.Background(), e.user.ID, 5); len(orders) != 0 {
		t.Fatalf("a banned account opened an order: %+v", orders)
	}
}

// The card pay screen shows the OSC 8 link to Checkout, the short link and
// a QR code of it that a camera decodes off the 80×24 screen; it turns
// paid live when the webhook's events arrive.
func TestViewWalletCardLive(t *testing.T) {
	e := newWalletEnv(t, true)
	o := e.cardOrder(1000)
	m := press(e.dashboard(), "down", "down", "enter")
	view := m.View()
	golden(t, "wallet_card_80x24", view, 80, 24)
	link := e.pay.PayLink(o.Number)
	if got := decodeScreenQR(t, view); got != link {
		t.Fatalf("QR on screen decodes to %q, want %q", got, link)
	}
	if !strings.Contains(view, "\x1b]8;;"+viewCheckout+"\x1b\\") {
		t.Fatal("no OSC 8 link to the Checkout page")
	}
	if _, err := e.store.ApplyStripe(context.Background(), store.StripeUpdate{EventID: "evt", Outcome: store.StripePaid,
		SessionID: o.SessionID, AmountTotal: 1000, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	m = e.event(m, store.EventOrder, o.ID)
	view = m.View()
	if !strings.Contains(view, "✓ paid: $10.00 credited") || !strings.Contains(view, "$22.34") || strings.Contains(view, "▀") {
		t.Fatalf("not paid live (or the QR code stayed):\n%s", view)
	}
}

// A public URL too long for the link to sit beside the QR code: the link
// goes under it, whole, and everything still fits 80×24.
func TestViewWalletCardLongLink(t *testing.T) {
	e := newWalletEnvAt(t, true, "https://payments.wantsms.example")
	o := e.cardOrder(1000)
	view := press(e.dashboard(), "down", "down", "enter").View()
	link := e.pay.PayLink(o.Number)
	if !strings.Contains(view, "\n  "+link) {
		t.Fatalf("the link %q is not whole on a line:\n%s", link, view)
	}
	if got := decodeScreenQR(t, view); got != link {
		t.Fatalf("QR decodes to %q", got)
	}
	if lines := strings.Split(view, "\n"); len(lines) > 24 {
		t.Fatalf("%d lines", len(lines))
	}
}

// The Bitcoin pay screen: amount, address, QR of the bitcoin: URI, the
// countdown of the price lock and the live status.
func TestViewWalletBitcoinLive(t *testing.T) {
	e := newWalletEnv(t, true)
	o := e.bitcoinOrder(1000)
	m := press(e.dashboard(), "down", "down", "enter")
	view := m.View()
	golden(t, "wallet_bitcoin_80x24", view, 80, 24)
	if got, want := decodeScreenQR(t, view), billing.PaymentURI(viewAddr, o.BTCExpectedSats); got != want {
		t.Fatalf("QR on screen decodes to %q, want %q", got, want)
	}
	for _, want := range []string{"0.00127116 BTC", "locked for 30:00 more", "waiting"} {
		if !strings.Contains(view, want) {
			t.Errorf("no %q on the screen", want)
		}
	}
	// v trades the QR code for the address on one line, to copy it.
	if v := press(m, "v").View(); !strings.Contains(v, viewAddr) || strings.Contains(v, "▀") || !strings.Contains(v, "0.00127116 BTC") {
		t.Fatalf("v did not show the address whole without the QR code:\n%s", v)
	}
	m = press(m, "v")
	var emitted []string
	e.c.Emit = func(seq string) { emitted = append(emitted, seq) }
	m = press(m, "c")
	if len(emitted) != 1 || emitted[0] != "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(viewAddr))+"\a" ||
		!strings.Contains(m.View(), "Copied the address") {
		t.Fatalf("c copied %q", emitted)
	}
	steps := []struct {
		status int
		want   string
	}{{0, "BTC in the mempool"}, {1, "1 confirmation"}, {2, "✓ $10.00 credited"}}
	for _, s := range steps {
		if _, err := e.store.ApplyBTC(context.Background(), store.BTCUpdate{Addr: viewAddr, Txid: strings.Repeat("a", 64),
			Status: s.status, ValueSats: o.BTCExpectedSats}, creditQuoted); err != nil {
			t.Fatal(err)
		}
		m = e.event(m, store.EventOrder, o.ID)
		if v := m.View(); !strings.Contains(v, s.want) {
			t.Fatalf("status %d: no %q:\n%s", s.status, s.want, v)
		}
	}
	if strings.Contains(m.View(), "Copied") {
		t.Error("the copy notice outlived the order's change")
	}
	golden(t, "wallet_bitcoin_paid_80x24", m.View(), 80, 24)
}

func creditQuoted(o store.Order, before, total int64) (int64, string) {
	return o.AmountCents, "paid as quoted"
}

// The smallest window the dashboard allows: the history drops columns, the
// Bitcoin screen keeps the address whole and says the QR code needs room.
func TestViewWalletSmallestWindow(t *testing.T) {
	e := newWalletEnv(t, true)
	e.cardOrder(1000)
	e.bitcoinOrder(2500)
	m := e.dashboardAt(MinWidth, MinHeight)
	golden(t, "wallet_64x20", m.View(), MinWidth, MinHeight)
	m = press(m, "down", "down", "enter")
	golden(t, "wallet_bitcoin_64x20", m.View(), MinWidth, MinHeight)
}

// The countdown ticks only while it is on screen.
func TestWalletTicksOnlyWhileVisible(t *testing.T) {
	e := newWalletEnv(t, true)
	e.bitcoinOrder(1000)
	m := press(e.dashboard(), "down", "down", "enter")
	w := walletPane(t, m)
	if !w.ticking {
		t.Fatal("no tick while the countdown is shown")
	}
	gen := w.tickGen
	m = showPane(t, m, "Account")
	if w.ticking || w.visible {
		t.Fatal("still ticking with the pane hidden")
	}
	if _, cmd := w.Update(walletTickMsg{gen: gen}); cmd != nil {
		t.Fatal("a stale tick re-armed the timer")
	}
	m = showPane(t, m, "Wallet")
	if !w.ticking {
		t.Fatal("no tick after coming back")
	}
	m = press(m, "esc")
	if w.ticking {
		t.Fatal("ticking after leaving the pay screen")
	}
	_ = m
}

// decodeScreenQR finds the QR code drawn in a view (the widest run of
// half-block rows at the same column) and decodes it like a camera would.
func decodeScreenQR(t *testing.T, view string) string {
	t.Helper()
	var rows []string
	col := -1
	for _, line := range strings.Split(ansi.Strip(view), "\n") {
		r := []rune(line)
		start := strings.IndexFunc(line, isBlock)
		if start < 0 {
			if rows != nil {
				break
			}
			continue
		}
		c := len([]rune(line[:start]))
		end := c
		for end < len(r) && (isBlock(r[end]) || r[end] == ' ') {
			end++
		}
		for end > c && r[end-1] == ' ' {
			end--
		}
		if col >= 0 && c != col {
			break
		}
		col = c
		rows = append(rows, string(r[c:end]))
	}
	if len(rows) == 0 {
		t.Fatalf("no QR code on the screen:\n%s", view)
	}
	return decodeRows(t, rows)
}

func isBlock(r rune) bool { return r == '█' || r == '▀' || r == '▄' }

// decodeRows paints light-ink half blocks (a dark theme: inked = light)
// on a dark field and hands the picture to ZXing.
func decodeRows(t *testing.T, rows []string) string {
	t.Helper()
	const scale, margin = 4, 8
	w := 0
	for _, r := range rows {
		w = max(w, len([]rune(r)))
	}
	img := image.NewGray(image.Rect(0, 0, (w+2*margin)*scale, (2*len(rows)+2*margin)*scale))
	for y, row := range rows {
		for x, r := range []rune(row) {
			top, bottom := r == '█' || r == '▀', r == '█' || r == '▄'
			fill(img, x+margin, 2*y+margin, scale, top)
			fill(img, x+margin, 2*y+1+margin, scale, bottom)
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the screen's QR code: %v\n%s", err, strings.Join(rows, "\n"))
	}
	return res.GetText()
}

func fill(img *image.Gray, mx, my, scale int, light bool) {
	v := uint8(0)
	if light {
		v = 255
	}
	for y := my * scale; y < (my+1)*scale; y++ {
		for x := mx * scale; x < (mx+1)*scale; x++ {
			img.SetGray(x, y, color.Gray{v})
		}
	}
}
