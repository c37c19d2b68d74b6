// Package crashtest proves that WantSMS survives being killed: it runs
// the real server as a child process on loopback ports with a temporary
// data directory, drives it at full speed the ways the world reaches it
// (people reserving and cancelling numbers in the dashboard over SSH,
// scripts renting, cancelling and extending rentals, the provider pushing
// SMS to its webhook and taking SMS for rented numbers, Stripe and Blockonomics confirming
// payments and Stripe taking some back, the operator crediting accounts
// with `wantsms credit` and an admin with `admin credit` over SSH), kills
// it with SIGKILL at random moments and starts it again each time. At the
// end it checks the books: SQLite's integrity_check, every acknowledged
// credit present exactly once (an admin's with its audit row), every card
// payment refunded or disputed taken back exactly its share, once, a
// payment not as ordered held for review and never credited, no refund
// twice, ledger sums equal to balances (minus debts), every open
// reservation resumed and then ended, refunded when it got no SMS, every
// rental acknowledged there with its debit, its cancel refunded in full
// once, its extensions and the SMS its provider took, every active
// rental resumed and ended, and
// every mail of the outbox (the seed's, queued before the server first
// ran, and a receipt per credited top-up) received by the mail server,
// copies only of mails a kill caught in flight, and every event of the
// books (an SMS, a number or rental ended, a top-up) delivered once to
// its account's webhook and received, copies only of posts a kill caught
// in flight (userhooks.go, which also kills a server mid-post on purpose:
// KillMidWebhook).
//
// The test that runs it lives in cmd/wantsms, whose test binary can act as
// the wantsms binary itself.
//
// May import from this repository: billing, billing/blockonomicsfake,
// billing/stripetest, cmd/internal/service, cmd/internal/sshterm,
// cmd/internal/mail/smtptest, cmd/internal/webhook (how many posts are
// under way at once), provider, provider/smsactivate/fake, store.
package crashtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"
)

// Config sets a crash run up.
type Config struct {
	// Command makes the command that runs `wantsms ARGS...`.
	Command func(args ...string) *exec.Cmd
	// Kills is how many times the server is killed (at least 20 in CI).
	Kills int
	// Seed drives every random choice of the run; print it to replay.
	Seed uint64
	// Lifetime is how long a number stays open: short, so that numbers
	// reserved during the run end (with or without SMS) within it.
	Lifetime time.Duration
	// Reservers is how many people reserve and cancel in the dashboard.
	Reservers int
	// DatabaseURL, when set, runs the server, its tools and the checks on
	// this PostgreSQL database instead of the data directory's SQLite file.
	DatabaseURL string
}

// DefaultLifetime keeps every number reserved during a run open across a
// few kills, and short enough that all have ended a few seconds after.
const DefaultLifetime = 6 * time.Second

// Report is what a run did and found.
type Report struct {
	Seed                         uint64
	Kills, EarlyKills            int // early: before the server had answered its health check
	Duration                     time.Duration
	Reserved, Found              int // reservations acknowledged (on a screen, or by the reserve command), and found
	ByCommand                    int // of those acknowledged: by the reserve command
	Cancels                      int // cancels acknowledged (on a screen, or by the cancel command)
	Reservations                 int // reservations in the database at the end
	Refunded, Finished           int // of those: refunded (cancelled, expired, failed), finished with an SMS
	OpenAtLastStart              int // open when the server started for the last time
	Card, CardFound              int // card payments acknowledged (2xx), and credited once
	Reviews, ReviewsFound        int // card payments not as ordered acknowledged, and held for review uncredited
	Reversals, ReversalsFound    int // card payments refunded or disputed (acknowledged), and taken back exactly
	BTC, BTCFound                int // confirmed Bitcoin payments acknowledged, and credited once
	Credits, CredFound           int // `wantsms credit` runs that exited 0, and their ledger rows
	AdminCredits, AdminCredFound int // `admin credit` over SSH acknowledged, and found with their audit rows
	Pushes, PushFound            int // SMS pushes acknowledged, and stored (or their number had ended)
	Rentals, RentalsFound        int // rentals acknowledged by the rent command, and found
	RentCancels, RentExtends     int // rental cancels and extensions acknowledged
	RentSMS, RentSMSFound        int // SMS the provider took for a rental, and stored (or the rental had ended)
	RentalRows, RentalsRefunded  int // rentals in the database at the end, and of those refunded (in part or full)
	RentalsOpenAtLastStart       int
	Deliveries                   int // webhook deliveries sent in all, redeliveries included
	LedgerRows                   int
	StartToReady                 []time.Duration // per start that got there: process start to health check answered
	// Mails: sent according to the outbox (queued before the first start:
	// Seeded), messages the mail server received, and of those copies of
	// one already received (a kill between the server's acceptance and
	// the outbox's record of it).
	Mails, MailsSeeded, MailsReceived, MailCopies int
	// Hooks: deliveries to people's webhooks in the log (all delivered),
	// posts their receiver got, and of those copies of one already
	// received (a kill between the receiver's answer and its record).
	Hooks, HookPosts, HookCopies int
}

