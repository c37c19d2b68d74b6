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

// Rentals: a number rented for days (store.RentalDays) through the
// Router's renters, paid up front, receiving any number of SMS until it
// ends. The engine rents and records (one transaction with the debit,
// the number given back upstream when that fails), polls each rental for
// its SMS, gives the notice of its coming end (NoticeLead before it),
// ends it at its end (finished upstream, nothing moves), and ends it as
// failed, with the unused part refunded, when the provider ends it first.
// Extensions are paid before the provider is asked and paid back when it
// refuses; a cancel is asked of the provider first and refunded in full
// once it took the rental back. Like reservations, everything is resumed
// from the database on Start.

// Defaults of rentals: a rental day is a day; the market takes a rental
// back only in its first 20 minutes (SMS-Activate answers CANT_CANCEL
// after); a person holds at most as many rentals as open numbers.
const (
	DefaultRentalDay          = 24 * time.Hour
	DefaultRentalCancelWindow = 20 * time.Minute
)

// Refusals about rentals the engine explains to people.
var (
	ErrNoRentals error = userError("no numbers to rent for this service in this country for that long right now: " +
		"try another country or period, or again in a few minutes")
	ErrRentDays   error = store.ErrBadRentalDays
	ErrNoExtend   error = userError("this rental's provider cannot extend it: rent another number when it ends")
	ErrCantCancel error = userError("CANT_CANCEL: the provider no longer takes this rental back (an SMS came to it, " +
		"or its time to cancel passed)")
	ErrExtendRefused error = userError("the provider did not extend this rental: the extension was paid back")
	ErrNoExtendDays  error = userError("the provider does not extend this rental by that many days now: try another period")
)

// IsCantCancel reports whether err is the cancel rule's refusal of a
// rental (the market's CANT_CANCEL), from the engine or the store.
func IsCantCancel(err error) bool {
	var window *store.CancelWindowError
	return errors.Is(err, ErrCantCancel) || errors.Is(err, store.ErrRentalSMSCame) ||
		errors.Is(err, store.ErrRentalExtended) || errors.Is(err, store.ErrRentalNoCancel) || errors.As(err, &window)
}

// rentalJob is what a scheduled job does to a rental.
const (
	jobRentPoll   jobKind = iota + 100 // ask the provider for the rental's SMS
	jobRentEnd                         // end the rental at its end
	jobRentNotice                      // give the notice of its coming end
)

// rentalDay is how long a rental day lasts (Config.RentalDay).
func (e *Engine) rentalDay() time.Duration { return e.cfg.RentalDay }

// RentalDay is how long one day of a rental lasts on this server.
func (e *Engine) RentalDay() time.Duration { return e.cfg.RentalDay }

// checkDays refuses a rental period other than store.RentalDays.
func checkDays(days int) error {
	if !store.ValidRentalDays(days) {
		return ErrRentDays
	}
	return nil
}

// canonical checks a service and a country and gives the service's
// canonical code.
func canonical(service, country string) (string, error) {
	svc, ok := provider.LookupService(service)
	if !ok {
		return "", fmt.Errorf("rent %q: %w", service, ErrNotSold)
	}
	if _, ok := provider.LookupCountry(country); !ok {
		return "", fmt.Errorf("rent in %q: %w", country, ErrNotSold)
	}
	return svc.Code, nil
}

// RentOffer is what renting a number for service in country for days
// costs now, from the cheapest provider that rents it; ErrNoRentals when
// none does.
func (e *Engine) RentOffer(ctx context.Context, service, country string, days int) (provider.RoutedRentOffer, error) {
	if err := checkDays(days); err != nil {
		return provider.RoutedRentOffer{}, err
	}
	service, err := canonical(service, country)
	if err != nil {
		return provider.RoutedRentOffer{}, err
	}
	o, ok := e.router.RentOffer(ctx, service, country, days)
	if !ok {
		return o, ErrNoRentals
	}
	o.CancelWindow = min(o.CancelWindow, e.cfg.RentalCancelWindow)
	return o, nil
}

