package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

type apiKeyJSON struct {
	Name       string  `json:"name"`
	Key        string  `json:"key"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
	RevokedAt  *string `json:"revoked_at"`
}

// `api-key create` prints a key once, which then works; `api-key list`
// never shows it; `api-key revoke` stops it at once. Each change is in
// Sign-in activity and mailed to the owner, and another account cannot
// touch the key.
func TestAPIKeyCommands(t *testing.T) {
	env := testenv.Start(t)
	alice, aliceKey := env.NewUser("alice@example.com")
	_, bobKey := env.NewUser("bob@example.com")
	ctx := context.Background()

	var made apiKeyJSON
	okJSON(t, env, aliceKey, "api-key create 'my bot' --json", &made)
	if made.Name != "my bot" || !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(made.Key) || made.CreatedAt == "" {
		t.Fatalf("create: %+v", made)
	}
	if k, err := env.Store().ResolveAPIKey(ctx, made.Key); err != nil || k.UserID != alice.ID {
		t.Fatalf("the printed key does not resolve to Alice: %+v %v", k, err)
	}
	text := ok(t, env, aliceKey, "api-key create other")
	if !strings.Contains(text, `API key "other" created. Copy it now`) {
		t.Fatalf("create, text: %q", text)
	}
	refused(t, env, aliceKey, "api-key create other", 2, "an API key of this name exists")

	list := ok(t, env, aliceKey, "api-key list")
	if strings.Contains(list, made.Key) || !strings.Contains(list, "my bot") || !strings.Contains(list, "2 of at most 20 live keys") {
		t.Fatalf("list: %q", list)
	}
	var listed struct {
		Keys []apiKeyJSON `json:"api_keys"`
	}
	okJSON(t, env, aliceKey, "api-key list --json", &listed)
	if len(listed.Keys) != 2 || listed.Keys[0].Key != "" || listed.Keys[0].LastUsedAt == nil || listed.Keys[1].LastUsedAt != nil {
		t.Fatalf("list --json: %+v", listed.Keys)
	}

	refused(t, env, bobKey, "api-key revoke 'my bot'", 2, "no such API key")
	if _, err := env.Store().ResolveAPIKey(ctx, made.Key); err != nil {
		t.Fatalf("Bob's revoke reached Alice's key: %v", err)
	}
	out := ok(t, env, aliceKey, "api-key revoke 'my bot'")
	if !strings.Contains(out, `API key "my bot" revoked`) {
		t.Fatalf("revoke: %q", out)
	}
	if _, err := env.Store().ResolveAPIKey(ctx, made.Key); !errors.Is(err, store.ErrAPIKeyInvalid) {
		t.Fatalf("a revoked key still resolves: %v", err)
	}
	okJSON(t, env, aliceKey, "api-key list --json", &listed)
	if len(listed.Keys) != 2 || listed.Keys[0].RevokedAt == nil || listed.Keys[1].RevokedAt != nil {
		t.Fatalf("list after revoke: %+v", listed.Keys)
	}

	evs, err := env.Store().SecurityEvents(ctx, alice.ID, 20)
	if err != nil || !hasKind(evs, store.SecurityAPIKeyCreated) || !hasKind(evs, store.SecurityAPIKeyRevoked) {
		t.Fatalf("sign-in activity: %+v %v", evs, err)
	}
	created := env.WaitMail(t, "alice@example.com", "A new API key can use your WantSMS account")
	if !strings.Contains(created.Text, `the API key "`) || strings.Contains(created.Text, made.Key) {
		t.Fatalf("the created mail: %q", created.Text)
	}
	env.WaitMail(t, "alice@example.com", "An API key of your WantSMS account was revoked")

	var doc struct {
		APIKeys []apiKeyJSON `json:"api_keys"`
	}
	exported := ok(t, env, aliceKey, "export")
	if err := json.Unmarshal([]byte(exported), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.APIKeys) != 2 || doc.APIKeys[0].Name != "my bot" || doc.APIKeys[0].Key != "" ||
		strings.Contains(exported, made.Key) {
		t.Fatalf("export: %+v", doc.APIKeys)
	}
}
