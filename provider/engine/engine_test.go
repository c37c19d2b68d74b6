package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

var ctx = context.Background()

// rig is an engine over a real SQLite file, a sim on a fake clock, and
// the same clock for the store and the engine.
type rig struct {
	t      testing.TB
	st     *store.Store
	clock  *sim.FakeClock
	sim    *sim.Sim
	router *provider.Router
	eng    *Engine
	cfg    Config
	so     sim.Options
}

func newRig(t testing.TB, so sim.Options, cfg Config) *rig {
	t.Helper()
	clock := sim.NewFakeClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(testdb.Path(t), store.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	so.Clock = clock
	r := &rig{t: t, st: st, clock: clock, sim: sim.New(so), cfg: cfg, so: so}
	t.Cleanup(func() {
		r.stopEngine()
		r.sim.Close()
		st.Close()
	})
	r.startEngine()
	return r
}

func (r *rig) startEngine() {
	r.t.Helper()
	r.router = provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: r.clock.Now})
	if err := r.router.Add(r.sim, provider.Route{Enabled: true}); err != nil {
		r.t.Fatal(err)
	}
	cfg := r.cfg
	cfg.Clock = r.clock
	cfg.Simulated = map[string]bool{"sim": true}
	r.eng = New(r.st, r.router, cfg)
	if err := r.eng.Start(ctx); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) stopEngine() {
	if r.eng != nil {
		r.eng.Close()
		r.eng = nil
	}
}

func (r *rig) user(email string, cents int64) store.User {
	r.t.Helper()
	u, err := r.st.CreateUser(ctx, email, "correct horse", store.Origin{})
	if err != nil {
		r.t.Fatal(err)
	}
	if cents > 0 {
		if _, err := r.st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: cents, Kind: store.LedgerGrant,
			Reference: "grant-" + email}); err != nil {
			r.t.Fatal(err)
		}
	}
	return u
}

func (r *rig) balance(u store.User) int64 {
	r.t.Helper()
	got, err := r.st.UserByID(ctx, u.ID)
	if err != nil {
		r.t.Fatal(err)
	}
	return got.BalanceCents
}

func (r *rig) res(id int64) store.Reservation {
	r.t.Helper()
	got, err := r.st.Reservation(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return got
}

// reserve reserves a Telegram number in the UK at the offered price.
func (r *rig) reserve(u store.User) (store.Reservation, error) {
	return r.eng.Reserve(ctx, u.ID, "telegram", "gb", r.price("telegram", "gb"))
}

func (r *rig) price(service, country string) int64 {
	for _, o := range r.eng.Offers(ctx) {
		if o.Service == service && o.Country == country {
			return o.SellCents
		}
	}
	r.t.Fatalf("no offer for %s/%s", service, country)
	return 0
}

func (r *rig) checkLedger() {
	r.t.Helper()
	if rep, err := r.st.Check(ctx); err != nil || !rep.OK() {
		r.t.Fatalf("ledger check: %+v %v", rep, err)
	}
}

// eventually waits for cond, which the engine's goroutines make true.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (r *rig) waitState(id int64, want store.ReservationState) store.Reservation {
	r.t.Helper()
	var got store.Reservation
	eventually(r.t, fmt.Sprintf("reservation %d %s", id, want), func() bool {
		got = r.res(id)
		return got.State == want
	})
	return got
}

func TestReserveThenCodeArrivesByPush(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: 10 * time.Second}, Config{})
	u := r.user("a@example.com", 500)
	sub := r.st.Hub().Subscribe(u.ID)
	defer sub.Close()
	res, err := r.reserve(u)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Simulated || res.State != store.ResActive || !res.ExpiresAt.Equal(r.clock.Now().Add(DefaultLifetime)) {
		t.Fatalf("reservation %+v", res)
	}
	if b := r.balance(u); b != 500-res.PriceCents {
		t.Fatalf("balance %d after paying %d", b, res.PriceCents)
	}
	r.clock.Advance(10 * time.Second)
	got := r.waitState(res.ID, store.ResReceived)
	full, _ := r.st.UserReservation(ctx, u.ID, got.ID)
	if len(full.Messages) != 1 || full.LatestCode() == "" {
		t.Fatalf("messages %+v", full.Messages)
	}
	eventually(t, "message event", func() bool {
		for {
			select {
			case e := <-sub.C:
				if e.Kind == store.EventMessage && e.Ref == res.ID {
					return true
				}
			default:
				return false
			}
		}
	})
	// The one check after PollMin finds the same SMS: still one message.
	r.clock.Advance(DefaultPollMin)
	full, _ = r.st.UserReservation(ctx, u.ID, got.ID)
	if len(full.Messages) != 1 {
		t.Fatalf("%d messages after the check, want 1", len(full.Messages))
	}
}