// Rent rents a number for a person at no more than priceCents (the price
// they confirmed), then records it and debits the price in one
// transaction. What would refuse it is checked before renting; when
// recording fails the number is given back upstream.
func (e *Engine) Rent(ctx context.Context, userID int64, service, country string, days int, priceCents int64) (store.Rental, error) {
	if err := checkDays(days); err != nil {
		return store.Rental{}, err
	}
	service, err := canonical(service, country)
	if err != nil {
		return store.Rental{}, err
	}
	if err := e.checkCanRent(ctx, userID, priceCents); err != nil {
		return store.Rental{}, err
	}
	markup := e.router.MarkupFor(service, country)
	name, n, cost, err := e.router.RentAt(ctx, service, country, days, priceCents, markup)
	if err != nil {
		if errors.Is(err, provider.ErrNoNumbers) {
			return store.Rental{}, fmt.Errorf("%w (%v)", ErrNoRentals, err)
		}
		return store.Rental{}, buyError(err)
	}
	rr, _ := e.router.Renter(name)
	window := min(e.cfg.RentalCancelWindow, rr.RentCancelWindow())
	// The number is ours upstream now: record it even if the person
	// disconnects meanwhile.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), upstreamTimeout)
	defer cancel()
	r, err := e.st.CreateRental(rctx, store.NewRental{
		UserID: userID, Service: service, Country: country, Phone: n.Phone, Provider: name, ProviderRef: n.Ref,
		Simulated: e.cfg.Simulated[name], CostMicros: int64(cost), PriceCents: provider.SellPrice(cost, markup),
		Days: days, Period: time.Duration(days) * e.rentalDay(), CancelWindow: window, UpstreamEnds: n.EndsAt,
		MaxOpen: e.cfg.MaxOpen,
	})
	if err != nil {
		e.log.ErrorContext(ctx, "rental not recorded: giving it back", "provider", name, "ref", n.Ref,
			"upstream", e.giveBackRental(rctx, rr, n.Ref, true), "err", err)
		return store.Rental{}, fmt.Errorf("record %s rental %s: %w", name, n.Ref, err)
	}
	e.log.InfoContext(ctx, "rented", "rental", r.ID, "provider", name, "service", service, "country", country,
		"days", days, "price_cents", r.PriceCents)
	e.trackRental(r, e.cfg.PollMin)
	return r, nil
}

// checkCanRent refuses early what the transaction would refuse anyway,
// so no number is rented for nothing.
func (e *Engine) checkCanRent(ctx context.Context, userID, priceCents int64) error {
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
	open, err := e.st.CountOpenRentals(ctx, userID)
	if err != nil {
		return err
	}
	if open >= e.cfg.MaxOpen {
		return &store.RentalLimitError{Max: e.cfg.MaxOpen}
	}
	return nil
}

// giveBackRental ends upstream a rental we will not keep: cancelled when
// it may be (a refund there), finished otherwise; it says how it went.
func (e *Engine) giveBackRental(ctx context.Context, rr provider.Renter, ref string, cancel bool) string {
	if cancel {
		err := rr.CancelRent(ctx, ref)
		switch {
		case err == nil:
			return "cancelled"
		case errors.Is(err, provider.ErrUnknownActivation):
			return "already gone"
		}
	}
	switch err := rr.FinishRent(ctx, ref); {
	case err == nil:
		return "finished"
	case errors.Is(err, provider.ErrUnknownActivation):
		return "already gone"
	default:
		return "not finished: " + err.Error()
	}
}

// CanExtend reports whether a provider can extend its rentals (an unknown
// provider cannot).
func (e *Engine) CanExtend(providerName string) bool {
	p, ok := e.router.Provider(providerName)
	if !ok {
		return false
	}
	if _, ok := unwrap(p).(provider.Renter); !ok {
		return false
	}
	x, ok := unwrap(p).(provider.ExtendSupport)
	return !ok || x.SupportsExtend()
}

// extendError turns a failed extension quote into what the person is told.
func extendError(err error) error {
	if errors.Is(err, provider.ErrNoNumbers) {
		return fmt.Errorf("%w (%v)", ErrNoExtendDays, err)
	}
	return buyError(err)
}

