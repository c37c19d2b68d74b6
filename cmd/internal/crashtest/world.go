package crashtest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/cmd/internal/mail/smtptest"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// Credentials of the run: test values for fakes only.
const (
	stripeKey     = "sk_test_crash"
	stripeWebhook = "whsec_crash_run"
	btcKey        = "bk_crash"
	btcSecret     = "cb-crash-run-0123456789abcdef0123"
	hookSecret    = "crash hook secret"
	btcPrice      = 786685 // US cents per BTC
	mailFrom      = "WantSMS <no-reply@crash.example>"
	// smtpTimeout is short, so that a mail a killed server was sending is
	// taken over (after twice this and a margin) within the run.
	smtpTimeout = 2 * time.Second
)

// person is an account with a linked key.
type person struct {
	id     int64
	email  string
	key    ssh.Signer
	funded bool // seeded with credits
}

// world is everything a run needs: the data directory seeded with
// accounts and open orders, the fake upstreams (which outlive every
// server process, as real ones would), the server and the record of what
// the server acknowledged.
type world struct {
	t         *testing.T
	cfg       Config
	dir       string
	db        *sql.DB // a read-only connection of our own
	server    *server
	up        *fake.Server
	btc       *blockonomicsfake.Fake
	mail      *smtptest.Server // the mail server, outliving every server process
	hooks     *hookSink        // people's systems behind their webhooks, outliving every server process
	reservers []person
	scripters []person
	payers    []person
	admin     person // with a key the host enrolled for admin use
	cards     []store.Order
	coins     []store.Order
	acks      acks
	seq       uint64 // seeds the drivers' random sources
}

func newWorld(t *testing.T, cfg Config) *world {
	t.Helper()
	w := &world{t: t, cfg: cfg, dir: t.TempDir(), seq: cfg.Seed}
	w.up = fake.New(fake.Options{Balance: "1000000.00"})
	t.Cleanup(w.up.Close)
	w.up.SetPrice("tg", "16", "0.50", 10_000_000)
	w.up.SetRentPrice("tg", "16", 24, "1.00", 10_000_000)
	w.btc = blockonomicsfake.New(btcKey)
	t.Cleanup(w.btc.Close)
	mailServer, err := smtptest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mailServer.Close)
	w.mail = mailServer
	w.hooks = newHookSink(t)
	w.seed(t)
	db, err := store.OpenReader(w.database())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	w.server = &server{command: cfg.Command, logPath: filepath.Join(t.TempDir(), "server.log"),
		sshAddr: freeAddr(t), httpAddr: freeAddr(t)}
	w.server.args = append([]string{"serve"}, flagArgs(
		"data", w.dir, "database-url", cfg.DatabaseURL, "ssh-addr", w.server.sshAddr, "http-addr", w.server.httpAddr, "log-level", "warn",
		"providers", "smsactivate", "smsactivate-url", w.up.URL, "smsactivate-key", w.up.APIKey(),
		"smsactivate-webhook-secret", hookSecret, "lifetime", cfg.Lifetime.String(), "cancel-guard", "0s",
		"max-open", "1000", "max-conns-per-ip", "0",
		"rental-day", RentalDay.String(), "rental-cancel-window", RentalCancelWindow.String(),
		"smtp-url", w.mail.PlainURL(), "mail-from", mailFrom, "smtp-timeout", smtpTimeout.String(),
		"webhook-allow-private", "true", "webhook-timeout", hookTimeout.String())...)
	w.server.env = []string{"STRIPE_SECRET_KEY=" + stripeKey, "STRIPE_WEBHOOK_SECRET=" + stripeWebhook,
		"STRIPE_API_BASE=http://127.0.0.1:1", // webhooks never call Stripe
		"BLOCKONOMICS_API_KEY=" + btcKey, "BLOCKONOMICS_CALLBACK_SECRET=" + btcSecret,
		"BLOCKONOMICS_API_BASE=" + w.btc.URL}
	return w
}

// database is where the run's data lives: the PostgreSQL database, or
// the data directory's SQLite file.
func (w *world) database() string {
	if w.cfg.DatabaseURL != "" {
		return w.cfg.DatabaseURL
	}
	return filepath.Join(w.dir, service.DatabaseFile)
}

