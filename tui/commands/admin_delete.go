package commands

import (
	"fmt"
	"io"
)

type deleteResult struct {
	Email     Untrusted `json:"email"`   // as given: the account no longer has it
	UserID    int64     `json:"user_id"` // the account's row, kept anonymous for the ledger
	AuditID   int64     `json:"audit_id"`
	Detail    string    `json:"detail"` // what went and what stayed, as the audit row says
	DeletedAt Timestamp `json:"deleted_at"`
}

func (r deleteResult) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "deleted the account of %s (audit #%d): %s\n", r.Email, r.AuditID, r.Detail)
	return err
}

func adminDeleteCommand() *Command {
	email := Arg("EMAIL", Email, "the account to delete")
	reason := Flag("reason", Reason, "how the deletion request was verified; kept in the audit trail").Required()
	return &Command{
		Name:    "delete",
		Summary: "delete an account for a verified request, as the person could themselves; recorded in the audit trail",
		Help: "The same erasure as Account → Delete my account: the account's email, password, keys, numbers, " +
			"SMS, sign-in records and support conversations go at once, and its open sessions end; ledger rows " +
			"and payment records stay, anonymous, for accounting. Admin accounts cannot be deleted this way " +
			"(revoke the role on the server host first), nor your own (use the Account pane).",
		Params: []Param{email, reason},
		Example: deleteResult{Email: "alice@example.com", UserID: 7, AuditID: 31, DeletedAt: exampleTime,
			Detail: "erased 1 keys, 4 numbers, 0 rentals, 1 support threads; kept 9 ledger rows, 2 orders, anonymous"},
		Run: func(c *Call) error {
			d, err := c.Deps.Store.DeleteAccountAsAdmin(c.Ctx, c.Actor(), email.Get(c), reason.Get(c))
			if err != nil {
				return err
			}
			return c.Print(deleteResult{Email: Untrusted(email.Get(c)), UserID: d.UserID, AuditID: d.AuditID,
				Detail: d.Detail, DeletedAt: Timestamp(d.DeletedAt)})
		},
	}
}
