package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/store"
)

// defaultUsersPage is how many accounts `admin users` lists unless told:
// about one screen.
const defaultUsersPage = 50

type usersResult struct {
	Users []userJSON `json:"users"` // oldest account first
	More  bool       `json:"more"`  // more accounts match than were listed
}

type userJSON struct {
	ID           int64     `json:"id"`
	Email        Untrusted `json:"email"`
	Role         string    `json:"role"`
	BalanceCents int64     `json:"balance_cents"`
	CreatedAt    Timestamp `json:"created_at"`
	Banned       bool      `json:"banned"`
	BanReason    Untrusted `json:"ban_reason"`
}

func (r usersResult) WriteText(w io.Writer) error {
	if len(r.Users) == 0 {
		_, err := fmt.Fprintln(w, "no accounts match")
		return err
	}
	rows := make([][]string, 0, len(r.Users))
	for _, u := range r.Users {
		status := "active"
		if u.Banned {
			status = "suspended: " + u.BanReason.String()
		}
		rows = append(rows, []string{strconv.FormatInt(u.ID, 10), u.Email.String(), u.Role,
			store.FormatCents(u.BalanceCents), u.CreatedAt.String(), status})
	}
	if err := table(w, []string{"ID", "EMAIL", "ROLE", "BALANCE", "CREATED", "STATUS"}, rows); err != nil {
		return err
	}
	if r.More {
		_, err := fmt.Fprintln(w, "(more accounts match: narrow with --search or raise --limit)")
		return err
	}
	return nil
}

func adminUsersCommand() *Command {
	search := Flag("search", UserSearch, "list only accounts whose email (or a key's SHA256:… fingerprint) contains this")
	limit := Flag("limit", Int(1, store.MaxUsersPage), "list at most this many").
		Default(strconv.Itoa(defaultUsersPage))
	return &Command{
		Name:    "users",
		Summary: "list accounts; every search is recorded in the audit trail",
		Params:  []Param{search, limit},
		Example: usersResult{Users: []userJSON{{ID: 7, Email: "alice@example.com", Role: "user",
			BalanceCents: 1250, CreatedAt: exampleTime}}},
		Run: func(c *Call) error {
			users, more, err := c.Deps.Store.AdminUsers(c.Ctx, c.Actor(), search.Get(c), limit.Get(c))
			if err != nil {
				return err
			}
			r := usersResult{Users: make([]userJSON, 0, len(users)), More: more}
			for _, u := range users {
				r.Users = append(r.Users, userJSON{ID: u.ID, Email: Untrusted(u.Email), Role: string(u.Role),
					BalanceCents: u.BalanceCents, CreatedAt: Timestamp(u.CreatedAt), Banned: u.Banned(),
					BanReason: Untrusted(u.BanReason)})
			}
			return c.Print(r)
		},
	}
}
