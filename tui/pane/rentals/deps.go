package rentals

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Store is what the Rentals pane reads from the store.
type Store interface {
	// Now is the store's clock, the one rentals are stamped with.
	Now() time.Time
	OpenRentals(ctx context.Context, userID int64) ([]store.Rental, error)
}

// Engine is what the Rentals pane asks of the engine's rental side
// (provider/engine implements it): the rules and words the rental
// commands use too.
type Engine interface {
	RentOffer(ctx context.Context, service, country string, days int) (provider.RoutedRentOffer, error)
	Rent(ctx context.Context, userID int64, service, country string, days int, priceCents int64) (store.Rental, error)
	ExtendQuote(ctx context.Context, userID, id int64, days int) (int64, error)
	Extend(ctx context.Context, userID, id int64, days int, priceCents int64) (store.Rental, error)
	CancelRental(ctx context.Context, userID, id int64) (store.Rental, error)
	// CanExtend reports whether a provider extends its rentals.
	CanExtend(providerName string) bool
	// Simulated reports whether a provider's numbers are simulated.
	Simulated(providerName string) bool
	// RentalDay is how long a day of a rental lasts on this server.
	RentalDay() time.Duration
}