func TestReserveRefusalsBuyNothing(t *testing.T) {
	r := newRig(t, sim.Options{}, Config{MaxOpen: 1})
	poor := r.user("poor@example.com", 1)
	if _, err := r.reserve(poor); !errors.Is(err, store.ErrInsufficientFunds) {
		t.Fatalf("no balance: %v", err)
	}
	rich := r.user("rich@example.com", 10_000)
	if _, err := r.reserve(rich); err != nil {
		t.Fatal(err)
	}
	var lim *store.OpenLimitError
	if _, err := r.reserve(rich); !errors.As(err, &lim) {
		t.Fatalf("limit: %v", err)
	}
	if _, err := r.eng.Reserve(ctx, rich.ID, "nonesuch", "gb", 100); !errors.Is(err, ErrNotSold) {
		t.Fatalf("bad service: %v", err)
	}
	buys := r.router.Stats()[0].ByOp["buy"]
	if buys != 1 {
		t.Fatalf("%d upstream buys, want only the accepted one", buys)
	}
	if _, err := r.eng.Reserve(ctx, poor.ID, "telegram", "gb", 1); err == nil {
		t.Fatal("reserved under the price")
	}
	r.checkLedger()
}

// hookProvider runs a hook after each successful buy, to change the world
// between the buy and its recording.
type hookProvider struct {
	provider.Provider
	after func()
}

func (h hookProvider) Buy(ctx context.Context, s, c string, m provider.Micros) (provider.Number, error) {
	n, err := h.Provider.Buy(ctx, s, c, m)
	if err == nil {
		h.after()
	}
	return n, err
}

func TestRecordingFailureGivesNumberBack(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Minute}, Config{})
	u := r.user("b@example.com", 1000)
	// The balance is spent between the buy and the recording.
	drain := func() {
		if _, err := r.st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: -1000, Kind: store.LedgerGrant,
			Reference: "drain"}); err != nil {
			t.Error(err)
		}
	}
	router := provider.NewRouter(provider.RouterConfig{Now: r.clock.Now})
	router.Add(hookProvider{Provider: r.sim, after: drain}, provider.Route{Enabled: true})
	eng := New(r.st, router, Config{Clock: r.clock})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	_, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 1000)
	if !errors.Is(err, store.ErrInsufficientFunds) {
		t.Fatalf("reserve: %v", err)
	}
	st := router.Stats()[0]
	if st.ByOp["buy"] != 1 || st.ByOp["cancel"] != 1 || st.Errors != 0 {
		t.Fatalf("upstream calls %+v: want one buy given back by one cancel", st.ByOp)
	}
	if open, _ := r.st.AllOpenReservations(ctx); len(open) != 0 {
		t.Fatalf("recorded %+v", open)
	}
	r.checkLedger()
}

func TestCancelGuardRefundAndAfterSMS(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: 5 * time.Minute}, Config{CancelGuard: 2 * time.Minute})
	u := r.user("c@example.com", 1000)
	a, _ := r.reserve(u)
	var guard *CancelGuardError
	if _, err := r.eng.Cancel(ctx, u.ID, a.ID); !errors.As(err, &guard) || guard.Wait != 2*time.Minute {
		t.Fatalf("early cancel: %v", err)
	}
	if msg, _ := store.UserMessage(guard); msg != "a number can be cancelled 2 min after it was reserved: try again in 2 min" {
		t.Fatalf("message %q", msg)
	}
	other := r.user("other@example.com", 0)
	r.clock.Advance(2 * time.Minute)
	if _, err := r.eng.Cancel(ctx, other.ID, a.ID); !errors.Is(err, store.ErrNoReservation) {
		t.Fatalf("someone else's cancel: %v", err)
	}
	got, err := r.eng.Cancel(ctx, u.ID, a.ID)
	if err != nil || got.State != store.ResCancelled || !got.Refunded {
		t.Fatalf("cancel: %+v %v", got, err)
	}
	if b := r.balance(u); b != 1000 {
		t.Fatalf("balance %d after the refund", b)
	}
	if _, err := r.eng.Cancel(ctx, u.ID, a.ID); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("second cancel: %v", err)
	}

	b, _ := r.reserve(u)
	r.clock.Advance(5 * time.Minute)
	r.waitState(b.ID, store.ResReceived)
	if _, err := r.eng.Cancel(ctx, u.ID, b.ID); !errors.Is(err, store.ErrSMSArrived) {
		t.Fatalf("cancel after SMS: %v", err)
	}
	if err := r.eng.Again(ctx, u.ID, b.ID); err != nil {
		t.Fatalf("again: %v", err)
	}
	r.clock.Advance(5 * time.Minute)
	eventually(t, "second SMS", func() bool {
		full, _ := r.st.UserReservation(ctx, u.ID, b.ID)
		return len(full.Messages) == 2
	})
	got, err = r.eng.Finish(ctx, u.ID, b.ID)
	if err != nil || got.State != store.ResFinished || got.Refunded {
		t.Fatalf("finish: %+v %v", got, err)
	}
	if b := r.balance(u); b != 1000-got.PriceCents {
		t.Fatalf("balance %d: the received number must stay paid", b)
	}
	r.checkLedger()
}

