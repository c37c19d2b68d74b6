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

// ErrDebt refuses a reservation while the account owes money.
var ErrDebt error = userErr("your account owes credits")

// DebtError refuses a number while the account owes money: a card payment
// was refunded or disputed after its credits were spent. It is ErrDebt
// (errors.Is) with the amount.
type DebtError struct{ DebtCents int64 }

func (e *DebtError) Error() string {
	return fmt.Sprintf("your account owes %s: a card payment was refunded or disputed after its credits were "+
		"spent. Top up to settle it first; a top-up pays the debt before anything else", FormatCents(e.DebtCents))
}

// UserFacing tells the person what is owed and how to settle it.
func (e *DebtError) UserFacing() string { return e.Error() }

// Is makes the error match ErrDebt.
func (e *DebtError) Is(target error) bool { return target == ErrDebt }

// CheckNoDebt refuses a new number while the account owes debtCents.
func CheckNoDebt(debtCents int64) error {
	if debtCents > 0 {
		return &DebtError{DebtCents: debtCents}
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