// String is the report as one paragraph for the test log.
func (r Report) String() string {
	return fmt.Sprintf("seed %d: %d SIGKILLs (%d before the health check) in %v; "+
		"reservations acknowledged %d (%d by command), found %d; cancels acknowledged %d; %d reservations in all, %d refunded, "+
		"%d finished with an SMS, %d open at the last start; card credits acknowledged %d, found once %d; "+
		"payments held for review %d, found %d; refunds and disputes %d, taken back exactly %d; "+
		"bitcoin credits acknowledged %d, found once %d; `wantsms credit` acknowledged %d, found once %d; "+
		"admin credits acknowledged %d, found once %d; "+
		"SMS pushes acknowledged %d, accounted for %d; %d webhook deliveries; "+
		"rentals acknowledged %d, found %d (%d in all, %d refunded, %d active at the last start), cancels %d, "+
		"extensions %d, rental SMS taken upstream %d, accounted for %d; %d ledger rows; "+
		"mails sent %d (%d queued before the first start), received %d, copies %d; "+
		"webhook deliveries %d, posts received %d, copies %d; start to health check %s",
		r.Seed, r.Kills, r.EarlyKills, r.Duration.Round(time.Millisecond), r.Reserved, r.ByCommand, r.Found, r.Cancels,
		r.Reservations, r.Refunded, r.Finished, r.OpenAtLastStart, r.Card, r.CardFound,
		r.Reviews, r.ReviewsFound, r.Reversals, r.ReversalsFound, r.BTC, r.BTCFound,
		r.Credits, r.CredFound, r.AdminCredits, r.AdminCredFound, r.Pushes, r.PushFound, r.Deliveries,
		r.Rentals, r.RentalsFound, r.RentalRows, r.RentalsRefunded, r.RentalsOpenAtLastStart, r.RentCancels,
		r.RentExtends, r.RentSMS, r.RentSMSFound, r.LedgerRows,
		r.Mails, r.MailsSeeded, r.MailsReceived, r.MailCopies, r.Hooks, r.HookPosts, r.HookCopies,
		spread(r.StartToReady))
}

// Run does a whole crash run and fails t on anything lost or doubled.
func Run(t *testing.T, cfg Config) Report {
	t.Helper()
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.Reservers <= 0 {
		cfg.Reservers = 3
	}
	start := time.Now()
	w := newWorld(t, cfg)
	srv := w.server
	t.Cleanup(srv.abandon)
	srv.start(t)
	if err := srv.waitReady(readyTimeout); err != nil {
		t.Fatalf("first start: %v\n%s", err, srv.logTail())
	}
	stopDrivers := w.startDrivers()
	defer stopDrivers() // a failure below ends the test: the drivers stop first
	rep := Report{Seed: cfg.Seed}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	for range cfg.Kills {
		if early := killAtRandom(t, srv, rng); early {
			rep.EarlyKills++
		}
		rep.Kills++
	}
	stopDrivers()
	// One more crash with the drivers quiet: what is open now must be
	// resumed by a fresh start.
	if err := srv.waitReady(readyTimeout); err != nil {
		t.Fatalf("start before the last kill: %v\n%s", err, srv.logTail())
	}
	srv.kill(t)
	rep.Kills++
	open, rentals := w.openReservations(t), w.openRentals(t)
	srv.start(t)
	rep.RentalsOpenAtLastStart = len(rentals)
	w.verify(t, open, rentals, &rep)
	rep.Duration = time.Since(start)
	rep.StartToReady = srv.readyTimes()
	return rep
}

// startDrivers runs every driver until the returned func is called; that
// func waits for them all to stop.
func (w *world) startDrivers() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range w.drivers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d(ctx)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// killAtRandom lets the server run for a random while and kills it, then
// starts it again. One kill in four comes within the first moments of a
// start, often before it answers its health check (resuming reservations,
// mid-migration check); it reports whether this one did.
func killAtRandom(t *testing.T, srv *server, rng *rand.Rand) (early bool) {
	t.Helper()
	if rng.IntN(4) == 0 {
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		early = !srv.ready()
	} else {
		if err := srv.waitReady(readyTimeout); err != nil {
			t.Fatalf("restart: %v\n%s", err, srv.logTail())
		}
		time.Sleep(minUp + time.Duration(rng.Int64N(int64(maxUp-minUp))))
	}
	srv.kill(t)
	srv.start(t)
	return early
}

// How long the server runs between two kills once up: long enough for
// work to be under way, short enough for many kills in a minute.
const (
	minUp        = 200 * time.Millisecond
	maxUp        = 3 * time.Second
	readyTimeout = 60 * time.Second
)

// spread writes the median and range of durations.
func spread(d []time.Duration) string {
	if len(d) == 0 {
		return "n/a"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("median %v (%v–%v, %d starts)", r(s[len(s)/2]), r(s[0]), r(s[len(s)-1]), len(s))
}
