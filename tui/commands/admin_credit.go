package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/store"
)

type creditResult struct {
	Email        Untrusted `json:"email"`
	AmountCents  int64     `json:"amount_cents"`
	BalanceCents int64     `json:"balance_cents"` // the account's balance after the credit
	Reference    string    `json:"reference"`     // the ledger row's reference, "audit:<audit_id>"
	AuditID      int64     `json:"audit_id"`
}

func (r creditResult) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "credited %s to %s: balance %s (audit #%d)\n", store.FormatCents(r.AmountCents),
		r.Email, store.FormatCents(r.BalanceCents), r.AuditID)
	return err
}

func adminCreditCommand() *Command {
	email := Arg("EMAIL", Email, "the account to credit")
	cents := Arg("CENTS", Cents(store.MaxAdminCreditCents), "how much")
	reason := Flag("reason", Reason, "why; kept in the ledger and the audit trail").Required()
	return &Command{
		Name:    "credit",
		Summary: "credit an account: a ledger row of kind adjust, recorded in the audit trail",
		Params:  []Param{email, cents, reason},
		Example: creditResult{Email: "alice@example.com", AmountCents: 500, BalanceCents: 1750,
			Reference: "audit:12", AuditID: 12},
		Run: func(c *Call) error {
			res, err := c.Deps.Store.CreditAsAdmin(c.Ctx, c.Actor(), email.Get(c), cents.Get(c), reason.Get(c))
			if err != nil {
				return err
			}
			return c.Print(creditResult{Email: Untrusted(res.User.Email), AmountCents: res.AmountCents,
				BalanceCents: res.BalanceCents, Reference: res.Reference, AuditID: res.AuditID})
		},
	}
}
