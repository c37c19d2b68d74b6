package tui

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Numbers is what the dashboard asks of the reservation engine
// (provider/engine implements it).
type Numbers interface {
	Offers(ctx context.Context) []provider.RoutedOffer
	Reserve(ctx context.Context, userID int64, service, country string, priceCents int64) (store.Reservation, error)
	Cancel(ctx context.Context, userID, id int64) (store.Reservation, error)
	Finish(ctx context.Context, userID, id int64) (store.Reservation, error)
	Again(ctx context.Context, userID, id int64) error
	Simulated(providerName string) bool
	// CanAgain reports whether the provider can send another SMS.
	CanAgain(providerName string) bool
	Lifetime() time.Duration
}
