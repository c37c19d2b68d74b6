package auth

import (
	"context"

	"github.com/wantsms/wantsms/store"
)

// Store is what the way in asks of the store.
type Store interface {
	SignUp(ctx context.Context, email, password string, o store.Origin) (store.User, store.Standing, bool, error)
	SignInWithPassword(ctx context.Context, email, password string, o store.Origin) (store.User, store.Standing, error)
	ProvePendingKey(ctx context.Context, userID int64, spec store.KeySpec, o store.Origin) (store.Key, error)
	LinkKey(ctx context.Context, userID int64, spec store.KeySpec, name string, o store.Origin) (store.Key, error)
	RequestPasswordReset(ctx context.Context, email string, o store.Origin) error
	ResetPassword(ctx context.Context, email, code, newPassword string, o store.Origin) (store.User, store.Standing, error)
}
