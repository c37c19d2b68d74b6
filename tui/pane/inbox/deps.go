package inbox

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Store is what the Inbox reads from the store.
type Store interface {
	// Now is the store's clock, the one reservations are stamped with.
	Now() time.Time
	OpenReservations(ctx context.Context, userID int64) ([]store.Reservation, error)
}

// Engine is what the Inbox asks of the reservation engine
// (provider/engine implements it).
type Engine interface {
	Cancel(ctx context.Context, userID, id int64) (store.Reservation, error)
	Finish(ctx context.Context, userID, id int64) (store.Reservation, error)
	Again(ctx context.Context, userID, id int64) error
	// CanAgain reports whether the provider can send another SMS.
	CanAgain(providerName string) bool
	// Report ends a bad number with a refund and tells the provider.
	Report(ctx context.Context, userID, id int64, reason store.ReportReason) (store.Reservation, error)
	// Replacement is another number of a reported number's pair.
	Replacement(ctx context.Context, r store.Reservation) (provider.RoutedOffer, bool)
	// Quote is what a pick sells at now (ok false: none in stock).
	Quote(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool)
	ReservePick(ctx context.Context, userID int64, p provider.Pick, priceCents int64) (store.Reservation, error)
}