func TestExpiryRefundsAndFinishesReceived(t *testing.T) {
	r := newRig(t, sim.Options{NeverShare: 1}, Config{Lifetime: 10 * time.Minute})
	u := r.user("d@example.com", 1000)
	a, _ := r.reserve(u)
	r.clock.Advance(10*time.Minute - time.Second)
	if got := r.res(a.ID); got.State != store.ResActive {
		t.Fatalf("ended early: %s", got.State)
	}
	r.clock.Advance(time.Second)
	got := r.waitState(a.ID, store.ResExpired)
	if !got.Refunded || r.balance(u) != 1000 {
		t.Fatalf("expired %+v, balance %d", got, r.balance(u))
	}
	r.checkLedger()
}

func TestConcurrentCancelAndExpiryRefundOnce(t *testing.T) {
	r := newRig(t, sim.Options{NeverShare: 1}, Config{Lifetime: time.Minute})
	u := r.user("e@example.com", 100_000)
	for range 25 {
		a, err := r.reserve(u)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := r.eng.Cancel(ctx, u.ID, a.ID)
			done <- err
		}()
		r.clock.Advance(time.Minute) // the expiry job runs meanwhile
		err = <-done
		if err != nil && !errors.Is(err, store.ErrNotOpen) {
			t.Fatalf("cancel: %v", err)
		}
		got := r.waitState(a.ID, map[bool]store.ReservationState{true: store.ResCancelled, false: store.ResExpired}[err == nil])
		if !got.Refunded {
			t.Fatalf("not refunded: %+v", got)
		}
	}
	if b := r.balance(u); b != 100_000 {
		t.Fatalf("balance %d, want every price refunded exactly once", b)
	}
	rows, _ := r.st.Ledger(ctx, u.ID, 1000)
	refunds := 0
	for _, l := range rows {
		if l.Kind == store.LedgerRefund {
			refunds++
		}
	}
	if refunds != 25 {
		t.Fatalf("%d refunds, want 25", refunds)
	}
	r.checkLedger()
}

func TestRestartResumesAndRefundsExpiredWhileDown(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: 3 * time.Minute}, Config{Lifetime: 10 * time.Minute})
	u := r.user("f@example.com", 10_000)
	early, _ := r.reserve(u)
	r.clock.Advance(3 * time.Minute)
	r.waitState(early.ID, store.ResReceived)
	late, _ := r.reserve(u) // at 3 min: its SMS comes at 6 min
	r.stopEngine()

	// Down for 4 minutes: late's SMS comes meanwhile, nobody listens.
	r.clock.Advance(4 * time.Minute)
	r.startEngine()
	if got := r.waitState(late.ID, store.ResReceived); got.Refunded {
		t.Fatal("refunded a number that got its SMS")
	}
	// early's lifetime ends at 10 min: it got an SMS, so it is finished.
	r.clock.Advance(3 * time.Minute)
	r.waitState(early.ID, store.ResFinished)

	// Down past late's lifetime, this time with a fresh simulator that
	// knows nothing: an active number is refunded, a received one closed.
	third, _ := r.reserve(u)
	r.stopEngine()
	r.clock.Advance(30 * time.Minute)
	r.sim.Close()
	r.sim = sim.New(r.so)
	r.startEngine()
	if got := r.waitState(third.ID, store.ResExpired); !got.Refunded {
		t.Fatalf("expired while down, not refunded: %+v", got)
	}
	r.waitState(late.ID, store.ResFinished)
	if n := r.eng.sched.pending(); n > 3 {
		t.Fatalf("%d jobs left queued", n)
	}
	r.checkLedger()
}
