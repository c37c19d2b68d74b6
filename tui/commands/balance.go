package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// currency is the only one WantSMS counts in: every amount is US cents.
const currency = "USD"

type balanceResult struct {
	BalanceCents int64 `json:"balance_cents"`
	// DebtCents is owed after a card payment was refunded or disputed once
	// its credits were spent: the next top-up pays it first, and no number
	// can be reserved until it is paid.
	DebtCents int64  `json:"debt_cents"`
	Currency  string `json:"currency"`
}

func (r balanceResult) WriteText(w io.Writer) error {
	if r.DebtCents > 0 {
		_, err := fmt.Fprintf(w, "%s (%s)\n", store.FormatCents(r.BalanceCents), wording.Owed(r.DebtCents))
		return err
	}
	_, err := fmt.Fprintln(w, store.FormatCents(r.BalanceCents))
	return err
}

func balanceCommand() *Command {
	return &Command{
		Name:    "balance",
		Summary: "your balance",
		Example: balanceResult{BalanceCents: 1250, Currency: currency},
		Run: func(c *Call) error {
			// c.User was read from the store when this call began.
			return c.Print(balanceResult{BalanceCents: c.User.BalanceCents, DebtCents: c.User.DebtCents,
				Currency: currency})
		},
	}
}