// ExtendQuote is what extending a person's rental by days costs now.
func (e *Engine) ExtendQuote(ctx context.Context, userID, id int64, days int) (int64, error) {
	if err := checkDays(days); err != nil {
		return 0, err
	}
	r, err := e.st.UserRental(ctx, userID, id)
	if err != nil {
		return 0, err
	}
	if err := r.CheckExtend(e.cfg.Clock.Now()); err != nil {
		return 0, err
	}
	if !e.CanExtend(r.Provider) {
		return 0, ErrNoExtend
	}
	_, sell, err := e.router.ExtendQuote(ctx, r.Provider, r.Service, r.Country, days)
	if err != nil {
		return 0, extendError(err)
	}
	return sell, nil
}

// Extend adds days to a person's rental at no more than priceCents (0:
// the price of the day). The extension is paid first, then asked of the
// provider; a provider that refuses gets it paid back (ErrExtendRefused).
// One that does not answer keeps it: should the rental then end upstream
// at its old end, it fails and the unused part, the extension's, comes
// back.
func (e *Engine) Extend(ctx context.Context, userID, id int64, days int, priceCents int64) (store.Rental, error) {
	if err := checkDays(days); err != nil {
		return store.Rental{}, err
	}
	r, err := e.st.UserRental(ctx, userID, id)
	if err != nil {
		return r, err
	}
	if err := r.CheckExtend(e.cfg.Clock.Now()); err != nil {
		return r, err
	}
	rr, ok := e.router.Renter(r.Provider)
	if !ok || !e.CanExtend(r.Provider) {
		return r, ErrNoExtend
	}
	cost, sell, err := e.router.ExtendQuote(ctx, r.Provider, r.Service, r.Country, days)
	if err != nil {
		return r, extendError(err)
	}
	if priceCents > 0 && sell > priceCents {
		return r, fmt.Errorf("%w (extension %d cents over %d)", ErrPriceChanged, sell, priceCents)
	}
	r, ext, err := e.st.ExtendRental(ctx, store.NewExtension{UserID: userID, RentalID: id, Days: days,
		Period: time.Duration(days) * e.rentalDay(), PriceCents: sell, CostMicros: int64(cost)})
	if err != nil {
		return r, err
	}
	// Paid: see it through even if the person disconnects.
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), upstreamTimeout)
	defer cancel()
	_, err = rr.ExtendRent(uctx, r.ProviderRef, days)
	switch {
	case err == nil:
	case errors.Is(err, provider.ErrUnavailable):
		e.log.WarnContext(ctx, "extension not confirmed upstream: kept", "rental", id, "extension", ext.ID, "err", err)
	default:
		if _, uerr := e.st.UndoExtension(uctx, ext.ID); uerr != nil {
			return r, fmt.Errorf("undo extension %d: %w (the provider refused it: %v)", ext.ID, uerr, err)
		}
		e.log.InfoContext(ctx, "extension refused upstream: paid back", "rental", id, "extension", ext.ID, "err", err)
		return r, fmt.Errorf("%w (%v)", ErrExtendRefused, err)
	}
	e.log.InfoContext(ctx, "rental extended", "rental", id, "days", days, "price_cents", sell)
	e.sched.add(job{at: r.EndsAt, id: id, kind: jobRentEnd})
	e.scheduleNotice(r)
	return r, nil
}

// CancelRental gives back a person's rental within its cancel window,
// before any SMS and any extension, and refunds it in full. The rule is
// checked first (CANT_CANCEL without asking anyone), then the provider
// must take it back, then the store checks the rule again as it refunds.
func (e *Engine) CancelRental(ctx context.Context, userID, id int64) (store.Rental, error) {
	r, err := e.st.UserRental(ctx, userID, id)
	if err != nil {
		return r, err
	}
	if err := r.CheckCancel(e.cfg.Clock.Now()); err != nil {
		return r, err
	}
	rr, ok := e.router.Renter(r.Provider)
	if ok {
		err = rr.CancelRent(ctx, r.ProviderRef)
	}
	switch {
	case err == nil, errors.Is(err, provider.ErrUnknownActivation):
	case errors.Is(err, provider.ErrBadState):
		// An SMS may have come that we have not seen yet: fetch it.
		e.refreshRental(ctx, r)
		return r, fmt.Errorf("%w (%v)", ErrCantCancel, err)
	default:
		return r, fmt.Errorf("%w (%v)", ErrUnavailable, err)
	}
	r, err = e.st.CancelRental(ctx, userID, id)
	if err != nil {
		return r, err
	}
	e.forgetRental(id)
	e.log.InfoContext(ctx, "rental cancelled", "rental", id, "refund_cents", r.RefundCents)
	return r, nil
}

