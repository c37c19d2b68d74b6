package commands

import (
	"fmt"
	"io"
	"time"

	"github.com/wantsms/wantsms/store"
)

// APIKeyName is the name of an API key, checked by the store's rule.
var APIKeyName = Type[string]{Name: "NAME",
	Help:  fmt.Sprintf("1 to %d printable characters (quote several words: 'like this')", store.MaxKeyNameLen),
	Parse: store.CleanKeyName}

// apiKeyCreated is a new key, shown this once.
type apiKeyCreated struct {
	Name      Untrusted `json:"name"`
	Key       string    `json:"key"` // shown only now: only its hash is kept
	CreatedAt Timestamp `json:"created_at"`
}

func (r apiKeyCreated) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "API key %q created. Copy it now: it is not shown again.\n%s\n", r.Name.String(), r.Key)
	return err
}

type apiKeysResult struct {
	Keys []apiKeyJSON `json:"api_keys"` // oldest first, revoked ones too (kept 6 months)
}

type apiKeyJSON struct {
	Name       Untrusted `json:"name"`
	CreatedAt  Timestamp `json:"created_at"`
	LastUsedAt Timestamp `json:"last_used_at"` // null if never used; kept to the minute
	RevokedAt  Timestamp `json:"revoked_at"`   // null while the key works
}

func (r apiKeysResult) WriteText(w io.Writer) error {
	if len(r.Keys) == 0 {
		_, err := fmt.Fprintln(w, "no API keys: make one with api-key create NAME")
		return err
	}
	rows := make([][]string, 0, len(r.Keys))
	live := 0
	for _, k := range r.Keys {
		state := "revoked " + k.RevokedAt.String()
		if time.Time(k.RevokedAt).IsZero() {
			state, live = "live", live+1
		}
		rows = append(rows, []string{k.Name.String(), k.CreatedAt.String(), k.LastUsedAt.String(), state})
	}
	if err := table(w, []string{"NAME", "CREATED", "LAST USED", "STATE"}, rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d of at most %d live keys\n", live, store.MaxAPIKeysPerUser)
	return err
}

type apiKeyRevoked struct {
	Name      Untrusted `json:"name"`
	RevokedAt Timestamp `json:"revoked_at"`
}

func (r apiKeyRevoked) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "API key %q revoked: requests with it are refused from now on\n", r.Name.String())
	return err
}

// exampleAPIKey is a key as create prints it (not a working key).
const exampleAPIKey = "Zx4mQ7pT2vR9kW3nB8yL5cF1hJ6dS0aG"

func apiKeyCommand() *Command {
	return &Command{
		Name: "api-key",
		Summary: "keys for your own programs to use the HTTP API (SMS-Activate compatible) in your name, " +
			"paid from your balance",
		Subs: []*Command{apiKeyCreateCommand(), apiKeyListCommand(), apiKeyRevokeCommand()},
	}
}

func apiKeyCreateCommand() *Command {
	name := Arg("NAME", APIKeyName, "what the key is for, e.g. the program or machine that uses it")
	return &Command{
		Name:    "create",
		Summary: "make a new API key and print it, this once",
		Help: fmt.Sprintf("The key is printed once: only its hash is kept, so copy it now. Programs send it as "+
			"api_key=KEY, in the header X-ApiKey, or as Authorization: Bearer KEY. Each live key has its own "+
			"name; at most %d live keys. Making a key is recorded in your sign-in activity and mailed to you.",
			store.MaxAPIKeysPerUser),
		Params:  []Param{name},
		Example: apiKeyCreated{Name: "bot", Key: exampleAPIKey, CreatedAt: exampleTime},
		Run: func(c *Call) error {
			k, key, err := c.Deps.Store.CreateAPIKey(c.Ctx, c.User.ID, name.Get(c), c.Origin)
			if err != nil {
				return err
			}
			return c.Print(apiKeyCreated{Name: Untrusted(k.Name), Key: key, CreatedAt: Timestamp(k.CreatedAt)})
		},
	}
}

func apiKeyListCommand() *Command {
	return &Command{
		Name:    "list",
		Summary: "your API keys: names, when made and last used; never the keys",
		Example: apiKeysResult{Keys: []apiKeyJSON{{Name: "bot", CreatedAt: exampleTime, LastUsedAt: exampleTime}}},
		Run: func(c *Call) error {
			keys, err := c.Deps.Store.APIKeys(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			r := apiKeysResult{Keys: make([]apiKeyJSON, 0, len(keys))}
			for _, k := range keys {
				r.Keys = append(r.Keys, apiKeyJSON{Name: Untrusted(k.Name), CreatedAt: Timestamp(k.CreatedAt),
					LastUsedAt: Timestamp(k.LastUsedAt), RevokedAt: Timestamp(k.RevokedAt)})
			}
			return c.Print(r)
		},
	}
}

func apiKeyRevokeCommand() *Command {
	name := Arg("NAME", APIKeyName, "the key's name, as api-key list shows it")
	return &Command{
		Name:    "revoke",
		Summary: "revoke an API key: every request with it is refused from now on",
		Help:    "Takes effect at once, also for a program in the middle of polling. The name is free again after.",
		Params:  []Param{name},
		Example: apiKeyRevoked{Name: "bot", RevokedAt: exampleTime},
		Run: func(c *Call) error {
			k, err := c.Deps.Store.RevokeAPIKey(c.Ctx, c.User.ID, name.Get(c), c.Origin)
			if err != nil {
				return err
			}
			return c.Print(apiKeyRevoked{Name: Untrusted(k.Name), RevokedAt: Timestamp(k.RevokedAt)})
		},
	}
}
