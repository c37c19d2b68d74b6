package provider

import (
	"context"
	"time"
)

// Renter is implemented by providers that rent numbers for days: a rental
// receives any number of SMS until it ends. Like Provider, it carries
// protocol facts only (service, country, days, cost cap, rental id).
type Renter interface {
	// RentQuote is the cost and stock of renting a number for a canonical
	// service in a country for days. A pair the upstream does not rent is
	// an offer with no stock.
	RentQuote(ctx context.Context, service, country string, days int) (RentOffer, error)
	// Rent rents a number for days. maxCost 0 means no cap; otherwise a
	// rental costing more is never taken (ErrMaxPrice).
	Rent(ctx context.Context, service, country string, days int, maxCost Micros) (Rented, error)
	// RentCheck reports the rental's state (Waiting or Received while it
	// runs) and every SMS it got so far.
	RentCheck(ctx context.Context, ref string) (Status, error)
	// ExtendRent adds days to a running rental and reports its new end
	// (zero when the upstream does not say) and what the days cost;
	// ErrNotSupported where the upstream cannot extend, ErrBadState when
	// the rental is over there.
	ExtendRent(ctx context.Context, ref string, days int) (Rented, error)
	// CancelRent gives a rental back for a refund: ErrBadState once the
	// upstream refuses (an SMS came, or its cancel window passed).
	CancelRent(ctx context.Context, ref string) error
	// FinishRent ends a rental (ours is over); one over already is fine.
	FinishRent(ctx context.Context, ref string) error
	// RentCancelWindow is how long after renting the upstream takes a
	// rental back with a refund (the market's 20 minutes); 0 when never.
	RentCancelWindow() time.Duration
}

// RentOffer is what one provider asks for renting one service's number in
// one country for some days.
type RentOffer struct {
	Service string
	Country string
	Days    int
	Cost    Micros
	Stock   int
}

// Rented is a rented number, or what an extension did to one.
type Rented struct {
	Ref   string // the provider's rental id, opaque to callers
	Phone string // E.164; empty for an extension
	Cost  Micros // what the provider charged (or will charge) for the period
	// EndsAt is the upstream's own end of the rental when it says so in
	// a form we can trust (with its time zone); zero otherwise.
	EndsAt time.Time
}

// RentalPeriods are the lengths of rental a provider is asked for, in
// days: the market's day, week, fortnight and month.
var RentalPeriods = []int{1, 7, 14, 30}