// FinishRental ends a person's rental now, before its time, with no
// refund. The SMS that came meanwhile are fetched first, so none the
// person paid for is dropped; the provider is then told, and when it
// does not answer it ends the number at its own end.
func (e *Engine) FinishRental(ctx context.Context, userID, id int64) (store.Rental, error) {
	r, err := e.st.UserRental(ctx, userID, id)
	if err != nil {
		return r, err
	}
	if !r.State.Open() {
		return r, store.ErrRentalEnded
	}
	if !e.refreshRental(ctx, r) {
		r, _ = e.st.UserRental(ctx, userID, id)
		return r, store.ErrRentalEnded // the provider had ended it
	}
	if r, err = e.st.FinishRental(ctx, userID, id); err != nil {
		return r, err
	}
	e.forgetRental(id)
	if rr, ok := e.router.Renter(r.Provider); ok {
		e.finishRentalUpstream(ctx, rr, r)
	}
	return r, nil
}

// trackRental watches a rental, unless the engine does not lead or
// watches it already: its end, its notice and its polling from first on
// (as track).
func (e *Engine) trackRental(r store.Rental, first time.Duration) {
	gen, ok := e.watch.add(watchRental, r.ID)
	if !ok {
		return
	}
	e.sched.add(job{at: r.EndsAt, id: r.ID, kind: jobRentEnd})
	e.scheduleNotice(r)
	e.sched.add(job{at: e.cfg.Clock.Now().Add(first), id: r.ID, kind: jobRentPoll, gen: gen, interval: first})
}

// scheduleNotice schedules the notice of r's end, unless it was given.
func (e *Engine) scheduleNotice(r store.Rental) {
	if r.Noticed() {
		return
	}
	e.sched.add(job{at: r.EndsAt.Add(-store.NoticeLead(r, e.rentalDay())), id: r.ID, kind: jobRentNotice})
}

// forgetRental drops a rental's poll chain once it has ended.
func (e *Engine) forgetRental(id int64) { e.watch.forget(watchRental, id) }

// runRental runs a rental's job.
func (e *Engine) runRental(ctx context.Context, j job) {
	switch j.kind {
	case jobRentPoll:
		if e.watch.current(watchRental, j.id, j.gen) {
			e.pollRental(ctx, j)
		}
	case jobRentEnd:
		e.endRental(ctx, j.id)
	case jobRentNotice:
		e.noticeRental(ctx, j.id)
	}
}

// pollRental asks the provider about an active rental, stores new SMS,
// follows the provider's own end, and schedules the next poll. Pushers
// are looked at once (a push that raced the recording), then left to push.
func (e *Engine) pollRental(ctx context.Context, j job) {
	r, err := e.st.Rental(ctx, j.id)
	if err != nil || !r.State.Open() {
		e.forgetRental(j.id)
		return
	}
	if !e.refreshRental(ctx, r) || !e.isPuller(r.Provider) {
		return
	}
	next := min(max(time.Duration(float64(j.interval)*pollGrowth), e.cfg.PollMin), e.cfg.PollMax)
	if e.watch.current(watchRental, j.id, j.gen) {
		e.sched.add(job{at: e.cfg.Clock.Now().Add(jitter(next)), id: j.id, kind: jobRentPoll, gen: j.gen, interval: next})
	}
}

