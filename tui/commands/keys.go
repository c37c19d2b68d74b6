package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/store"
)

type keysResult struct {
	Keys []keyJSON `json:"keys"` // oldest first
}

type keyJSON struct {
	ID          int64     `json:"id"`
	Name        Untrusted `json:"name"`
	Fingerprint string    `json:"fingerprint"`
	PublicKey   string    `json:"public_key"` // authorized_keys form, without comment
	AddedAt     Timestamp `json:"added_at"`
	LastUsedAt  Timestamp `json:"last_used_at"` // null if never used to sign in
	Current     bool      `json:"current"`      // the key of this session
}

func (r keysResult) WriteText(w io.Writer) error {
	rows := make([][]string, 0, len(r.Keys))
	for _, k := range r.Keys {
		used := k.LastUsedAt.String()
		if k.Current {
			used = "this session"
		}
		rows = append(rows, []string{strconv.FormatInt(k.ID, 10), k.Name.String(), k.Fingerprint,
			k.AddedAt.String(), used})
	}
	if err := table(w, []string{"ID", "NAME", "FINGERPRINT", "ADDED", "LAST USED"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of at most %d keys; add, rename or remove them in the dashboard's Account pane\n",
		len(r.Keys), store.MaxKeysPerUser)
	return err
}

func keysCommand() *Command {
	return &Command{
		Name:    "keys",
		Summary: "the SSH keys linked to your account",
		Example: keysResult{Keys: []keyJSON{{ID: 1, Name: "laptop",
			Fingerprint: "SHA256:2Rq0yJ0tG2mK4x0Yb6o1b8rXk9m1c7jQx3e5s0aZ1Lw",
			PublicKey:   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx8YnVpbGQtZXhhbXBsZS1rZXktbm90LXJlYWw",
			AddedAt:     exampleTime, LastUsedAt: exampleTime, Current: true}}},
		Run: func(c *Call) error {
			keys, err := c.Deps.Store.Keys(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			r := keysResult{Keys: make([]keyJSON, 0, len(keys))}
			for _, k := range keys {
				r.Keys = append(r.Keys, keyJSON{ID: k.ID, Name: Untrusted(k.Name), Fingerprint: k.Fingerprint,
					PublicKey: k.PublicKey, AddedAt: Timestamp(k.AddedAt), LastUsedAt: Timestamp(k.LastUsedAt),
					Current: k.Fingerprint == c.Key.Fingerprint})
			}
			return c.Print(r)
		},
	}
}
