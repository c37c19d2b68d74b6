package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/fivesim"
	fivesimfake "github.com/wantsms/wantsms/provider/fivesim/fake"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

func (r *rig) rental(id int64) store.Rental {
	r.t.Helper()
	got, err := r.st.Rental(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	full, err := r.st.WithDetails(ctx, got)
	if err != nil {
		r.t.Fatal(err)
	}
	return full
}

// pollRentalUntil moves the clock a poll's longest wait at a time until
// the rental meets cond: a poll under way while the clock jumps sets its
// next one from the time after the jump, so one jump may not be enough.
func (r *rig) pollRentalUntil(id int64, what string, cond func(store.Rental) bool) store.Rental {
	r.t.Helper()
	var got store.Rental
	eventually(r.t, fmt.Sprintf("rental %d: %s", id, what), func() bool {
		if got = r.rental(id); cond(got) {
			return true
		}
		r.clock.Advance(DefaultPollMax)
		return false
	})
	return got
}

func (r *rig) waitRental(id int64, what string, cond func(store.Rental) bool) store.Rental {
	r.t.Helper()
	var got store.Rental
	eventually(r.t, fmt.Sprintf("rental %d: %s", id, what), func() bool {
		got = r.rental(id)
		return cond(got)
	})
	return got
}

// rent rents a Telegram number in the UK for days at the offered price.
func (r *rig) rent(eng *Engine, u store.User, days int) (store.Rental, error) {
	r.t.Helper()
	o, err := eng.RentOffer(ctx, "telegram", "gb", days)
	if err != nil {
		r.t.Fatal(err)
	}
	return eng.Rent(ctx, u.ID, "telegram", "gb", days, o.SellCents)
}

// A simulated rental's life: paid, SMS pushed as they come (more than
// one), extended, the notice of its end given once, ended at its end with
// nothing moving; the ledger holds after each.
func TestRentalLifeWithTheSimulator(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: 10 * time.Second}, Config{})
	u := r.user("renter@example.com", 100_000)
	if _, err := r.st.MarkEmailVerified(ctx, u.Email, "test"); err != nil {
		t.Fatal(err)
	}
	o, err := r.eng.RentOffer(ctx, "tg", "gb", 1)
	if err != nil || o.Provider != "sim" || o.SellCents <= 0 || o.CancelWindow != 20*time.Minute {
		t.Fatalf("offer: %+v %v", o, err)
	}
	if _, err := r.eng.RentOffer(ctx, "telegram", "gb", 3); !errors.Is(err, ErrRentDays) {
		t.Fatalf("an offer for 3 days: %v", err)
	}
	rent, err := r.rent(r.eng, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rent.PriceCents != o.SellCents || !rent.EndsAt.Equal(r.clock.Now().Add(24*time.Hour)) || !rent.Simulated {
		t.Fatalf("rental %+v", rent)
	}
	if b := r.balance(u); b != 100_000-rent.PriceCents {
		t.Fatalf("balance %d", b)
	}
	r.clock.Advance(10 * time.Second)
	r.waitRental(rent.ID, "first SMS", func(x store.Rental) bool { return len(x.Messages) == 1 })
	r.clock.Advance(40 * time.Second)
	got := r.waitRental(rent.ID, "second SMS", func(x store.Rental) bool { return len(x.Messages) == 2 })
	if got.LatestCode() == "" || got.State != store.RentActive {
		t.Fatalf("after two SMS: %+v", got)
	}
	r.checkLedger()

	price, err := r.eng.ExtendQuote(ctx, u.ID, rent.ID, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.eng.Extend(ctx, u.ID, rent.ID, 7, price-1); !errors.Is(err, ErrPriceChanged) {
		t.Fatalf("an extension above the price confirmed: %v", err)
	}
	ext, err := r.eng.Extend(ctx, u.ID, rent.ID, 7, price)
	if err != nil || !ext.EndsAt.Equal(rent.EndsAt.Add(7*24*time.Hour)) {
		t.Fatalf("extend: %+v %v", ext, err)
	}
	if b := r.balance(u); b != 100_000-rent.PriceCents-price {
		t.Fatalf("balance %d after the extension of %d", b, price)
	}
	r.checkLedger()

	// The notice: a day before its end (now 8 days long), once.
	mails := func() int {
		n := 0
		for _, m := range mustExport(t, r.st, u.ID).Mails {
			if m.Kind == store.MailRentalEnding {
				n++
			}
		}
		return n
	}
	r.clock.Advance(ext.EndsAt.Sub(r.clock.Now()) - 24*time.Hour - time.Minute)
	if mails() != 0 || r.rental(rent.ID).Noticed() {
		t.Fatal("notice given before it was due")
	}
	r.clock.Advance(2 * time.Minute)
	r.waitRental(rent.ID, "noticed", store.Rental.Noticed)
	eventually(t, "the notice mail", func() bool { return mails() == 1 })
	r.clock.Advance(time.Hour)
	if mails() != 1 {
		t.Fatalf("%d notices", mails())
	}
	r.clock.Advance(24 * time.Hour)
	ended := r.waitRental(rent.ID, "ended", func(x store.Rental) bool { return x.State == store.RentEnded })
	if ended.RefundCents != 0 || r.balance(u) != 100_000-rent.PriceCents-price {
		t.Fatalf("ended %+v, balance %d", ended, r.balance(u))
	}
	r.checkLedger()
}

func mustExport(t *testing.T, st *store.Store, userID int64) store.Export {
	t.Helper()
	e, err := st.Export(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// A rental is given back with a full refund, once, in its first 20
// minutes while no SMS came; after those, or after an SMS, CANT_CANCEL.
func TestRentalCancelRefundAndCantCancel(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: 30 * time.Minute}, Config{})
	u := r.user("c@example.com", 100_000)
	a, err := r.rent(r.eng, u, 7)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(19 * time.Minute)
	got, err := r.eng.CancelRental(ctx, u.ID, a.ID)
	if err != nil || got.State != store.RentCancelled || got.RefundCents != a.PriceCents {
		t.Fatalf("cancel within 20 minutes: %+v %v", got, err)
	}
	if _, err := r.eng.CancelRental(ctx, u.ID, a.ID); !errors.Is(err, store.ErrRentalEnded) {
		t.Fatalf("cancel twice: %v", err)
	}
	if b := r.balance(u); b != 100_000 {
		t.Fatalf("balance %d after the refund", b)
	}
	b, _ := r.rent(r.eng, u, 1)
	r.clock.Advance(20 * time.Minute)
	if _, err := r.eng.CancelRental(ctx, u.ID, b.ID); err == nil || !strings.HasPrefix(err.Error(), "CANT_CANCEL") {
		t.Fatalf("cancel after 20 minutes: %v", err)
	}
	c, _ := r.rent(r.eng, u, 1)
	r.clock.Advance(30 * time.Minute) // its SMS comes
	r.waitRental(c.ID, "an SMS", func(x store.Rental) bool { return len(x.Messages) > 0 })
	if _, err := r.eng.CancelRental(ctx, u.ID, c.ID); !errors.Is(err, store.ErrRentalSMSCame) {
		t.Fatalf("cancel after an SMS: %v", err)
	}
	other := r.user("other@example.com", 0)
	if _, err := r.eng.CancelRental(ctx, other.ID, b.ID); !errors.Is(err, store.ErrNoRental) {
		t.Fatalf("another account's cancel: %v", err)
	}
	r.checkLedger()
}

// Rentals survive restarts: one whose end passed while the server was
// down ends at the next start (nothing moves), and one the provider
// forgot meanwhile (the simulator keeps nothing across its restart)
// fails, the unused part refunded, once.
func TestRentalResumedAfterRestart(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{})
	u := r.user("r@example.com", 100_000)
	short, _ := r.rent(r.eng, u, 1)
	long, _ := r.rent(r.eng, u, 7)
	r.clock.Advance(time.Hour) // past the cancel window
	r.stopEngine()
	r.clock.Advance(24 * time.Hour)
	r.startEngine()
	r.waitRental(short.ID, "ended while down", func(x store.Rental) bool { return x.State == store.RentEnded })
	if x := r.rental(long.ID); x.State != store.RentActive {
		t.Fatalf("the week's rental after a day: %+v", x)
	}
	r.stopEngine()
	r.sim.Close()
	r.sim = sim.New(r.so)
	before := r.balance(u)
	r.startEngine()
	failed := r.waitRental(long.ID, "failed", func(x store.Rental) bool { return x.State == store.RentFailed })
	left, whole := failed.EndsAt.Sub(failed.EndedAt), failed.EndsAt.Sub(failed.CreatedAt)
	want := long.PriceCents * int64(left/time.Second) / int64(whole/time.Second)
	if failed.RefundCents != want || r.balance(u) != before+want {
		t.Fatalf("failed %+v: refund %d, want %d", failed, failed.RefundCents, want)
	}
	r.stopEngine()
	r.startEngine()
	if n := len(r.rentalRefunds(u)); n != 1 {
		t.Fatalf("%d refunds after another restart", n)
	}
	r.checkLedger()
}