// refreshRental checks a rental upstream and reacts; it reports whether
// the rental is still active.
func (e *Engine) refreshRental(ctx context.Context, r store.Rental) bool {
	rr, ok := e.router.Renter(r.Provider)
	if !ok {
		e.log.Error("rental of an unknown provider", "rental", r.ID, "provider", r.Provider)
		return true // its end ends it
	}
	st, err := rr.RentCheck(ctx, r.ProviderRef)
	switch {
	case errors.Is(err, provider.ErrUnknownActivation) && e.foreignSim(r.Provider):
		return true // perhaps another instance's: its end ends it
	case errors.Is(err, provider.ErrUnknownActivation):
		e.rentalGone(ctx, r, "unknown upstream")
		return false
	case err != nil:
		e.log.Debug("rent check", "rental", r.ID, "provider", r.Provider, "err", err)
		return true
	}
	for _, m := range st.Messages {
		e.storeRentalSMS(ctx, r.ID, m)
	}
	switch st.State {
	case provider.Cancelled, provider.Expired, provider.Banned, provider.Finished:
		e.rentalGone(ctx, r, "upstream "+string(st.State))
		return false
	}
	return true
}

// rentalGone ends a rental the provider ended without us: as failed, the
// unused part refunded, when its time had not run out; as ended otherwise.
func (e *Engine) rentalGone(ctx context.Context, r store.Rental, why string) {
	r, err := e.st.FailRental(ctx, r.ID)
	if err != nil && !errors.Is(err, store.ErrRentalEnded) {
		e.log.Error("end rental", "rental", r.ID, "err", err)
		return
	}
	e.forgetRental(r.ID)
	e.log.Info("rental ended upstream", "rental", r.ID, "state", r.State, "refund_cents", r.RefundCents, "why", why)
}

// storeRentalSMS adds one SMS to a rental; it reports whether it is
// stored (now or before).
func (e *Engine) storeRentalSMS(ctx context.Context, id int64, m provider.Message) bool {
	code := provider.MessageCode(m.Code, m.Text)
	msgID := m.ID
	if msgID == "" {
		msgID = provider.MessageID(code, m.Text)
	}
	added, err := e.st.AddRentalMessage(ctx, id, store.NewMessage{ProviderID: msgID, Sender: m.Sender, Body: m.Text,
		Code: code, ReceivedAt: m.ReceivedAt})
	if err != nil {
		if !errors.Is(err, store.ErrRentalEnded) {
			e.log.Error("store rental message", "rental", id, "err", err)
		}
		return false
	}
	if added {
		e.log.Info("rental sms received", "rental", id)
	}
	return true
}

// endRental ends a rental at its end: a last look upstream for SMS, the
// rental ended here (nothing moves: it was paid), then finished upstream.
// Ended here first: an SMS the provider takes after that look is one
// that came after the end, and a kill before the finish leaves the
// upstream to end it at its own end, never a rental active here that its
// provider no longer serves.
func (e *Engine) endRental(ctx context.Context, id int64) {
	r, err := e.st.Rental(ctx, id)
	if err != nil || !r.State.Open() {
		return
	}
	if now := e.cfg.Clock.Now(); now.Before(r.EndsAt) {
		// Extended meanwhile, perhaps on another instance, whose timers
		// for the new end were not set (lead.go): the notice of the new
		// end too.
		e.sched.add(job{at: r.EndsAt, id: id, kind: jobRentEnd})
		e.scheduleNotice(r)
		return
	}
	rr, known := e.router.Renter(r.Provider)
	if known && !e.lastRentalLook(ctx, rr, r) {
		e.sched.add(job{at: e.cfg.Clock.Now().Add(e.cfg.PollMin), id: id, kind: jobRentEnd})
		return
	}
	_, err = e.st.EndRental(ctx, id)
	switch {
	case errors.Is(err, store.ErrRentalNotDue):
		r, _ = e.st.Rental(ctx, id)
		e.sched.add(job{at: r.EndsAt, id: id, kind: jobRentEnd})
		return
	case errors.Is(err, store.ErrRentalEnded):
		e.forgetRental(id)
		return
	case err != nil:
		e.log.Error("end rental", "rental", id, "err", err)
		e.sched.add(job{at: e.cfg.Clock.Now().Add(e.cfg.PollMax), id: id, kind: jobRentEnd})
		return
	}
	e.forgetRental(id)
	e.log.Info("rental ended", "rental", id)
	if known {
		e.finishRentalUpstream(ctx, rr, r)
	}
}

