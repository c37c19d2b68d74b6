package store

import "fmt"

// The rules every front end applies before it acts on a number: the
// dashboard's panes check them to decide what to offer, the engine checks
// them again before it acts, and scripts get the same refusals through the
// engine. Their wording is the one each front end shows.

// InsufficientFundsError refuses a number the balance does not cover. It
// is ErrInsufficientFunds (errors.Is) with the amounts.
type InsufficientFundsError struct{ PriceCents, BalanceCents int64 }

func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("not enough credits: this number costs %s and your balance is %s",
		FormatCents(e.PriceCents), FormatCents(e.BalanceCents))
}

// UserFacing tells the person both amounts.
func (e *InsufficientFundsError) UserFacing() string { return e.Error() }

// Is makes the error match ErrInsufficientFunds.
func (e *InsufficientFundsError) Is(target error) bool { return target == ErrInsufficientFunds }

// CheckAffordable refuses a number of priceCents on a balance that does not
// cover it (*InsufficientFundsError).
func CheckAffordable(balanceCents, priceCents int64) error {
	if balanceCents < priceCents {
		return &InsufficientFundsError{PriceCents: priceCents, BalanceCents: balanceCents}
	}
	return nil
}

// Refusals of the actions on an open number.
var (
	ErrNoSMSYet    error = userErr("no SMS has arrived yet: cancel the number instead to get your credits back")
	ErrFirstSMSYet error = userErr("the first SMS has not arrived yet: wait for it")
)

// CheckCancel: only a number still waiting for its first SMS may be
// given back (and refunded).
func (r Reservation) CheckCancel() error {
	switch {
	case !r.State.Open():
		return ErrNotOpen
	case r.State == ResReceived:
		return ErrSMSArrived
	}
	return nil
}

// CheckFinish: only a number that got an SMS is finished; one without is
// cancelled instead.
func (r Reservation) CheckFinish() error {
	switch {
	case !r.State.Open():
		return ErrNotOpen
	case r.State == ResActive:
		return ErrNoSMSYet
	}
	return nil
}

// CheckAgain: another SMS is asked for only once the first has come.
func (r Reservation) CheckAgain() error {
	switch {
	case !r.State.Open():
		return ErrNotOpen
	case r.State == ResActive:
		return ErrFirstSMSYet
	}
	return nil
}
