package engine

import (
	"context"
	"sync"
	"time"
)

// Leading. One engine watches the open numbers (expiry, refunds, polling
// upstream, rentals' ends and notices): on SQLite the only one, from
// Start on; with several instances on one PostgreSQL (Config.Standby)
// the one whose instance holds the numbers' lease (store.LeaseNumbers),
// for as long as it holds it (Lead). Every engine sells, cancels,
// finishes and takes pushes and webhooks; one that is not leading only
// schedules nothing. The leader finds the numbers other instances sold
// by looking at the open ones every Config.Rescan (a cheap list of ids)
// and watches those it does not yet; one that loses the lease drops its
// timers, and the next leader resumes everything from the database, as
// a restart does.

// DefaultRescan is how often a leading engine on standby looks for
// numbers sold by other instances: a number is first polled a few
// seconds after it is sold anyway (DefaultPollMin).
const DefaultRescan = 2 * time.Second

// watchKind tells reservations from rentals in the watch.
type watchKind int

const (
	watchReservation watchKind = iota
	watchRental
)

// watch is which numbers this engine schedules, each with its current
// poll chain (jobs of an older chain are dropped), and whether it leads.
type watch struct {
	mu      sync.Mutex
	leading bool
	gen     uint64 // the last chain given, across all numbers
	chains  [2]map[int64]uint64
}

// add starts watching a number and gives its first poll chain; ok is
// false when the engine does not lead or already watches it.
func (w *watch) add(k watchKind, id int64) (gen uint64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.leading {
		return 0, false
	}
	if _, watched := w.chains[k][id]; watched {
		return 0, false
	}
	return w.newChain(k, id), true
}

// restart gives a watched number a new poll chain, replacing its current
// one; ok is false when the engine does not lead.
func (w *watch) restart(k watchKind, id int64) (gen uint64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.leading {
		return 0, false
	}
	return w.newChain(k, id), true
}

func (w *watch) newChain(k watchKind, id int64) uint64 {
	if w.chains[k] == nil {
		w.chains[k] = map[int64]uint64{}
	}
	w.gen++
	w.chains[k][id] = w.gen
	return w.gen
}

// current reports whether gen is the number's current poll chain.
func (w *watch) current(k watchKind, id int64, gen uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	g, ok := w.chains[k][id]
	return ok && g == gen
}

// watching reports whether the number is watched.
func (w *watch) watching(k watchKind, id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.chains[k][id]
	return ok
}

// forget stops watching a number (it ended).
func (w *watch) forget(k watchKind, id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.chains[k], id)
}

// setLeading turns leading on or off; off forgets every number.
func (w *watch) setLeading(on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.leading = on
	if !on {
		w.chains = [2]map[int64]uint64{}
	}
}

// Lead watches every open reservation and rental until ctx ends: the
// ones open now at once (looked at upstream at once: SMS may have come
// while nobody watched), then those sold meanwhile by other instances,
// every Config.Rescan. The service runs it while its instance holds the
// numbers' lease; an engine not on Standby leads from Start on, and Lead
// only waits for ctx.
func (e *Engine) Lead(ctx context.Context) {
	if !e.cfg.Standby {
		<-ctx.Done()
		return
	}
	e.lead(true)
	e.log.Info("watching the open numbers on this instance")
	defer func() {
		e.lead(false)
		e.log.Info("no longer watching the open numbers on this instance")
	}()
	if err := e.resume(ctx); err != nil && ctx.Err() == nil {
		e.log.Error("resume open numbers: looking again shortly", "err", err)
	}
	t := time.NewTicker(e.cfg.Rescan)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.adopt(ctx)
		}
	}
}

// lead turns leading on or off. On, the timers run before any number is
// watched; off, every number is forgotten before the timers are dropped,
// so that nothing is left watched without its timers.
func (e *Engine) lead(on bool) {
	if on {
		e.sched.setOn(true)
		e.watch.setLeading(true)
		return
	}
	e.watch.setLeading(false)
	e.sched.setOn(false)
}

// resume watches every open reservation and rental, each looked at
// upstream at once.
func (e *Engine) resume(ctx context.Context) error {
	open, err := e.st.AllOpenReservations(ctx)
	if err != nil {
		return err
	}
	for _, r := range open {
		e.track(r, 0)
	}
	if len(open) > 0 {
		e.log.Info("resumed open reservations", "count", len(open))
	}
	rentals, err := e.st.AllOpenRentals(ctx)
	if err != nil {
		return err
	}
	for _, r := range rentals {
		e.trackRental(r, 0)
	}
	if len(rentals) > 0 {
		e.log.Info("resumed active rentals", "count", len(rentals))
	}
	return nil
}

// adopt watches the open numbers not watched yet: sold by another
// instance since the last look (or missed by a failed one).
func (e *Engine) adopt(ctx context.Context) {
	res, rentals, err := e.st.OpenNumberIDs(ctx)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("look for numbers sold elsewhere", "err", err)
		}
		return
	}
	for _, id := range res {
		if e.watch.watching(watchReservation, id) {
			continue
		}
		r, err := e.st.Reservation(ctx, id)
		if err == nil && r.State.Open() {
			e.track(r, e.firstLook(r.CreatedAt))
		}
	}
	for _, id := range rentals {
		if e.watch.watching(watchRental, id) {
			continue
		}
		r, err := e.st.Rental(ctx, id)
		if err == nil && r.State.Open() {
			e.trackRental(r, e.firstLook(r.CreatedAt))
		}
	}
}

// firstLook is when to poll a number sold at created for the first time,
// from now: PollMin after its sale, as its seller would have.
func (e *Engine) firstLook(created time.Time) time.Duration {
	return max(0, created.Add(e.cfg.PollMin).Sub(e.cfg.Clock.Now()))
}

// foreignSim reports whether a number of provider may have been sold by
// another instance's simulator, which alone knows it: a simulator lives
// in its process, so on a shared database the leader's own simulator not
// knowing a number says nothing about it. Its expiry ends it.
func (e *Engine) foreignSim(provider string) bool {
	return e.cfg.Standby && e.cfg.Simulated[provider]
}
