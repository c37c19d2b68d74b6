package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/store"
)

type whoamiResult struct {
	Email        Untrusted `json:"email"`
	Role         string    `json:"role"` // "user" or "admin"
	BalanceCents int64     `json:"balance_cents"`
	Banned       bool      `json:"banned"`
	BanReason    Untrusted `json:"ban_reason"`
	Key          keyRef    `json:"key"` // the key this session signed in with
}

type keyRef struct {
	Fingerprint string    `json:"fingerprint"`
	Name        Untrusted `json:"name"`
}

func (r whoamiResult) WriteText(w io.Writer) error {
	rows := [][]string{
		{"email", r.Email.String()},
		{"role", r.Role},
		{"balance", store.FormatCents(r.BalanceCents)},
		{"key", fmt.Sprintf("%s (%s)", r.Key.Fingerprint, r.Key.Name)},
	}
	if r.Banned {
		rows = append(rows, []string{"status", "suspended: " + r.BanReason.String()})
	}
	return table(w, nil, rows)
}

func whoamiCommand() *Command {
	return &Command{
		Name:    "whoami",
		Summary: "the account this key signs in to, and the key",
		Example: whoamiResult{Email: "alice@example.com", Role: "user", BalanceCents: 1250,
			Key: keyRef{Fingerprint: "SHA256:2Rq0yJ0tG2mK4x0Yb6o1b8rXk9m1c7jQx3e5s0aZ1Lw", Name: "laptop"}},
		Run: func(c *Call) error {
			keys, err := c.Deps.Store.Keys(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			r := whoamiResult{Email: Untrusted(c.User.Email), Role: string(c.User.Role),
				BalanceCents: c.User.BalanceCents, Banned: c.User.Banned(), BanReason: Untrusted(c.User.BanReason),
				Key: keyRef{Fingerprint: c.Key.Fingerprint}}
			for _, k := range keys {
				if k.Fingerprint == c.Key.Fingerprint {
					r.Key.Name = Untrusted(k.Name)
				}
			}
			return c.Print(r)
		},
	}
}
