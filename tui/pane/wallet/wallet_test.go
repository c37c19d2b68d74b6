package wallet_test

import (
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/pane/wallet"
	"github.com/wantsms/wantsms/tui/tuitest"
)

const (
	viewAddr     = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" // BIP 173's example
	viewCheckout = "https://checkout.stripe.com/c/pay/cs_test_a1b2c3#fidkdWxOYHwnPyd1blpxYHZxWjA0"
)

// walletEnv is a signed-in session over a real store with both payment
// methods configured (no processor is called: orders are made in the store).
type walletEnv struct {
	*tuitest.Env
	user store.User
	pay  *billing.Payments
}

func newWalletEnv(t *testing.T, configured bool) *walletEnv {
	t.Helper()
	return newWalletEnvAt(t, configured, "http://localhost:8080")
}

func newWalletEnvAt(t *testing.T, configured bool, publicURL string) *walletEnv {
	t.Helper()
	e := &walletEnv{Env: tuitest.New(t)}
	// The same order numbers on every run: screens and QR codes are golden.
	clock := e.Store.Now
	st, err := store.Open(testdb.Path(t), store.Options{Clock: clock,
		Rand: mathrand.NewChaCha8([32]byte{'w', 'a', 'l', 'l', 'e', 't'})})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.UseStore(st)
	cfg := billing.Config{PublicURL: publicURL, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if configured {
		cfg.Stripe = billing.StripeConfig{SecretKey: "sk_test_view", WebhookSecret: "whsec_view"}
		cfg.Blockonomics = billing.BlockonomicsConfig{APIKey: "key", CallbackSecret: "secret-0123456789abcdef0123456789ab"}
	}
	pay, err := billing.NewPayments(e.Store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.pay, e.Deps.Payments = pay, pay
	if e.user, err = e.Store.CreateUser(context.Background(), "alice@example.com", "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.MarkEmailVerified(context.Background(), e.user.Email, "test"); err != nil {
		t.Fatal(err)
	}
	e.Store.Move(context.Background(), store.Movement{UserID: e.user.ID, AmountCents: 1234, Kind: store.LedgerGrant, Reference: "g"})
	e.user, _ = e.Store.UserByID(context.Background(), e.user.ID)
	return e
}

func (e *walletEnv) cardOrder(cents int64) store.Order {
	e.T.Helper()
	ctx := context.Background()
	o, err := e.Store.CreateOrder(ctx, store.NewOrder{UserID: e.user.ID, Processor: store.ProcessorStripe, AmountCents: cents})
	if err != nil {
		e.T.Fatal(err)
	}
	o, err = e.Store.AttachCheckout(ctx, o.Number, store.CheckoutRef{SessionID: "cs_" + o.Number, URL: viewCheckout,
		ExpiresAt: e.Store.Now().Add(35 * time.Minute)})
	if err != nil {
		e.T.Fatal(err)
	}
	return o
}

func (e *walletEnv) bitcoinOrder(cents int64) store.Order {
	e.T.Helper()
	ctx := context.Background()
	o, err := e.Store.CreateOrder(ctx, store.NewOrder{UserID: e.user.ID, Processor: store.ProcessorBlockonomics, AmountCents: cents})
	if err != nil {
		e.T.Fatal(err)
	}
	q := billing.NewQuote(cents, 786685)
	o, err = e.Store.AttachBitcoin(ctx, o.Number, store.BitcoinRef{Address: viewAddr, PriceCents: q.LockedCentsPerBTC,
		ExpectedSats: q.ExpectedSats, ExpiresAt: e.Store.Now().Add(30 * time.Minute)})
	if err != nil {
		e.T.Fatal(err)
	}
	return o
}

// dashboard starts the signed-in dashboard at 80×24, on the Wallet pane.
func (e *walletEnv) dashboard() tea.Model { return e.dashboardAt(80, 24) }

func (e *walletEnv) dashboardAt(width, height int) tea.Model {
	var m tea.Model = tui.New(e.C, e.Deps, &e.user)
	m = tuitest.Drive(m, m.Init()())
	m = tuitest.Drive(m, tea.WindowSizeMsg{Width: width, Height: height})
	return tuitest.ShowPane(e.T, m, "Wallet")
}

// event delivers a store event the way the root's subscription would.
func (e *walletEnv) event(m tea.Model, kind store.EventKind, ref int64) tea.Model {
	return tuitest.Drive(m, kit.EventMsg{Event: store.Event{UserID: e.user.ID, Kind: kind, Ref: ref}})
}

func TestViewWalletChoose(t *testing.T) {
	e := newWalletEnv(t, true)
	ctx := context.Background()
	paid := e.cardOrder(1000)
	if _, err := e.Store.ApplyStripe(ctx, store.StripeUpdate{EventID: "evt", Outcome: store.StripePaid,
		SessionID: paid.SessionID, AmountTotal: 1000, Currency: "usd"}); err != nil {
		t.Fatal(err)
	}
	e.bitcoinOrder(2500)
	e.user, _ = e.Store.UserByID(ctx, e.user.ID)
	m := e.dashboard()
	tuitest.Golden(t, "wallet_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "down", "right") // bitcoin
	if v := m.View(); !strings.Contains(v, "[bitcoin]") || !strings.Contains(v, "pay $5.00 in bitcoin") {
		t.Fatalf("bitcoin not chosen:\n%s", v)
	}
	m = tuitest.Press(m, "down", "down", "enter") // the second order of the history: the paid card one
	if v := m.View(); !strings.Contains(v, "Order "+paid.Number) || !strings.Contains(v, "✓ paid: $10.00 credited") {
		t.Fatalf("history row did not open its order:\n%s", v)
	}
}

func TestViewWalletUnconfigured(t *testing.T) {
	e := newWalletEnv(t, false)
	m := e.dashboard()
	tuitest.Golden(t, "wallet_unconfigured_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	if orders, _ := e.Store.Orders(context.Background(), e.user.ID, 5); len(orders) != 0 {
		t.Fatalf("an unconfigured method opened an order: %+v", orders)
	}
}

func TestViewWalletCustomAmount(t *testing.T) {
	e := newWalletEnv(t, true)
	m := e.dashboard()
	for range 5 {
		m = tuitest.Press(m, "right")
	}
	m = tuitest.Press(m, "enter")
	m = tuitest.Press(m, "q", "1") // typed into the field, not quitting nor switching pane
	tuitest.Golden(t, "wallet_custom_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "enter")
	if v := m.View(); !strings.Contains(v, "not a number") {
		t.Fatalf("bad amount accepted:\n%s", v)
	}
}

// An account whose address is not verified sees how far it may top up
// before it chooses; beyond it, the refusal says why and opens nothing.
func TestViewWalletUnverified(t *testing.T) {
	e := newWalletEnv(t, true)
	ctx := context.Background()
	u, err := e.Store.CreateUser(ctx, "new@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	e.user = u
	m := e.dashboard()
	tuitest.Golden(t, "wallet_unverified_80x24", m.View(), 80, 24)
	m = tuitest.Press(m, "right", "right", "enter") // $25
	if v := m.View(); !strings.Contains(v, "verify your email address to top up more: until then top-ups are") {
		t.Fatalf("the refusal:\n%s", v)
	}
	if orders, _ := e.Store.Orders(ctx, u.ID, 5); len(orders) != 0 {
		t.Fatalf("an order beyond the limit: %+v", orders)
	}
}

func TestViewWalletBanned(t *testing.T) {
	e := newWalletEnv(t, true)
	e.user.BannedAt = time.Unix(1, 0)
	m := tuitest.Press(e.dashboard(), "enter")
	if v := m.View(); !strings.Contains(v, "suspended") {
		t.Fatalf("banned account not told:\n%s", v)
	}
	if orders, _ := e.Store.Orders(context.Background(), e.user.ID, 5); len(orders) != 0 {
		t.Fatalf("a banned account opened an order: %+v", orders)
	}
}

// The card pay screen shows the OSC 8 link to Checkout, the short link and
// a QR code of it that a camera decodes off the 80×24 screen; it turns
// paid live when the webhook's events arrive.
func TestViewWalletCardLive(t *testing.T) {
	e := newWalletEnv(t, true)
	o := e.cardOrder(1000)
	m := tuitest.Press(e.dashboard(), "down", "down", "enter")
	view := m.View()
	tuitest.Golden(t, "wallet_card_80x24", view, 80, 24)
	link := e.pay.PayLink(o.Number)
	if got := decodeScreenQR(t, view); got != link {
		t.Fatalf("QR on screen decodes to %q, want %q", got, link)
	}
	if !strings.Contains(view, "\x1b]8;;"+viewCheckout+"\x1b\\") {
		t.Fatal("no OSC 8 link to the Checkout page")
	}
	if _, err := e.Store.ApplyStripe(context.Background(), store.StripeUpdate{EventID: "evt", Outcome: store.StripePaid,
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
	view := tuitest.Press(e.dashboard(), "down", "down", "enter").View()
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
	m := tuitest.Press(e.dashboard(), "down", "down", "enter")
	view := m.View()
	tuitest.Golden(t, "wallet_bitcoin_80x24", view, 80, 24)
	if got, want := decodeScreenQR(t, view), billing.PaymentURI(viewAddr, o.BTCExpectedSats); got != want {
		t.Fatalf("QR on screen decodes to %q, want %q", got, want)
	}
	for _, want := range []string{"0.00127116 BTC", "locked for 30:00 more", "waiting"} {
		if !strings.Contains(view, want) {
			t.Errorf("no %q on the screen", want)
		}
	}
	// v trades the QR code for the address on one line, to copy it.
	if v := tuitest.Press(m, "v").View(); !strings.Contains(v, viewAddr) || strings.Contains(v, "▀") || !strings.Contains(v, "0.00127116 BTC") {
		t.Fatalf("v did not show the address whole without the QR code:\n%s", v)
	}
	m = tuitest.Press(m, "v")
	var emitted []string
	e.C.Emit = func(seq string) { emitted = append(emitted, seq) }
	m = tuitest.Press(m, "c")
	if len(emitted) != 1 || emitted[0] != "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(viewAddr))+"\a" ||
		!strings.Contains(m.View(), "Copied the address") {
		t.Fatalf("c copied %q", emitted)
	}
	steps := []struct {
		status int
		want   string
	}{{0, "BTC in the mempool"}, {1, "1 confirmation"}, {2, "✓ $10.00 credited"}}
	for _, s := range steps {
		if _, err := e.Store.ApplyBTC(context.Background(), store.BTCUpdate{Addr: viewAddr, Txid: strings.Repeat("a", 64),
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
	tuitest.Golden(t, "wallet_bitcoin_paid_80x24", m.View(), 80, 24)
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
	m := e.dashboardAt(tui.MinWidth, tui.MinHeight)
	tuitest.Golden(t, "wallet_64x20", m.View(), tui.MinWidth, tui.MinHeight)
	m = tuitest.Press(m, "down", "down", "enter")
	tuitest.Golden(t, "wallet_bitcoin_64x20", m.View(), tui.MinWidth, tui.MinHeight)
}

// The countdown ticks only while it is on screen.
func TestWalletTicksOnlyWhileVisible(t *testing.T) {
	e := newWalletEnv(t, true)
	e.bitcoinOrder(1000)
	m := tuitest.Press(e.dashboard(), "down", "down", "enter")
	w := tuitest.Pane(t, m, "Wallet")
	if ticking, _, _ := wallet.TickState(w); !ticking {
		t.Fatal("no tick while the countdown is shown")
	}
	_, _, gen := wallet.TickState(w)
	m = tuitest.ShowPane(t, m, "Account")
	if ticking, visible, _ := wallet.TickState(w); ticking || visible {
		t.Fatal("still ticking with the pane hidden")
	}
	if _, cmd := w.Update(wallet.TickMsg(gen)); cmd != nil {
		t.Fatal("a stale tick re-armed the timer")
	}
	m = tuitest.ShowPane(t, m, "Wallet")
	if ticking, _, _ := wallet.TickState(w); !ticking {
		t.Fatal("no tick after coming back")
	}
	m = tuitest.Press(m, "esc")
	if ticking, _, _ := wallet.TickState(w); ticking {
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
