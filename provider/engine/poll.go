package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// poll asks the provider about an open reservation, stores new messages,
// follows the upstream's own end, and schedules the next poll.
func (e *Engine) poll(ctx context.Context, j job) {
	r, err := e.st.Reservation(ctx, j.id)
	if err != nil || !r.State.Open() {
		e.forget(j.id)
		return
	}
	open := e.refresh(ctx, r)
	if !open || !e.isPuller(r.Provider) {
		return
	}
	next := min(max(time.Duration(float64(j.interval)*pollGrowth), e.cfg.PollMin), e.cfg.PollMax)
	if e.watch.current(watchReservation, j.id, j.gen) {
		e.sched.add(job{at: e.cfg.Clock.Now().Add(jitter(next)), id: j.id, kind: jobPoll, gen: j.gen, interval: next})
	}
}

// jitter varies d by ±pollJitter.
func jitter(d time.Duration) time.Duration {
	f := 1 - pollJitter + 2*pollJitter*rand.Float64()
	return time.Duration(float64(d) * f)
}

// refresh checks a reservation upstream and reacts; it reports whether
// the reservation is still open.
func (e *Engine) refresh(ctx context.Context, r store.Reservation) bool {
	p, ok := e.router.Provider(r.Provider)
	if !ok {
		e.log.Error("reservation of an unknown provider", "reservation", r.ID, "provider", r.Provider)
		return true // the expiry refunds it
	}
	st, err := p.Check(ctx, r.ProviderRef)
	switch {
	case errors.Is(err, provider.ErrUnknownActivation) && e.foreignSim(r.Provider):
		return true // perhaps another instance's: its expiry ends it
	case errors.Is(err, provider.ErrUnknownActivation):
		// The upstream forgot it (or the simulator restarted): no SMS can
		// come any more.
		e.endGone(ctx, r, "unknown upstream")
		return false
	case err != nil:
		e.log.Debug("check", "reservation", r.ID, "provider", r.Provider, "err", err)
		return true
	}
	received := e.ingest(ctx, r, st.Messages)
	switch st.State {
	case provider.Cancelled, provider.Expired, provider.Banned, provider.Finished:
		if received {
			r.State = store.ResReceived
		}
		e.endGone(ctx, r, "upstream "+string(st.State))
		return false
	}
	return true
}

// endGone ends a reservation whose activation ended upstream without us:
// refunded as failed when no SMS came, finished otherwise.
func (e *Engine) endGone(ctx context.Context, r store.Reservation, why string) {
	to := store.ResFailed
	switch {
	case r.State == store.ResReceived:
		to = store.ResFinished
	case !e.cfg.Clock.Now().Before(r.ExpiresAt):
		to = store.ResExpired // its lifetime is over anyway (e.g. while we were down)
	}
	_, err := e.st.EndReservation(ctx, r.ID, to)
	if errors.Is(err, store.ErrSMSArrived) {
		_, err = e.st.EndReservation(ctx, r.ID, store.ResFinished)
	}
	if err != nil && !errors.Is(err, store.ErrNotOpen) {
		e.log.Error("end reservation", "reservation", r.ID, "to", to, "err", err)
		return
	}
	e.forget(r.ID)
	e.log.Info("reservation ended upstream", "reservation", r.ID, "state", to, "why", why)
}

// ingest stores messages; it reports whether the reservation has any.
func (e *Engine) ingest(ctx context.Context, r store.Reservation, msgs []provider.Message) bool {
	got := r.State == store.ResReceived
	for _, m := range msgs {
		if e.store(ctx, r.ID, m) {
			got = true
		}
	}
	return got
}

// store adds one message; it reports whether the message is stored (now
// or before).
func (e *Engine) store(ctx context.Context, id int64, m provider.Message) bool {
	code := provider.MessageCode(m.Code, m.Text)
	msgID := m.ID
	if msgID == "" {
		msgID = provider.MessageID(code, m.Text)
	}
	added, err := e.st.AddMessage(ctx, id, store.NewMessage{ProviderID: msgID, Sender: m.Sender, Body: m.Text,
		Code: code, ReceivedAt: m.ReceivedAt})
	if err != nil {
		if !errors.Is(err, store.ErrNotOpen) {
			e.log.Error("store message", "reservation", id, "err", err)
		}
		return false
	}
	if added {
		e.log.Info("sms received", "reservation", id)
	}
	return true
}

// expire ends a reservation at its lifetime's end: refunded when no SMS
// came (after a last look upstream), finished otherwise.
func (e *Engine) expire(ctx context.Context, id int64) {
	r, err := e.st.Reservation(ctx, id)
	if err != nil || !r.State.Open() {
		return
	}
	if now := e.cfg.Clock.Now(); now.Before(r.ExpiresAt) {
		e.sched.add(job{at: r.ExpiresAt, id: id, kind: jobExpire})
		return
	}
	p, ok := e.router.Provider(r.Provider)
	if ok && r.State == store.ResActive {
		if st, err := p.Check(ctx, r.ProviderRef); err == nil && e.ingest(ctx, r, st.Messages) {
			r.State = store.ResReceived
		}
	}
	to := store.ResExpired
	if r.State == store.ResReceived {
		to = store.ResFinished
		e.finishUpstream(ctx, r)
	} else if ok {
		if err := p.Cancel(ctx, r.ProviderRef); err != nil && !errors.Is(err, provider.ErrUnknownActivation) {
			// The upstream times it out on its own; our user is refunded
			// either way.
			e.log.Warn("cancel expired number upstream", "reservation", id, "err", err)
		}
	}
	_, err = e.st.EndReservation(ctx, id, to)
	if errors.Is(err, store.ErrSMSArrived) { // an SMS won the race
		_, err = e.st.EndReservation(ctx, id, store.ResFinished)
	}
	switch {
	case err == nil:
		e.log.Info("reservation expired", "reservation", id, "state", to)
	case !errors.Is(err, store.ErrNotOpen):
		e.log.Error("expire reservation", "reservation", id, "err", err)
		// Try again shortly rather than leave it open for ever.
		e.sched.add(job{at: e.cfg.Clock.Now().Add(e.cfg.PollMax), id: id, kind: jobExpire})
		return
	}
	e.forget(id)
}

// push queues a message a provider pushed; it never blocks the provider.
func (e *Engine) push(name, ref string, m provider.Message) {
	select {
	case e.pushes <- pushed{provider: name, ref: ref, m: m}:
	default:
		e.log.Warn("push queue full: message left for the next check", "provider", name, "ref", ref)
	}
}

// ingestPushes stores pushed messages until Close.
func (e *Engine) ingestPushes() {
	for {
		select {
		case <-e.ctx.Done():
			return
		case p := <-e.pushes:
			e.ingestPush(p)
		}
	}
}

func (e *Engine) ingestPush(p pushed) {
	ctx, cancel := context.WithTimeout(e.ctx, upstreamTimeout)
	defer cancel()
	r, err := e.st.OpenReservationByRef(ctx, p.provider, p.ref)
	switch {
	case errors.Is(err, store.ErrNoReservation):
		e.ingestRentalPush(ctx, p.provider, p.ref, p.m)
	case err != nil:
		e.log.Error("pushed message", "provider", p.provider, "err", err)
	default:
		e.store(ctx, r.ID, p.m)
	}
}
