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
}

// Engine is what the Numbers pane asks of the reservation engine
// (provider/engine implements it).
type Engine interface {
	Offers(ctx context.Context) []provider.RoutedOffer
	Reserve(ctx context.Context, userID int64, service, country string, priceCents int64) (store.Reservation, error)
	Simulated(providerName string) bool
	Lifetime() time.Duration
}
