package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/store"
)

// currency is the only one WantSMS counts in: every amount is US cents.
const currency = "USD"

type balanceResult struct {
	BalanceCents int64  `json:"balance_cents"`
	Currency     string `json:"currency"`
}

func (r balanceResult) WriteText(w io.Writer) error {
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
			return c.Print(balanceResult{BalanceCents: c.User.BalanceCents, Currency: currency})
		},
	}
}
