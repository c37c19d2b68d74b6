package numbers

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Store is what the Numbers pane reads from the store.
type Store interface {
	// Now is the store's clock, the one reservations are stamped with.
	Now() time.Time
	UserReservation(ctx context.Context, userID, id int64) (store.Reservation, error)
	Favourites(ctx context.Context, userID int64) ([]store.Favourite, error)
	AddFavourite(ctx context.Context, userID int64, service, country string) (bool, error)
	RemoveFavourite(ctx context.Context, userID int64, service, country string) (bool, error)
}

// Engine is what the Numbers pane asks of the reservation engine
// (provider/engine implements it).
type Engine interface {
	Offers(ctx context.Context) []provider.RoutedOffer
	// Operators lists the operators a pair can be bought from.
	Operators(ctx context.Context, service, country string) []provider.RoutedOffer
	// Quote is what a pick sells at now (ok false: none in stock).
	Quote(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool)
	// SuccessRates are shared by every session: never modified.
	SuccessRates(ctx context.Context) *store.SuccessRates
	ReservePick(ctx context.Context, userID int64, p provider.Pick, priceCents int64) (store.Reservation, error)
	Simulated(providerName string) bool
	Lifetime() time.Duration
}
