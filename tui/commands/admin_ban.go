package commands

import (
	"fmt"
	"io"
)

type banResult struct {
	Email     Untrusted    `json:"email"`
	UserID    int64        `json:"user_id"`
	Banned    bool         `json:"banned"`
	BanReason OptUntrusted `json:"ban_reason"` // null when not banned
}

func (r banResult) WriteText(w io.Writer) error {
	if r.Banned {
		_, err := fmt.Fprintf(w, "%s is suspended: %s\n", r.Email, r.BanReason)
		return err
	}
	_, err := fmt.Fprintf(w, "%s is no longer suspended\n", r.Email)
	return err
}

// adminBanCommand suspends (ban) or restores (unban) an account; the
// person can still sign in and read their history, and is told the
// reason when a reservation or top-up is refused.
func adminBanCommand(ban bool) *Command {
	email := Arg("EMAIL", Email, "the account")
	reason := Flag("reason", Reason, "why; shown to the person (ban) and kept in the audit trail").Required()
	name, summary := "ban", "suspend an account: it may sign in and read its history, not reserve or top up"
	example := banResult{Email: "mallory@example.com", UserID: 9, Banned: true, BanReason: "chargebacks"}
	if !ban {
		name, summary = "unban", "lift an account's suspension"
		example = banResult{Email: "mallory@example.com", UserID: 9}
	}
	return &Command{
		Name:    name,
		Summary: summary + "; recorded in the audit trail",
		Params:  []Param{email, reason},
		Example: example,
		Run: func(c *Call) error {
			u, err := c.Deps.Store.UserByEmail(c.Ctx, email.Get(c))
			if err != nil {
				return err
			}
			set := c.Deps.Store.UnbanUser
			if ban {
				set = c.Deps.Store.BanUser
			}
			if u, err = set(c.Ctx, c.Actor(), u.ID, reason.Get(c)); err != nil {
				return err
			}
			return c.Print(banResult{Email: Untrusted(u.Email), UserID: u.ID, Banned: u.Banned(),
				BanReason: OptUntrusted(u.BanReason)})
		},
	}
}
