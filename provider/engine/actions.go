package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Reserve buys a number of any operator (see ReservePick).
func (e *Engine) Reserve(ctx context.Context, userID int64, service, country string, priceCents int64) (store.Reservation, error) {
	return e.ReservePick(ctx, userID, provider.Pick{Service: service, Country: country}, priceCents)
}

// ReservePick buys a number of the pick (one operator's, or any's) for a
// user at no more than priceCents (the price the person confirmed), then
// records it and debits the sell price in one transaction. Balance, ban
// and the open limit are checked before buying; when the buy fails
// nothing is debited, and when recording fails the number is given back
// upstream.
func (e *Engine) ReservePick(ctx context.Context, userID int64, p provider.Pick, priceCents int64) (store.Reservation, error) {
	svc, ok := provider.LookupService(p.Service)
	if !ok {
		return store.Reservation{}, fmt.Errorf("reserve %q: %w", p.Service, ErrNotSold)
	}
	p.Service = svc.Code // a market alias ("tg") buys the canonical service
	if _, ok := provider.LookupCountry(p.Country); !ok {
		return store.Reservation{}, fmt.Errorf("reserve in %q: %w", p.Country, ErrNotSold)
	}
	if p.Operator != "" && !provider.ValidOperator(p.Operator) {
		return store.Reservation{}, fmt.Errorf("reserve from %q: %w", p.Operator, ErrNoOperator)
	}
	service, country := p.Service, p.Country
	if err := e.checkCanReserve(ctx, userID, priceCents); err != nil {
		return store.Reservation{}, err
	}
	e.SuccessRates(ctx) // the router breaks price ties with today's rates
	// One markup for the cap and the price: an override set meanwhile
	// applies from the next reservation on.
	markup := e.router.MarkupFor(service, country)
	name, num, cost, err := e.router.BuyPick(ctx, p, priceCents, markup)
	if err != nil {
		if p.Operator != "" && errors.Is(err, provider.ErrNoNumbers) {
			return store.Reservation{}, fmt.Errorf("%w (%v)", ErrNoOperator, err)
		}
		return store.Reservation{}, buyError(err)
	}
	// The number is ours upstream now: record it even if the person
	// disconnects meanwhile.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), upstreamTimeout)
	defer cancel()
	r, err := e.st.CreateReservation(rctx, store.NewReservation{
		UserID: userID, Service: service, Country: country, Phone: num.Phone, Provider: name, ProviderRef: num.Ref,
		Simulated: e.cfg.Simulated[name], CostMicros: int64(cost), PriceCents: provider.SellPrice(cost, markup),
		Operator: p.Operator,
		Lifetime: e.cfg.Lifetime, CancelGuard: e.cfg.CancelGuard, UpstreamExpires: num.ExpiresAt, MaxOpen: e.cfg.MaxOpen,
	})
	if err != nil {
		e.giveBack(rctx, name, num.Ref)
		return store.Reservation{}, fmt.Errorf("record %s number %s: %w", name, num.Ref, err)
	}
	e.log.InfoContext(ctx, "reserved", "reservation", r.ID, "provider", name, "service", service, "country", country,
		"operator", p.Operator, "price_cents", r.PriceCents)
	e.track(r, e.cfg.PollMin)
	return r, nil
}

// checkCanReserve refuses early what the transaction would refuse anyway,
// so no number is bought for nothing.
func (e *Engine) checkCanReserve(ctx context.Context, userID, priceCents int64) error {
	u, err := e.st.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := u.CheckNotBanned(); err != nil {
		return err
	}
	if err := store.CheckNoDebt(u.DebtCents); err != nil {
		return err
	}
	if err := store.CheckAffordable(u.BalanceCents, priceCents); err != nil {
		return err
	}
	open, err := e.st.CountOpen(ctx, userID)
	if err != nil {
		return err
	}
	if open >= e.cfg.MaxOpen {
		return &store.OpenLimitError{Max: e.cfg.MaxOpen}
	}
	return nil
}

// giveBack cancels an upstream activation we will not use.
func (e *Engine) giveBack(ctx context.Context, name, ref string) {
	p, ok := e.router.Provider(name)
	if !ok {
		return
	}
	if err := p.Cancel(ctx, ref); err != nil {
		e.log.ErrorContext(ctx, "give back unrecorded number", "provider", name, "ref", ref, "err", err)
	}
}

