package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// standby is a second engine on the rig's store, as another instance on
// the same database would run it: its own simulator (which knows none of
// the rig's numbers), on standby until it leads.
type standby struct {
	eng    *Engine
	router *provider.Router
	stop   context.CancelFunc
	done   sync.WaitGroup
}

func (r *rig) standby(cfg Config) *standby {
	r.t.Helper()
	sm := sim.New(r.so)
	r.t.Cleanup(func() { sm.Close() })
	router := provider.NewRouter(provider.RouterConfig{Markup: 15_000, Now: r.clock.Now})
	if err := router.Add(sm, provider.Route{Enabled: true}); err != nil {
		r.t.Fatal(err)
	}
	cfg.Clock, cfg.Simulated, cfg.Standby = r.clock, map[string]bool{"sim": true}, true
	s := &standby{eng: New(r.st, router, cfg), router: router}
	if err := s.eng.Start(ctx); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		s.follow()
		s.eng.Close()
	})
	return s
}

// lead runs Lead until follow.
func (s *standby) lead() {
	lctx, stop := context.WithCancel(ctx)
	s.stop = stop
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		s.eng.Lead(lctx)
	}()
}

// follow ends Lead and waits for it.
func (s *standby) follow() {
	if s.stop != nil {
		s.stop()
		s.done.Wait()
		s.stop = nil
	}
}

// With several instances on one database one engine watches the open
// numbers: the leader. A number sold by an engine that does not lead is
// not scheduled there; the leader finds it, looks at it (its own
// simulator does not know it, which ends nothing: it may be another
// instance's) and expires and refunds it at its end, once. When the
// leader steps down it drops every timer, and the next leader resumes
// what is open.
func TestOnlyTheLeaderWatchesNumbersSoldAnywhere(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{Standby: true})
	u := r.user("lead@example.com", 1000)
	res, err := r.reserve(u)
	if err != nil {
		t.Fatal(err)
	}
	if n := r.eng.sched.pending(); n != 0 {
		t.Fatalf("an engine that does not lead scheduled %d jobs", n)
	}

	b := r.standby(Config{Rescan: 10 * time.Millisecond})
	b.lead()
	eventually(t, "the leader to watch the number sold elsewhere", func() bool {
		return b.eng.watch.watching(watchReservation, res.ID)
	})
	r.clock.Advance(DefaultPollMin)
	eventually(t, "the leader to look at it upstream", func() bool {
		return b.router.Stats()[0].ByOp["check"] > 0
	})
	if got := r.res(res.ID); got.State != store.ResActive {
		t.Fatalf("a number the leader's simulator does not know: %s, want active until its end", got.State)
	}

	// A second number, sold while b leads: found too. Then b steps down
	// and the first engine leads: both numbers are its, ended at their end.
	res2, err := r.reserve(u)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the leader to watch the second number", func() bool {
		return b.eng.watch.watching(watchReservation, res2.ID)
	})
	b.follow()
	if n := b.eng.sched.pending(); n != 0 || b.eng.watch.watching(watchReservation, res.ID) {
		t.Fatalf("an engine that stepped down kept %d jobs", n)
	}
	a := &standby{eng: r.eng}
	a.lead()
	defer a.follow()
	eventually(t, "the new leader to resume both numbers", func() bool {
		return r.eng.watch.watching(watchReservation, res.ID) && r.eng.watch.watching(watchReservation, res2.ID)
	})
	r.clock.Advance(DefaultLifetime)
	for _, id := range []int64{res.ID, res2.ID} {
		if got := r.waitState(id, store.ResExpired); !got.Refunded {
			t.Fatalf("expired unrefunded: %+v", got)
		}
	}
	if got := r.balance(u); got != 1000 {
		t.Fatalf("balance %d after two refunds, want 1000", got)
	}
	r.checkLedger()
}

// A rental extended on an instance that does not lead, after the notice
// of its first end: the leader, finding it not over at that end, gives
// the notice of the new end, then ends it at the new end.
func TestTheLeaderFollowsARentalExtendedElsewhere(t *testing.T) {
	r := newRig(t, sim.Options{SMSDelay: time.Hour}, Config{Standby: true})
	u := r.user("extend@example.com", 100_000)
	rent, err := r.rent(r.eng, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	b := r.standby(Config{Rescan: 10 * time.Millisecond})
	b.lead()
	eventually(t, "the leader to watch the rental", func() bool { return b.eng.watch.watching(watchRental, rent.ID) })
	r.clock.Advance(rent.EndsAt.Sub(r.clock.Now()) - store.NoticeLead(rent, DefaultRentalDay) + time.Minute)
	r.waitRental(rent.ID, "the notice of its first end", store.Rental.Noticed)

	price, err := r.eng.ExtendQuote(ctx, u.ID, rent.ID, 7)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := r.eng.Extend(ctx, u.ID, rent.ID, 7, price)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(rent.EndsAt.Sub(r.clock.Now()))
	lead := store.NoticeLead(ext, DefaultRentalDay)
	if got := r.rental(rent.ID); got.State != store.RentActive || got.Noticed() {
		t.Fatalf("at its first end, extended: %s, noticed %v", got.State, got.Noticed())
	}
	r.clock.Advance(ext.EndsAt.Sub(r.clock.Now()) - lead + time.Minute)
	r.waitRental(rent.ID, "the notice of its new end", store.Rental.Noticed)
	r.clock.Advance(lead)
	r.waitRental(rent.ID, "its end", func(x store.Rental) bool { return x.State == store.RentEnded })
	r.checkLedger()
}
