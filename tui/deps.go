package tui

import (
	"log/slog"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/pane/admin"
	"github.com/wantsms/wantsms/tui/pane/inbox"
	"github.com/wantsms/wantsms/tui/pane/numbers"
	"github.com/wantsms/wantsms/tui/pane/rentals"
)

// Deps are the services sessions work with. The shell hands each pane
// only the ones it uses, as the narrow interfaces the pane declares.
type Deps struct {
	Store *store.Store
	Log   *slog.Logger
	// SSHCommand is how people reach this server, e.g. "ssh -p 2222
	// localhost", for the commands the dashboard suggests.
	SSHCommand string
	// Payments opens top-ups; nil shows the Wallet without payment methods.
	Payments *billing.Payments
	// Numbers is the reservation engine; nil in screens that need none.
	Numbers Numbers
	// Operations is the provider side of the Admin pane (the engine);
	// nil hides the sections that need it.
	Operations admin.Operations
	// Rentals is the engine's rental side; nil offers no rental.
	Rentals rentals.Engine
}

// Numbers is the reservation engine as the panes use it: what the
// Numbers pane reserves with and what the Inbox acts with.
type Numbers interface {
	numbers.Engine
	inbox.Engine
}

var (
	_ Numbers          = (*engine.Engine)(nil)
	_ admin.Operations = (*engine.Engine)(nil)
	_ rentals.Engine   = (*engine.Engine)(nil)
)