func (r *rig) rentalRefunds(u store.User) []store.LedgerEntry {
	var out []store.LedgerEntry
	all, _ := r.st.Ledger(ctx, u.ID, 1000)
	for _, l := range all {
		if l.Kind == store.LedgerRentRefund {
			out = append(out, l)
		}
	}
	return out
}

// rentRig is an engine over an SMS-Activate upstream that rents (a pull
// provider), on the rig's store and clock.
func rentRig(t *testing.T) (*rig, *fake.Server, *Engine) {
	r := newRig(t, sim.Options{}, Config{})
	up := fake.New(fake.Options{})
	t.Cleanup(up.Close)
	up.SetNow(r.clock.Now)
	up.SetRentPrice("tg", "16", 24, "1.00", 10)
	up.SetRentPrice("tg", "16", 7*24, "4.00", 10)
	c, err := smsactivate.New(smsactivate.Config{BaseURL: up.URL, APIKey: up.APIKey(), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	router := provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: r.clock.Now})
	router.Add(c, provider.Route{Enabled: true})
	eng := New(r.st, router, Config{Clock: r.clock})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return r, up, eng
}

// Over the SMS-Activate rent protocol: SMS polled in as they come, an
// extension the provider refuses paid back, one it takes, a cancel
// refused upstream (an SMS we had not seen yet, fetched then), and a
// rental the provider ends early refunded for its time left.
func TestRentalOverTheRentProtocol(t *testing.T) {
	r, up, eng := rentRig(t)
	u := r.user("p@example.com", 100_000)
	rent, err := r.rent(eng, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rent.Provider != "smsactivate" || rent.PriceCents != 150 {
		t.Fatalf("rental %+v", rent)
	}
	up.AddRentSMS(rent.ProviderRef, "Telegram", "Telegram code 55555")
	r.clock.Advance(DefaultPollMin)
	r.waitRental(rent.ID, "the SMS polled in", func(x store.Rental) bool { return x.LatestCode() == "55555" })
	up.AddRentSMS(rent.ProviderRef, "Bank", "code 66666")
	r.pollRentalUntil(rent.ID, "the second SMS", func(x store.Rental) bool { return len(x.Messages) == 2 })

	before := r.balance(u)
	if _, err := eng.Extend(ctx, u.ID, rent.ID, 14, 0); !errors.Is(err, ErrNoExtendDays) {
		t.Fatalf("an extension for a period not priced: %v", err)
	}
	// Priced, but refused upstream (its balance cannot pay): paid back.
	up.Respond("continueRentNumber", `{"status":"error","message":"NO_BALANCE"}`, 1)
	if _, err := eng.Extend(ctx, u.ID, rent.ID, 7, 0); !errors.Is(err, ErrExtendRefused) {
		t.Fatalf("an extension refused upstream: %v", err)
	}
	x := r.rental(rent.ID)
	if r.balance(u) != before || !x.EndsAt.Equal(rent.EndsAt) || len(x.Extensions) != 1 || !x.Extensions[0].Refunded {
		t.Fatalf("after the refused extension: balance %d (was %d), %+v", r.balance(u), before, x)
	}
	r.checkLedger()
	got, err := eng.Extend(ctx, u.ID, rent.ID, 7, 0)
	if _, ends, _ := up.Rental(rent.ProviderRef); err != nil || !got.EndsAt.Equal(ends) {
		t.Fatalf("extend: %+v %v; upstream ends %v", got, err, ends)
	}
	r.checkLedger()

	// A second rental: an SMS came upstream, unseen; the cancel is
	// refused there and the SMS fetched.
	second, _ := r.rent(eng, u, 1)
	up.AddRentSMS(second.ProviderRef, "X", "your code 12121")
	if _, err := eng.CancelRental(ctx, u.ID, second.ID); !errors.Is(err, ErrCantCancel) {
		t.Fatalf("cancel after an unseen SMS: %v", err)
	}
	if x := r.rental(second.ID); len(x.Messages) != 1 || x.State != store.RentActive {
		t.Fatalf("the unseen SMS was not fetched: %+v", x)
	}

	// The provider ends the first rental 2 days into its 8: failed, 6/8
	// of what was paid back, once.
	r.clock.Advance(48 * time.Hour)
	paid := r.rental(rent.ID).PaidCents()
	before = r.balance(u)
	up.EndRent(rent.ProviderRef)
	failed := r.pollRentalUntil(rent.ID, "failed", func(x store.Rental) bool { return x.State == store.RentFailed })
	left := failed.EndsAt.Sub(failed.EndedAt) / time.Second
	whole := failed.EndsAt.Sub(failed.CreatedAt) / time.Second
	if want := paid * int64(left) / int64(whole); failed.RefundCents != want || r.balance(u) != before+want {
		t.Fatalf("refund %d (balance %d → %d), want %d", failed.RefundCents, before, r.balance(u), want)
	}
	r.checkLedger()
}

// A rental whose recording fails (the person is at the limit of rentals
// by the time it is recorded) is given back upstream at once.
func TestUnrecordedRentalGivenBack(t *testing.T) {
	r, up, eng := rentRig(t)
	eng.cfg.MaxOpen = 1
	u := r.user("l@example.com", 100_000)
	if _, err := r.rent(eng, u, 1); err != nil {
		t.Fatal(err)
	}
	var limit *store.RentalLimitError
	if _, err := r.rent(eng, u, 1); !errors.As(err, &limit) {
		t.Fatalf("a second rental over the limit: %v", err)
	}
	if n := len(up.Rentals()); n != 1 {
		t.Fatalf("%d rentals upstream: refused ones must not be rented", n)
	}
}

// logSeen is a log handler that tells when a record with a message is
// written.
type logSeen struct {
	msg  string
	seen chan struct{}
	once sync.Once
}

func (l *logSeen) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSeen) Handle(_ context.Context, r slog.Record) error {
	if r.Message == l.msg {
		l.once.Do(func() { close(l.seen) })
	}
	return nil
}
func (l *logSeen) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logSeen) WithGroup(string) slog.Handler      { return l }

