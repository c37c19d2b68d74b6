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

// The engine's side of the Admin pane: what needs the providers as well
// as the store. Every method checks the actor first (before any upstream
// call), and each action's store transaction checks it again and writes
// the audit row.

// balanceTimeout bounds the upstream balance calls of one report, so a
// dead upstream does not hold the admin's screen.
const balanceTimeout = 5 * time.Second

// ProviderReport is one provider as the Admin pane shows it.
type ProviderReport struct {
	provider.StatsSnapshot // enabled, calls and errors (hour, day), last error
	Balance                provider.Micros
	BalanceErr             string        // why the balance is unknown, if it is
	SMSHour, SMSDay        store.Outcome // reservations and how many got an SMS
}

// ProviderReports reports every provider: routing state and error rates
// from the router's counters, success rates from the database, and each
// upstream's balance, asked now.
func (e *Engine) ProviderReports(ctx context.Context, a store.Actor) ([]ProviderReport, error) {
	if err := e.st.CheckActor(ctx, a); err != nil {
		return nil, err
	}
	hour, day, err := e.st.ProviderOutcomes(ctx, e.cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	stats := e.router.Stats()
	out := make([]ProviderReport, len(stats))
	bctx, cancel := context.WithTimeout(ctx, balanceTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range stats {
		out[i] = ProviderReport{StatsSnapshot: s, SMSHour: hour[s.Provider], SMSDay: day[s.Provider]}
		p, _ := e.router.Provider(s.Provider)
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := p.Balance(bctx)
			out[i].Balance = b
			if err != nil {
				out[i].BalanceErr = err.Error()
			}
		}()
	}
	wg.Wait()
	return out, nil
}

// SetProviderEnabled switches a provider on or off for new purchases,
// without a restart; the choice is recorded and outlives restarts.
// Numbers already bought from it carry on.
func (e *Engine) SetProviderEnabled(ctx context.Context, a store.Actor, name string, on bool) error {
	if _, ok := e.router.Provider(name); !ok {
		return store.ErrBadProvider
	}
	if err := e.st.SetProviderEnabled(ctx, a, name, on); err != nil {
		return err
	}
	if err := e.router.SetEnabled(name, on); err != nil {
		return err
	}
	e.log.InfoContext(ctx, "provider switched", "provider", name, "enabled", on, "admin", a.UserID)
	return nil
}

// PriceRow is one service × country as the Prices section shows it.
type PriceRow struct {
	provider.RoutedOffer                 // the cheapest provider, its cost and the sell price now
	Markup               provider.Markup // the markup in force for the pair
}

// PriceList is what is on sale now with the markup of each pair, and the
// overrides in force.
func (e *Engine) PriceList(ctx context.Context, a store.Actor) ([]PriceRow, []store.PriceOverride, error) {
	if err := e.st.CheckActor(ctx, a); err != nil {
		return nil, nil, err
	}
	overrides, err := e.st.PriceOverrides(ctx)
	if err != nil {
		return nil, nil, err
	}
	offers := e.router.Offers(ctx)
	rows := make([]PriceRow, len(offers))
	for i, o := range offers {
		rows[i] = PriceRow{RoutedOffer: o, Markup: e.router.MarkupFor(o.Service, o.Country)}
	}
	return rows, overrides, nil
}

// SetMarkup overrides the markup of a service (country ""), a country
// (service "") or a pair, for reservations made from now on.
func (e *Engine) SetMarkup(ctx context.Context, a store.Actor, service, country string, m provider.Markup) error {
	service, err := checkScope(service, country)
	if err != nil {
		return err
	}
	if _, err := e.st.SetPriceOverride(ctx, a, service, country, int64(m)); err != nil {
		return err
	}
	return e.loadOverrides(ctx)
}

// ClearMarkup removes an override.
func (e *Engine) ClearMarkup(ctx context.Context, a store.Actor, service, country string) error {
	if err := e.st.ClearPriceOverride(ctx, a, service, country); err != nil {
		return err
	}
	return e.loadOverrides(ctx)
}

// ErrUnknownScope refuses an override for a service or country we do not
// sell.
var ErrUnknownScope error = userError("no such service or country: use the codes shown in the price list")

// checkScope also gives the canonical service code, so an override set
// for "tg" is the one for "telegram".
func checkScope(service, country string) (string, error) {
	if service == "" && country == "" {
		return "", store.ErrBadPriceScope
	}
	svc, ok := provider.LookupService(service)
	if service != "" && !ok {
		return "", ErrUnknownScope
	}
	if _, ok := provider.LookupCountry(country); country != "" && !ok {
		return "", ErrUnknownScope
	}
	return svc.Code, nil
}

// loadOverrides gives the router the overrides in the database.
func (e *Engine) loadOverrides(ctx context.Context) error {
	list, err := e.st.PriceOverrides(ctx)
	if err != nil {
		return err
	}
	o := provider.Overrides{}
	for _, p := range list {
		o[provider.Scope{Service: p.Service, Country: p.Country}] = provider.Markup(p.MarkupBP)
	}
	e.router.SetOverrides(o)
	return nil
}

// applySettings applies what admins changed at run time (overrides,
// providers switched) over the configuration: at start, and again
// whenever they change on any instance (settings.go).
func (e *Engine) applySettings(ctx context.Context) error {
	if err := e.loadOverrides(ctx); err != nil {
		return fmt.Errorf("price overrides: %w", err)
	}
	settings, err := e.st.ProviderSettings(ctx)
	if err != nil {
		return err
	}
	was := map[string]bool{}
	for _, s := range e.router.Stats() {
		was[s.Provider] = s.Enabled
	}
	for _, s := range settings {
		on, ok := was[s.Name]
		if !ok || on == s.Enabled {
			continue // no longer configured, or already so
		}
		if err := e.router.SetEnabled(s.Name, s.Enabled); err != nil {
			return err
		}
		e.log.Info("provider switched by an admin", "provider", s.Name, "enabled", s.Enabled,
			"admin", s.UpdatedBy, "since", s.UpdatedAt.UTC())
	}
	return nil
}

// ForceCancel is support's cancel of any open number: the number is
// given back upstream (cancelled, or finished when an SMS came), then
// ended and refunded in full with the reason in the audit trail. An
// upstream that refuses or fails does not stop it (that is what force
// means); what it answered goes into the audit row.
func (e *Engine) ForceCancel(ctx context.Context, a store.Actor, id int64, reason string) (store.Reservation, error) {
	if err := e.st.CheckActor(ctx, a); err != nil {
		return store.Reservation{}, err
	}
	if _, err := store.CleanReason(reason); err != nil {
		return store.Reservation{}, err
	}
	r, err := e.st.Reservation(ctx, id)
	if err != nil {
		return r, err
	}
	if !r.State.Open() {
		return r, store.ErrNotOpen
	}
	note := e.giveBackForced(ctx, r)
	r, err = e.st.ForceEndReservation(ctx, a, id, reason, note)
	if err != nil {
		return r, err
	}
	e.forget(id)
	e.log.InfoContext(ctx, "reservation cancelled by support", "reservation", id, "admin", a.UserID, "upstream", note)
	return r, nil
}

// giveBackForced ends an activation upstream and says how it went: it is
// cancelled while no SMS came, finished otherwise, also when the upstream
// refuses the cancel because an SMS came that we have not seen yet.
func (e *Engine) giveBackForced(ctx context.Context, r store.Reservation) string {
	p, ok := e.router.Provider(r.Provider)
	if !ok {
		return "provider not configured"
	}
	op, call := "cancelled", p.Cancel
	if r.State == store.ResReceived {
		op, call = "finished", p.Finish
	}
	err := call(ctx, r.ProviderRef)
	if op == "cancelled" && errors.Is(err, provider.ErrBadState) {
		op, err = "finished", p.Finish(ctx, r.ProviderRef)
	}
	switch {
	case err == nil:
		return op
	case errors.Is(err, provider.ErrUnknownActivation):
		return "already gone"
	default:
		return "not " + op + ": " + err.Error()
	}
}
