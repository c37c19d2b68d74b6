package tui

import (
	"github.com/wantsms/wantsms/tui/kit"
	"github.com/wantsms/wantsms/tui/pane/account"
	"github.com/wantsms/wantsms/tui/pane/admin"
	"github.com/wantsms/wantsms/tui/pane/history"
	"github.com/wantsms/wantsms/tui/pane/inbox"
	"github.com/wantsms/wantsms/tui/pane/numbers"
	"github.com/wantsms/wantsms/tui/pane/rentals"
	"github.com/wantsms/wantsms/tui/pane/support"
	"github.com/wantsms/wantsms/tui/pane/wallet"
)

// newPanes lists the dashboard's panes in tab order for a signed-in
// session, each given the services it uses. The Admin pane comes last,
// only for a session whose key the server host enrolled for admin use on
// an admin account; hiding it is a courtesy: the store checks the role
// and the key on every admin action.
func newPanes(c *kit.Common, d Deps) []kit.Pane {
	// A nil *billing.Payments in the interface would not be nil: the
	// Wallet tells "no payment desk" by a nil interface.
	var pay wallet.Payments
	if d.Payments != nil {
		pay = d.Payments
	}
	// The panes whose titles never change and that do nothing while
	// hidden are built when first shown (kit.Lazy).
	panes := []kit.Pane{
		numbers.New(c, d.Store, d.Numbers),
		inbox.New(c, d.Store, d.Numbers), // rings the bell when a code comes, also hidden
		kit.NewLazy("History", func() kit.Pane { return history.New(c, d.Store) }),
		kit.NewLazy("Wallet", func() kit.Pane { return wallet.New(c, d.Store, pay) }),
		kit.NewLazy("Account", func() kit.Pane { return account.New(c, d.Store) }),
		support.New(c, d.Store),
		rentals.New(c, d.Store, rentalEngine(d)),
	}
	if c.Standing.Admin {
		panes = append(panes, admin.New(c, d.Store, d.Operations))
	}
	return panes
}

// rentalEngine is the Rentals pane's engine, or a nil interface (not an
// interface holding a nil pointer) on a server without one.
func rentalEngine(d Deps) rentals.Engine {
	if d.Rentals == nil {
		return nil
	}
	return d.Rentals
}
