package commands

import (
	"context"
	"log/slog"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Deps are the services commands run with.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// SSHCommand is how people reach this server, e.g. "ssh -p 2222
	// localhost", for the commands a message suggests.
	SSHCommand string
	// Payments opens top-ups; nil refuses them.
	Payments *billing.Payments
	// Numbers is the reservation engine; nil refuses what needs it.
	Numbers Numbers
	// Rentals is the engine's rental side; nil refuses rentals.
	Rentals Rentals
}

// Numbers is what commands ask of the reservation engine
// (provider/engine implements it): the same offers and actions as the
// dashboard's Numbers pane and Inbox.
type Numbers interface {
	Offers(ctx context.Context) []provider.RoutedOffer
	// InStock and Cheapest are the offers in stock, cheapest first, and
	// the one a reservation without a chosen offer takes.
	InStock(ctx context.Context, service, country string) []provider.RoutedOffer
	Cheapest(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool)
	Operators(ctx context.Context, service, country string) []provider.RoutedOffer
	// SuccessRates are shared: nil when they cannot be counted.
	SuccessRates(ctx context.Context) *store.SuccessRates
	ReservePick(ctx context.Context, userID int64, p provider.Pick, priceCents int64) (store.Reservation, error)
	Report(ctx context.Context, userID, id int64, reason store.ReportReason) (store.Reservation, error)
	Replacement(ctx context.Context, r store.Reservation) (provider.RoutedOffer, bool)
	Cancel(ctx context.Context, userID, id int64) (store.Reservation, error)
	Finish(ctx context.Context, userID, id int64) (store.Reservation, error)
	Again(ctx context.Context, userID, id int64) error
	Simulated(providerName string) bool
}

// Rentals is what commands ask of the engine about rentals
// (provider/engine implements it): the same as the dashboard's Rentals
// pane.
type Rentals interface {
	RentOffer(ctx context.Context, service, country string, days int) (provider.RoutedRentOffer, error)
	Rent(ctx context.Context, userID int64, service, country string, days int, priceCents int64) (store.Rental, error)
	ExtendQuote(ctx context.Context, userID, id int64, days int) (int64, error)
	Extend(ctx context.Context, userID, id int64, days int, priceCents int64) (store.Rental, error)
	CancelRental(ctx context.Context, userID, id int64) (store.Rental, error)
}

// SSHWith is the SSH command with extra client flags and a remote command,
// e.g. SSHWith("-t", "") → "ssh -t -p 2222 localhost".
func (d Deps) SSHWith(flags, command string) string {
	return wording.SSHWith(d.SSHCommand, flags, command)
}
