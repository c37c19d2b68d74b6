package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// SuccessRates are the success rates of the last day and week, shared
// between sessions (store.SuccessRates), also given to the router to
// break price ties with. Nil when they cannot be counted: every rate then
// reads as unknown.
func (e *Engine) SuccessRates(ctx context.Context) *store.SuccessRates {
	rates, err := e.st.SuccessRates(ctx)
	if err != nil {
		e.log.ErrorContext(ctx, "success rates", "err", err)
		return nil
	}
	e.mu.Lock()
	changed := e.rates != rates
	e.rates = rates
	e.mu.Unlock()
	if changed {
		e.router.SetRates(rateSource{rates})
	}
	return rates
}

// rateSource ranks providers by the day's rate when the day has enough
// numbers to tell, else the week's.
type rateSource struct{ r *store.SuccessRates }

func (s rateSource) Percent(service, country, providerName string) (int, bool) {
	rate := s.r.Of(service, country, providerName)
	if pct, ok := rate.Day.Percent(); ok {
		return pct, true
	}
	return rate.Week.Percent()
}

// Operators lists the mobile operators whose numbers can be reserved for
// service in country now, with their sell prices and stock, cheapest
// first; empty where no provider sells by operator.
func (e *Engine) Operators(ctx context.Context, service, country string) []provider.RoutedOffer {
	return e.router.Operators(ctx, service, country)
}

// InStock lists what can be reserved now for service in country ("" for
// any service, any country), in stock only, cheapest first; equal prices
// keep the order of Offers (by service and country code). It is the list
// the commands and the JSON API show, and its first entry is "the
// cheapest" a reservation takes when no offer was chosen on a screen
// (Cheapest).
func (e *Engine) InStock(ctx context.Context, service, country string) []provider.RoutedOffer {
	var out []provider.RoutedOffer
	for _, o := range e.Offers(ctx) {
		if (service == "" || o.Service == service) && (country == "" || o.Country == country) && o.Stock > 0 {
			out = append(out, o)
		}
	}
	slices.SortStableFunc(out, func(a, b provider.RoutedOffer) int { return cmp.Compare(a.SellCents, b.SellCents) })
	return out
}

// Cheapest is the offer a reservation of p takes when the person chose
// none on a screen (a command, the JSON API): the cheapest in stock of
// p.Service, in p.Country when given, of p.Operator when given (an
// operator needs a country: operators differ from country to country);
// ok is false when none is in stock. Its price is what the person then
// agrees to pay: ReservePick refuses if it rose meanwhile.
func (e *Engine) Cheapest(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool) {
	switch {
	case p.Country != "":
		return e.Quote(ctx, p)
	case p.Operator != "":
		return provider.RoutedOffer{}, false
	}
	if list := e.InStock(ctx, p.Service, ""); len(list) > 0 {
		return list[0], true
	}
	return provider.RoutedOffer{}, false
}

// Quote is what a pick sells at now, with its stock and the provider
// behind it; ok is false when none is in stock.
func (e *Engine) Quote(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool) {
	list := e.Offers(ctx)
	if p.Operator != "" {
		list = e.Operators(ctx, p.Service, p.Country)
	}
	for _, o := range list {
		if o.Pick() == p && o.Stock > 0 {
			return o, true
		}
	}
	return provider.RoutedOffer{}, false
}

// Replacement is another number of the reported number's pair, as it
// sells now: of the same operator when one was chosen and still has
// stock, else of any; ok is false when none is in stock.
func (e *Engine) Replacement(ctx context.Context, r store.Reservation) (provider.RoutedOffer, bool) {
	p := provider.Pick{Service: r.Service, Country: r.Country, Operator: r.Operator}
	if o, ok := e.Quote(ctx, p); ok || p.Operator == "" {
		return o, ok
	}
	p.Operator = ""
	return e.Quote(ctx, p)
}

// Report ends a number the person reports as bad (the service says it is
// banned or already used, or its code never came) while no SMS has come:
// the provider is told (SMS-Activate status 8, 5sim ban; a cancel where
// the provider has no such call), the price is refunded in full, once,
// and the number counts against the provider's success rate. A report
// may come within the early-cancel guard (see store.MaxEarlyReports). Of two
// reports at once, one tells the provider and the other is refused.
func (e *Engine) Report(ctx context.Context, userID, id int64, reason store.ReportReason) (store.Reservation, error) {
	r, err := e.st.ClaimReport(ctx, store.ReportClaim{UserID: userID, ID: id, Reason: reason,
		MaxEarly: store.MaxEarlyReports, EarlyWindow: store.EarlyReportWindow})
	if err != nil {
		return r, err
	}
	if err := e.tellBad(ctx, r); err != nil {
		if rerr := e.st.ReleaseReport(context.WithoutCancel(ctx), id); rerr != nil {
			e.log.ErrorContext(ctx, "release report", "reservation", id, "err", rerr)
		}
		return r, err
	}
	ended, err := e.st.EndReservation(ctx, id, store.ResCancelled)
	if errors.Is(err, store.ErrNotOpen) {
		// It ended meanwhile (its expiry, or a poll that saw the ban):
		// refunded by that, once.
		ended, err = e.st.UserReservation(ctx, userID, id)
	}
	if err != nil {
		return r, err
	}
	e.forget(id)
	e.log.InfoContext(ctx, "reported", "reservation", id, "provider", r.Provider, "reason", reason,
		"state", ended.State)
	return ended, nil
}

// tellBad tells the provider the number is bad; the errors are the ones
// the person is shown.
func (e *Engine) tellBad(ctx context.Context, r store.Reservation) error {
	p, ok := e.router.Provider(r.Provider)
	if !ok {
		return nil // a provider no longer configured: nothing to tell
	}
	err := provider.ErrNotSupported
	if b, ok := p.(provider.Banner); ok {
		err = b.Ban(ctx, r.ProviderRef)
	}
	if errors.Is(err, provider.ErrNotSupported) {
		err = p.Cancel(ctx, r.ProviderRef)
	}
	switch {
	case err == nil, errors.Is(err, provider.ErrUnknownActivation):
		return nil
	case errors.Is(err, provider.ErrBadState):
		// An SMS came upstream that we have not seen yet: fetch it.
		e.refresh(ctx, r)
		return store.ErrSMSArrived
	case errors.Is(err, provider.ErrEarlyCancel):
		return fmt.Errorf("%w (%v)", ErrCancelLater, err)
	}
	return fmt.Errorf("%w (%v)", ErrUnavailable, err)
}
