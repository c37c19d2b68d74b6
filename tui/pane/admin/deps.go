package admin

import (
	"context"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// Store is what the Admin pane asks of the store. Every method but Hub
// and ReadGauges checks the actor (the admin role, a key the host enrolled
// for admin use) and writes the audit row itself.
type Store interface {
	// Hub is where the pane follows everyone's events while in view.
	Hub() *store.Hub
	AdminUsers(ctx context.Context, a store.Actor, search string, limit int) (users []store.User, more bool, err error)
	AdminUserPage(ctx context.Context, a store.Actor, userID int64) (store.UserPage, error)
	BanUser(ctx context.Context, a store.Actor, userID int64, reason string) (store.User, error)
	UnbanUser(ctx context.Context, a store.Actor, userID int64, reason string) (store.User, error)
	AdjustAsAdmin(ctx context.Context, a store.Actor, userID, cents int64, reason string) (store.AdminCredit, error)
	AdminOrders(ctx context.Context, a store.Actor, q store.OrderQuery) ([]store.Order, error)
	SettleReview(ctx context.Context, a store.Actor, number string, cents int64, reason string) (store.Order, error)
	AdminOpenReservations(ctx context.Context, a store.Actor, q store.ReservationQuery) ([]store.Reservation, error)
	SupportInbox(ctx context.Context, a store.Actor, limit int) ([]store.InboxThread, error)
	StaffThread(ctx context.Context, a store.Actor, threadID int64) (store.SupportThread, error)
	ReplySupport(ctx context.Context, a store.Actor, threadID int64, body string) (store.SupportMessage, error)
	CloseSupport(ctx context.Context, a store.Actor, threadID int64) error
	SearchAudit(ctx context.Context, a store.Actor, q store.AuditQuery) ([]store.AuditEntry, error)
	FailedMails(ctx context.Context, a store.Actor, limit int) ([]store.MailLogEntry, error)
	// ReadGauges counts the outbox by status (no personal data; read after
	// FailedMails checked the actor).
	ReadGauges(ctx context.Context) (store.Gauges, error)
}

// Operations is what the Admin pane asks of the provider side
// (provider/engine implements it). Every method checks the actor.
type Operations interface {
	ForceCancel(ctx context.Context, a store.Actor, id int64, reason string) (store.Reservation, error)
	ProviderReports(ctx context.Context, a store.Actor) ([]engine.ProviderReport, error)
	SetProviderEnabled(ctx context.Context, a store.Actor, name string, on bool) error
	PriceList(ctx context.Context, a store.Actor) ([]engine.PriceRow, []store.PriceOverride, error)
	SetMarkup(ctx context.Context, a store.Actor, service, country string, m provider.Markup) error
	ClearMarkup(ctx context.Context, a store.Actor, service, country string) error
}

var _ Operations = (*engine.Engine)(nil)

// env is what every section works with: the session's Common and the
// services the pane was given.
type env struct {
	*kit.Common
	db  Store
	ops Operations // nil: no provider engine in this server
}
