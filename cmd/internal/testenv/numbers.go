package testenv

import (
	"context"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// SimNumbers configures the built-in simulator for a test: every number
// gets its SMS after delay (none when never is true), numbers stay open
// for lifetime, and cancel is allowed at once.
func SimNumbers(delay time.Duration, never bool, lifetime time.Duration) func(*service.Config) {
	return func(c *service.Config) {
		c.Numbers.Providers = []string{"sim"}
		c.Numbers.SimSMSDelay, c.Numbers.SimJitter = delay, 0
		c.Numbers.SimNeverSharePct = 0
		if never {
			c.Numbers.SimNeverSharePct = 100
		}
		c.Numbers.Lifetime, c.Numbers.CancelGuard = lifetime, 0
	}
}

// Balance is an account's balance now.
func (e *Env) Balance(userID int64) int64 {
	e.t.Helper()
	u, err := e.Store().UserByID(context.Background(), userID)
	if err != nil {
		e.t.Fatalf("balance: %v", err)
	}
	return u.BalanceCents
}

// Reservations lists an account's open reservations with their messages.
func (e *Env) Reservations(userID int64) []store.Reservation {
	e.t.Helper()
	rs, err := e.Store().OpenReservations(context.Background(), userID)
	if err != nil {
		e.t.Fatalf("reservations: %v", err)
	}
	return rs
}