// A rental's end waits for its provider's answer to the last look: an SMS
// of its paid time that the provider holds (5sim shows an order's SMS
// after its end) is stored, not dropped because the provider was busy at
// the moment the rental ran out.
func TestRentalEndWaitsForTheLastLook(t *testing.T) {
	r := newRig(t, sim.Options{}, Config{})
	up := fivesimfake.New(fivesimfake.Options{})
	t.Cleanup(up.Close)
	up.SetNow(r.clock.Now)
	up.SetHostingPrice("england", "1day", "1.00", 5)
	c, err := fivesim.New(fivesim.Config{BaseURL: up.BaseURL(), Token: up.Token()})
	if err != nil {
		t.Fatal(err)
	}
	router := provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: r.clock.Now})
	if err := router.Add(c, provider.Route{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	waits := &logSeen{msg: "rental end waits for the provider's last answer", seen: make(chan struct{})}
	eng := New(r.st, router, Config{Clock: r.clock, Log: slog.New(waits)})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	u := r.user("last@example.com", 100_000)
	rent, err := r.rent(eng, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	id, err := strconv.ParseInt(rent.ProviderRef, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	up.Respond("/user/check/", http.StatusServiceUnavailable, "busy", -1)
	up.AddSMS(id, "Bank", "Your code is 24680", "24680")
	r.clock.Advance(rent.EndsAt.Sub(r.clock.Now()))
	select {
	case <-waits.seen:
	case <-time.After(20 * time.Second):
		t.Fatalf("the rental's end did not wait for the provider: %+v", r.rental(rent.ID))
	}
	if x := r.rental(rent.ID); x.State != store.RentActive {
		t.Fatalf("ended while the provider did not answer: %+v", x)
	}
	up.Heal()
	r.clock.Advance(DefaultPollMin)
	ended := r.waitRental(rent.ID, "ended", func(x store.Rental) bool { return x.State == store.RentEnded })
	if len(ended.Messages) != 1 || ended.LatestCode() != "24680" || ended.RefundCents != 0 {
		t.Fatalf("ended without the SMS the provider held: %+v", ended)
	}
	r.checkLedger()
}

// Finishing a rental early ends it now with nothing paid back, after
// fetching the SMS the provider holds and we had not polled yet, and
// tells the provider; a second finish is refused as ended.
func TestFinishRentalFetchesItsLastSMS(t *testing.T) {
	r, up, eng := rentRig(t)
	u := r.user("f@example.com", 100_000)
	rent, err := r.rent(eng, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	paid := r.balance(u)
	up.AddRentSMS(rent.ProviderRef, "Telegram", "Telegram code 77777") // not polled yet
	done, err := eng.FinishRental(ctx, u.ID, rent.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := r.rental(rent.ID)
	if done.State != store.RentEnded || got.State != store.RentEnded || got.LatestCode() != "77777" ||
		got.RefundCents != 0 || r.balance(u) != paid {
		t.Fatalf("finished: %+v, balance %d (paid %d)", got, r.balance(u), paid)
	}
	if state, _, _ := up.Rental(rent.ProviderRef); state != "finish" {
		t.Fatalf("upstream the rental is %q, want finish", state)
	}
	if _, err := eng.FinishRental(ctx, u.ID, rent.ID); !errors.Is(err, store.ErrRentalEnded) {
		t.Fatalf("a second finish: %v", err)
	}
}
