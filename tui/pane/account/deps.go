package account

import (
	"context"

	"github.com/wantsms/wantsms/store"
)

// Store is what the Account pane reads and changes in the store: every
// change is the account's own, checked and recorded there.
type Store interface {
	Keys(ctx context.Context, userID int64) ([]store.Key, error)
	PendingKeys(ctx context.Context, userID int64) ([]store.Key, error)
	SecurityEvents(ctx context.Context, userID int64, limit int) ([]store.SecurityEvent, error)
	PolicyVersionAccepted(ctx context.Context, userID int64) (string, error)
	EmailState(ctx context.Context, userID int64) (store.EmailState, error)
	Notices(ctx context.Context, userID int64) ([]store.NoticeSetting, error)
	MailLog(ctx context.Context, userID int64, limit int) ([]store.MailLogEntry, error)

	LinkKey(ctx context.Context, userID int64, k store.KeySpec, name string, o store.Origin) (store.Key, error)
	AddPendingKey(ctx context.Context, userID int64, k store.KeySpec, name string, o store.Origin) (store.Key, error)
	RenameKey(ctx context.Context, userID, keyID int64, name string, o store.Origin) error
	RemoveKey(ctx context.Context, userID, keyID int64, o store.Origin) error
	RemovePendingKey(ctx context.Context, userID, id int64, o store.Origin) error
	ChangePassword(ctx context.Context, userID int64, current, next string, o store.Origin) (string, error)
	ChangeEmail(ctx context.Context, userID int64, password, newEmail string, o store.Origin) (store.User, error)
	DeleteAccount(ctx context.Context, userID int64, password string, o store.Origin) error
	VerifyEmail(ctx context.Context, userID int64, code string, o store.Origin) (store.User, error)
	ResendVerification(ctx context.Context, userID int64, o store.Origin) (string, error)
	SetNotice(ctx context.Context, userID int64, kind store.MailKind, on bool) error

	APIKeys(ctx context.Context, userID int64) ([]store.APIKey, error)
	CreateAPIKeyConfirmed(ctx context.Context, userID int64, password, name string, o store.Origin) (store.APIKey, string, error)
	RevokeAPIKey(ctx context.Context, userID int64, name string, o store.Origin) (store.APIKey, error)
	Webhooks(ctx context.Context, userID int64, recent int) ([]store.Webhook, error)
	AddWebhook(ctx context.Context, userID int64, n store.NewWebhook, o store.Origin) (store.WebhookAdded, error)
	RemoveWebhook(ctx context.Context, userID, id int64, o store.Origin) (store.Webhook, error)
	TestWebhook(ctx context.Context, userID, id int64) ([]store.WebhookDelivery, error)
	RotateWebhookSecret(ctx context.Context, userID int64, password *string, o store.Origin) (string, error)
}
