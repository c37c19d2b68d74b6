package inbox

import (
	"context"
	"time"

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
}
