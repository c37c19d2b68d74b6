package commands

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/store"
)

type keysResult struct {
	Keys []keyJSON `json:"keys"` // oldest first
}

type keyJSON struct {
	ID          int64     `json:"id"` // 0 for a pending key: it gets its number once linked
	Name        Untrusted `json:"name"`
	Fingerprint string    `json:"fingerprint"`
	PublicKey   string    `json:"public_key"` // authorized_keys form, without comment
	AddedAt     Timestamp `json:"added_at"`
	LastUsedAt  Timestamp `json:"last_used_at"` // null if never used to sign in
	Current     bool      `json:"current"`      // the key of this session
	// Admin marks a key the server host enrolled for admin use.
	Admin bool `json:"admin"`
	// Pending marks a pasted key that no connection has proved yet: it
	// signs nobody in until you connect with it and sign in with your
	// password, and it is dropped at pending_until (null for a linked key).
	Pending      bool      `json:"pending"`
	PendingUntil Timestamp `json:"pending_until"`
}

func (r keysResult) WriteText(w io.Writer) error {
	rows := make([][]string, 0, len(r.Keys))
	for _, k := range r.Keys {
		id, used := strconv.FormatInt(k.ID, 10), k.LastUsedAt.String()
		switch {
		case k.Pending:
			id, used = "-", "pending until "+k.PendingUntil.String()
		case k.Current:
			used = "this session"
		}
		if k.Admin {
			used += " (admin key)"
		}
		rows = append(rows, []string{id, k.Name.String(), k.Fingerprint, k.AddedAt.String(), used})
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
		Summary: "the SSH keys linked to your account, and those pending",
		Help: fmt.Sprintf("A key pasted in the dashboard (Account, a) is pending: it signs nobody in until you "+
			"connect with it and sign in with your password, which links it; unproved, it is dropped after %d days.",
			int(store.PendingKeyLife/(24*time.Hour))),
		Example: keysResult{Keys: []keyJSON{{ID: 1, Name: "laptop",
			Fingerprint: "SHA256:2Rq0yJ0tG2mK4x0Yb6o1b8rXk9m1c7jQx3e5s0aZ1Lw",
			PublicKey:   "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHx8YnVpbGQtZXhhbXBsZS1rZXktbm90LXJlYWw",
			AddedAt:     exampleTime, LastUsedAt: exampleTime, Current: true},
			{ID: 0, Name: "work", Fingerprint: "SHA256:Xw9tq3D6mVbH0pL2sK8rJ5nC1yF4gE7aU0iO2zR6eTk",
				PublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN3b3JrLWxhcHRvcC1leGFtcGxlLWtleS1ub3Q",
				AddedAt:   exampleTime, Pending: true,
				PendingUntil: Timestamp(time.Time(exampleTime).Add(store.PendingKeyLife))}}},
		Run: func(c *Call) error {
			keys, err := c.Deps.Store.Keys(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			pending, err := c.Deps.Store.PendingKeys(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			r := keysResult{Keys: make([]keyJSON, 0, len(keys)+len(pending))}
			for _, k := range append(keys, pending...) {
				j := keyJSON{ID: k.ID, Name: Untrusted(k.Name), Fingerprint: k.Fingerprint, PublicKey: k.PublicKey,
					AddedAt: Timestamp(k.AddedAt), LastUsedAt: Timestamp(k.LastUsedAt), Admin: k.Admin(),
					Pending: k.Pending(), PendingUntil: Timestamp(k.PendingUntil)}
				if k.Pending() {
					j.ID = 0
				} else {
					j.Current = k.Fingerprint == c.Key.Fingerprint
				}
				r.Keys = append(r.Keys, j)
			}
			return c.Print(r)
		},
	}
}