// Cancel gives back a user's number that got no SMS, after the
// early-cancel guard, and refunds it.
func (e *Engine) Cancel(ctx context.Context, userID, id int64) (store.Reservation, error) {
	r, err := e.st.UserReservation(ctx, userID, id)
	if err != nil {
		return r, err
	}
	if err := CheckCancel(r, e.cfg.Clock.Now()); err != nil {
		return r, err
	}
	p, ok := e.router.Provider(r.Provider)
	if ok {
		err = p.Cancel(ctx, r.ProviderRef)
	}
	switch {
	case err == nil, errors.Is(err, provider.ErrUnknownActivation):
	case errors.Is(err, provider.ErrBadState):
		// An SMS came upstream that we have not seen yet: fetch it.
		e.refresh(ctx, r)
		return r, store.ErrSMSArrived
	case errors.Is(err, provider.ErrEarlyCancel):
		return r, fmt.Errorf("%w (%v)", ErrCancelLater, err)
	default:
		return r, fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	r, err = e.st.EndReservation(ctx, id, store.ResCancelled)
	if err == nil {
		e.forget(id)
	}
	return r, err
}

// CheckCancel is the whole rule Cancel applies before it asks upstream:
// the number is still waiting for its first SMS and its early-cancel
// guard has passed at now (a *CancelGuardError says how long to wait).
// The dashboard checks it before it offers or asks for a cancel.
func CheckCancel(r store.Reservation, now time.Time) error {
	if err := r.CheckCancel(); err != nil {
		return err
	}
	if wait := r.CancelAfter.Sub(now); wait > 0 {
		return &CancelGuardError{Guard: r.CancelAfter.Sub(r.CreatedAt), Wait: wait}
	}
	return nil
}

// Finish closes a number that got its SMS.
func (e *Engine) Finish(ctx context.Context, userID, id int64) (store.Reservation, error) {
	r, err := e.st.UserReservation(ctx, userID, id)
	if err != nil {
		return r, err
	}
	if err := r.CheckFinish(); err != nil {
		return r, err
	}
	e.finishUpstream(ctx, r)
	r, err = e.st.EndReservation(ctx, id, store.ResFinished)
	if err == nil {
		e.forget(id)
	}
	return r, err
}

// finishUpstream tells the provider we are done; a failure there changes
// nothing for the person, who already has the SMS.
func (e *Engine) finishUpstream(ctx context.Context, r store.Reservation) {
	if p, ok := e.router.Provider(r.Provider); ok {
		if err := p.Finish(ctx, r.ProviderRef); err != nil && !errors.Is(err, provider.ErrUnknownActivation) {
			e.log.WarnContext(ctx, "finish upstream", "reservation", r.ID, "provider", r.Provider, "err", err)
		}
	}
}

// Again asks for another SMS on a received number, free of charge.
func (e *Engine) Again(ctx context.Context, userID, id int64) error {
	r, err := e.st.UserReservation(ctx, userID, id)
	if err != nil {
		return err
	}
	if err := r.CheckAgain(); err != nil {
		return err
	}
	p, ok := e.router.Provider(r.Provider)
	if !ok {
		return fmt.Errorf("again on %d: %w", id, ErrUnavailable)
	}
	switch err := p.Again(ctx, r.ProviderRef); {
	case errors.Is(err, provider.ErrNotSupported):
		return fmt.Errorf("%w (%v)", ErrNoAgain, err)
	case errors.Is(err, provider.ErrBadState), errors.Is(err, provider.ErrUnknownActivation):
		return fmt.Errorf("%w (%v)", store.ErrNotOpen, err)
	case err != nil:
		return fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	if err := e.st.AskedAnother(context.WithoutCancel(ctx), id, newestMessage(r)); err != nil {
		// The provider sends it all the same; only the wait for it is
		// not told (an SMS that came and ended it meanwhile).
		e.log.WarnContext(ctx, "record another SMS asked", "reservation", id, "err", err)
	}
	if e.isPuller(r.Provider) {
		e.startPolling(id, e.cfg.PollMin)
	}
	return nil
}

// newestMessage is the id of the reservation's newest message (0: none).
func newestMessage(r store.Reservation) int64 {
	var id int64
	for _, m := range r.Messages {
		id = max(id, m.ID)
	}
	return id
}

func (e *Engine) isPuller(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pullers[name]
}

// releaseForErasure gives back upstream the open numbers of an account
// being erased, as a cancel does (finished instead when an SMS came), and
// stops watching them: the store calls it before it deletes their rows
// (store.Releaser). An upstream that refuses or fails does not hold up
// the erasure, which is the person's right: it is logged, and the
// upstream ends the activation at its own expiry.
func (e *Engine) releaseForErasure(ctx context.Context, open []store.Reservation) {
	var wg sync.WaitGroup
	for _, r := range open {
		e.forget(r.ID)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
			defer cancel()
			e.log.InfoContext(ctx, "number given back for an erasure", "reservation", r.ID, "provider", r.Provider,
				"upstream", e.giveBackForced(cctx, r))
		}()
	}
	wg.Wait()
}
