package tui

import (
	"context"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
)

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