// finishRentalUpstream tells the provider a rental ended here; one that does
// not hear it ends the number at its own end anyway.
func (e *Engine) finishRentalUpstream(ctx context.Context, rr provider.Renter, r store.Rental) {
	if err := rr.FinishRent(ctx, r.ProviderRef); err != nil && !errors.Is(err, provider.ErrUnknownActivation) {
		e.log.Warn("finish rental upstream", "rental", r.ID, "err", err)
	}
}

// lastRentalLook fetches a due rental's SMS before it ends; it reports
// whether the rental may end now. An upstream that does not answer may
// still hold SMS of the paid time, and a pull protocol shows none once
// the provider's own end has passed, so the end waits for an answer for
// a while (rentalLastLookGrace) rather than dropping them.
func (e *Engine) lastRentalLook(ctx context.Context, rr provider.Renter, r store.Rental) bool {
	st, err := rr.RentCheck(ctx, r.ProviderRef)
	switch {
	case err == nil:
		for _, m := range st.Messages {
			e.storeRentalSMS(ctx, r.ID, m)
		}
		return true
	case errors.Is(err, provider.ErrUnknownActivation):
		return true
	case e.cfg.Clock.Now().Before(r.EndsAt.Add(e.rentalLastLookGrace())):
		e.log.Warn("rental end waits for the provider's last answer", "rental", r.ID, "provider", r.Provider, "err", err)
		return false
	default:
		e.log.Error("rental ended without a last look upstream", "rental", r.ID, "provider", r.Provider, "err", err)
		return true
	}
}

// rentalLastLookGrace is how long past its end a rental waits for its
// provider to answer the last look: a few of the longest polls.
func (e *Engine) rentalLastLookGrace() time.Duration { return 4 * e.cfg.PollMax }

// noticeRental gives the notice of a rental's coming end, once per end.
func (e *Engine) noticeRental(ctx context.Context, id int64) {
	r, err := e.st.Rental(ctx, id)
	if err != nil || !r.State.Open() || r.Noticed() {
		return
	}
	lead := store.NoticeLead(r, e.rentalDay())
	if at := r.EndsAt.Add(-lead); e.cfg.Clock.Now().Before(at) {
		e.sched.add(job{at: at, id: id, kind: jobRentNotice})
		return
	}
	given, err := e.st.GiveRentalNotice(ctx, id, lead)
	if err != nil {
		e.log.Error("rental notice", "rental", id, "err", err)
		e.sched.add(job{at: e.cfg.Clock.Now().Add(e.cfg.PollMax), id: id, kind: jobRentNotice})
		return
	}
	if given {
		e.log.Info("rental notice given", "rental", id, "ends", r.EndsAt.UTC())
	}
}

// ingestRentalPush stores an SMS a provider pushed for one of its
// rentals; it reports whether ref names an active rental.
func (e *Engine) ingestRentalPush(ctx context.Context, name, ref string, m provider.Message) bool {
	r, err := e.st.OpenRentalByRef(ctx, name, ref)
	if err != nil {
		if !errors.Is(err, store.ErrNoRental) {
			e.log.Error("pushed rental message", "provider", name, "err", err)
		}
		return false
	}
	e.storeRentalSMS(ctx, r.ID, m)
	return true
}

// releaseRentalsForErasure gives back upstream the active rentals of an
// account being erased (cancelled while the provider would still take
// one back, finished otherwise) and stops watching them
// (store.RentalReleaser). An upstream that fails does not hold up the
// erasure: it is logged, and the rental ends upstream at its own end.
func (e *Engine) releaseRentalsForErasure(ctx context.Context, open []store.Rental) {
	var wg sync.WaitGroup
	now := e.cfg.Clock.Now()
	for _, r := range open {
		e.forgetRental(r.ID)
		rr, ok := e.router.Renter(r.Provider)
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
			defer cancel()
			e.log.InfoContext(ctx, "rental given back for an erasure", "rental", r.ID, "provider", r.Provider,
				"upstream", e.giveBackRental(cctx, rr, r.ProviderRef, now.Before(r.CancelUntil)))
		}()
	}
	wg.Wait()
}
