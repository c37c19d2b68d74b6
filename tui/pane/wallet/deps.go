package wallet

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/store"
)

// Store is what the Wallet reads from the store.
type Store interface {
	// Now is the store's clock, the one orders are stamped with.
	Now() time.Time
	Orders(ctx context.Context, userID int64, limit int) ([]store.Order, error)
	OrderByNumber(ctx context.Context, number string) (store.Order, error)
	BTCPayments(ctx context.Context, orderID int64) ([]store.BTCPayment, error)
}

// Payments is the payment desk the Wallet opens top-ups at
// (billing.Payments implements it).
type Payments interface {
	Packs() billing.Packs
	CardReady() bool
	BitcoinReady() bool
	// PayLink is the short link to an order's payment page.
	PayLink(number string) string
	// UnverifiedMaxCents is the most an account whose email is not
	// verified may top up in all (0: nothing).
	UnverifiedMaxCents() int64
	OpenCard(ctx context.Context, u store.User, cents int64) (store.Order, error)
	OpenBitcoin(ctx context.Context, u store.User, cents int64) (store.Order, error)
}

var _ Payments = (*billing.Payments)(nil)