// storeFlags are the flags that name the run's store to a wantsms tool.
func (w *world) storeFlags() []string {
	return flagArgs("data", w.dir, "database-url", w.cfg.DatabaseURL)
}

// cardsPerPayer is how many card orders each payer has open: once a
// payment is acknowledged its order is done (its credit must then be
// there for good, with no later delivery to restore it), so a run needs
// many.
const cardsPerPayer = 20

// seed creates the accounts and the open orders, through the store as
// the server would have: people who reserve, and payers each with
// cardsPerPayer card orders and one Bitcoin order waiting for their
// webhooks. An account may open only a few orders an hour, so the store
// seeding them runs on a clock that moves an hour and a minute at each
// write, through the last weeks.
func (w *world) seed(t *testing.T) {
	t.Helper()
	payers := max(8, w.cfg.Kills)
	// Two more per account, and a margin, for their webhooks (added last).
	writes := int64(3*(payers+2*w.cfg.Reservers) + payers*2*(cardsPerPayer+1) + 5 + 2*(payers+2*w.cfg.Reservers+1) + 2)
	step := time.Hour + time.Minute
	base := time.Now().Add(-time.Duration(writes+1) * step)
	var tick atomic.Int64
	// The count of writes is an estimate (a backend may read the clock
	// more than once a write): the clock never passes the start of the
	// run, or a mail seeded "in the future" would wait past its end.
	limit := time.Now().Add(-time.Minute)
	clock := func() time.Time {
		if t := base.Add(time.Duration(tick.Add(1)) * step); t.Before(limit) {
			return t
		}
		return limit
	}
	st, err := service.OpenStore(w.dir, w.cfg.DatabaseURL, store.Options{Clock: clock, WebhookAllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for i := range w.cfg.Reservers {
		w.reservers = append(w.reservers, newPerson(t, st, fmt.Sprintf("reserver%d@crash.example", i), 1_000_000))
		w.scripters = append(w.scripters, newPerson(t, st, fmt.Sprintf("script%d@crash.example", i), 1_000_000))
	}
	w.admin = newPerson(t, st, "admin@crash.example", 0)
	if _, err := st.MarkEmailVerified(ctx, w.admin.email, "crash seed"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GrantAdmin(ctx, w.admin.email, store.SpecOf(w.admin.key.PublicKey()), "crash seed"); err != nil {
		t.Fatal(err)
	}
	w.payers = make([]person, payers)
	cards := make([][]store.Order, payers)
	coins := make([]store.Order, payers)
	var wg sync.WaitGroup
	errs := make(chan error, payers)
	for i := range payers {
		w.payers[i] = newPerson(t, st, fmt.Sprintf("payer%d@crash.example", i), 0)
		// Verified, so that each credit mails a receipt.
		if _, err := st.MarkEmailVerified(ctx, w.payers[i].email, "crash seed"); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { // together, so their writes share commits
			defer wg.Done()
			var err error
			cards[i], coins[i], err = seedOrders(ctx, st, w.payers[i].id, i)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range payers {
		w.cards = append(w.cards, cards[i]...)
		w.coins = append(w.coins, coins[i])
	}
	w.addHooks(t, st, append(append(append([]person{w.admin}, w.reservers...), w.scripters...), w.payers...)...)
}

func newPerson(t *testing.T, st *store.Store, email string, cents int64) person {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, email, "correct horse battery", store.Origin{RemoteAddr: "crash seed"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := sshterm.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.LinkKey(ctx, u.ID, store.SpecOf(key.PublicKey()), "crash", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	if cents > 0 {
		if _, err := st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: cents, Kind: store.LedgerGrant,
			Reference: "seed-" + email}); err != nil {
			t.Fatal(err)
		}
	}
	return person{id: u.ID, email: email, key: key, funded: cents > 0}
}

// cardAmounts are the packs the seeded card orders are for.
var cardAmounts = []int64{500, 1000, 2500, 5000}

func seedOrders(ctx context.Context, st *store.Store, userID int64, i int) ([]store.Order, store.Order, error) {
	var cards []store.Order
	for j := range cardsPerPayer {
		cents := cardAmounts[j%len(cardAmounts)]
		o, err := st.CreateOrder(ctx, store.NewOrder{UserID: userID, Processor: store.ProcessorStripe, AmountCents: cents})
		if err == nil {
			o, err = st.AttachCheckout(ctx, o.Number, store.CheckoutRef{SessionID: "cs_crash_" + o.Number,
				URL: "https://checkout.stripe.com/c/pay/cs_crash_" + o.Number, ExpiresAt: time.Now().Add(time.Hour)})
		}
		if err != nil {
			return nil, store.Order{}, fmt.Errorf("seed card order: %w", err)
		}
		cards = append(cards, o)
	}
	cents := cardAmounts[i%len(cardAmounts)]
	o, err := st.CreateOrder(ctx, store.NewOrder{UserID: userID, Processor: store.ProcessorBlockonomics, AmountCents: cents})
	if err == nil {
		o, err = st.AttachBitcoin(ctx, o.Number, store.BitcoinRef{Address: fmt.Sprintf("bc1qcrash%033d", i),
			PriceCents: btcPrice, ExpectedSats: billing.NewQuote(cents, btcPrice).ExpectedSats,
			ExpiresAt: time.Now().Add(time.Hour)})
	}
	if err != nil {
		return nil, store.Order{}, fmt.Errorf("seed bitcoin order: %w", err)
	}
	return cards, o, nil
}

// rng gives each driver its own random source, derived from the run's seed.
func (w *world) rng() *rand.Rand {
	w.seq++
	return rand.New(rand.NewPCG(w.cfg.Seed, w.seq))
}

// drivers are the loads run concurrently with the kills.
func (w *world) drivers() []func(context.Context) {
	var out []func(context.Context)
	for _, p := range w.reservers {
		out = append(out, w.reserver(p, w.rng()))
	}
	for _, p := range w.scripters {
		out = append(out, w.scripter(p, w.rng()), w.renter(p, w.rng()))
	}
	out = append(out, w.rentalTexter(w.rng()))
	return append(out, w.stripePoster(w.rng()), w.stripePoster(w.rng()), w.reversalPoster(w.rng()),
		w.btcPoster(w.rng()), w.creditRunner(w.rng()), w.adminCreditor(w.rng()), w.smsPusher(w.rng()))
}

// acks is what the server acknowledged: a screen saying so, a 2xx, an
// exit status 0.
type acks struct {
	mu         sync.Mutex
	reserved   map[int64][]string // phones shown, per account
	cancels    map[int64]int      // per account, on a screen (which number is not known)
	cancelled  []int64            // reservations a `cancel` command reported cancelled
	card       map[string]bool    // order numbers: paid as ordered
	review     map[string]bool    // paid not as ordered
	reversed   map[string]reversal
	coin       map[string]bool
	credits    []credit
	adminCreds []adminCredit
	pushes     []push
	deliveries int
	// Rentals: those the rent command acknowledged (by account), the
	// cancels and extensions acknowledged (by rental), and SMS the
	// provider took for a rental.
	rented      map[int64][]int64
	rentCancels []int64
	extends     map[int64]int
	rentSMS     []push
}

type credit struct {
	email, reason string
	cents         int64
}

// adminCredit is an admin's credit acknowledged over SSH, by its audit row.
type adminCredit struct {
	userID, auditID, cents int64
}

// reversal is what Stripe took back of a card payment, as acknowledged:
// the refunded total, the disputed amount (cents).
type reversal struct{ refunded, disputed int64 }

type push struct {
	ref, text string
	at        time.Time
}

func (a *acks) do(f func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reserved == nil {
		a.reserved, a.cancels = map[int64][]string{}, map[int64]int{}
		a.card, a.coin = map[string]bool{}, map[string]bool{}
		a.review, a.reversed = map[string]bool{}, map[string]reversal{}
		a.rented, a.extends = map[int64][]int64{}, map[int64]int{}
	}
	f()
}
