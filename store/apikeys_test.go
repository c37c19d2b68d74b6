package store

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"
	"time"
)

// A key is shown once, stored only as its hash, resolves to its owner
// until revoked, and fails at once after: even when it was resolved (and
// remembered) a moment before. Names are unique among live keys, and
// every other account is out of reach.
func TestAPIKeyLifecycle(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	k, key, err := s.CreateAPIKey(ctx, alice.ID, "  bot  ", origin)
	if err != nil || k.Name != "bot" || k.UserID != alice.ID || k.CreatedAt.IsZero() {
		t.Fatalf("create: %+v %v", k, err)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9]{32}$`).MatchString(key) {
		t.Fatalf("key %q is not 32 letters and digits", key)
	}
	var stored []byte
	if err := s.r.QueryRow(`SELECT key_hash FROM api_keys WHERE id = ?`, k.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte(key)) || len(stored) != 32 {
		t.Fatalf("stored %x: want the SHA-256 only", stored)
	}
	if _, _, err := s.CreateAPIKey(ctx, alice.ID, "bot", origin); !errors.Is(err, ErrAPIKeyNameTaken) {
		t.Fatalf("second live key named bot: %v", err)
	}
	if _, _, err := s.CreateAPIKey(ctx, alice.ID, "", origin); !errors.Is(err, ErrBadKeyName) {
		t.Fatalf("empty name: %v", err)
	}
	_, other, err := s.CreateAPIKey(ctx, bob.ID, "bot", origin)
	if err != nil || other == key {
		t.Fatalf("bob's key named bot too: %v", err)
	}

	got, err := s.ResolveAPIKey(ctx, key)
	if err != nil || got.UserID != alice.ID || got.ID != k.ID {
		t.Fatalf("resolve: %+v %v", got, err)
	}
	if got, err := s.ResolveAPIKey(ctx, other); err != nil || got.UserID != bob.ID {
		t.Fatalf("resolve bob's: %+v %v", got, err)
	}
	for _, bad := range []string{"", key[:31], key + "x", key[:31] + "!", "0123456789abcdef0123456789abcdef"} {
		if _, err := s.ResolveAPIKey(ctx, bad); !errors.Is(err, ErrAPIKeyInvalid) {
			t.Errorf("resolve %q: %v, want ErrAPIKeyInvalid", bad, err)
		}
	}
	keys, err := s.APIKeys(ctx, alice.ID)
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
		t.Fatalf("list after use: %+v %v", keys, err)
	}

	// Bob cannot revoke Alice's key by its name.
	if _, err := s.RevokeAPIKey(ctx, bob.ID, "nope", origin); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("revoke an unknown name: %v", err)
	}
	clock.Add(time.Second) // within the cache's moment: the revocation must still be seen at once
	if _, err := s.RevokeAPIKey(ctx, alice.ID, "bot", origin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveAPIKey(ctx, key); !errors.Is(err, ErrAPIKeyInvalid) {
		t.Fatalf("a revoked key resolved: %v", err)
	}
	if _, err := s.ResolveAPIKey(ctx, other); err != nil {
		t.Fatalf("bob's key after Alice revoked hers: %v", err)
	}
	if _, err := s.RevokeAPIKey(ctx, alice.ID, "bot", origin); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("revoke twice: %v", err)
	}
	// The name is free again; the revoked key stays listed.
	if _, _, err := s.CreateAPIKey(ctx, alice.ID, "bot", origin); err != nil {
		t.Fatalf("new key under a revoked key's name: %v", err)
	}
	keys, err = s.APIKeys(ctx, alice.ID)
	if err != nil || len(keys) != 2 || !keys[0].Revoked() || keys[1].Revoked() {
		t.Fatalf("list: %+v %v", keys, err)
	}

	// Both changes are security events, each with its security mail.
	for _, kind := range []SecurityKind{SecurityAPIKeyCreated, SecurityAPIKeyRevoked} {
		if !hasEvent(t, s, alice.ID, kind, "bot") {
			t.Errorf("no %s event", kind)
		}
	}
	if mailCount(t, s, alice.ID, MailAPIKeyCreated) != 2 || mailCount(t, s, alice.ID, MailAPIKeyRevoked) != 1 {
		t.Fatal("security mails about API keys missing")
	}

	// A revoked key is purged once its retention is over; live keys stay.
	clock.Add(APIKeyRevokedRetention + time.Hour)
	rep, err := s.Purge(ctx)
	if err != nil || rep.Removed[PurgeRevokedAPIKeys] != 1 {
		t.Fatalf("purge: %+v %v", rep, err)
	}
	if keys, _ := s.APIKeys(ctx, alice.ID); len(keys) != 1 || keys[0].Revoked() {
		t.Fatalf("after the purge: %+v", keys)
	}
}

// The dashboard asks the password before it makes a key: a wrong one
// makes nothing and counts as a failed sign-in.
func TestCreateAPIKeyConfirmedChecksThePassword(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "alice@example.com")
	if _, _, err := s.CreateAPIKeyConfirmed(ctx, u.ID, "wrong", "bot", origin); !errors.Is(err, ErrCurrentPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if keys, _ := s.APIKeys(ctx, u.ID); len(keys) != 0 {
		t.Fatal("a key was made with a wrong password")
	}
	if !hasEvent(t, s, u.ID, SecuritySigninFailed, "to create an API key") {
		t.Fatal("the wrong password is not in Sign-in activity")
	}
	if _, key, err := s.CreateAPIKeyConfirmed(ctx, u.ID, "correct horse", "bot", origin); err != nil || key == "" {
		t.Fatalf("right password: %v", err)
	}
}

// At most MaxAPIKeysPerUser live keys; revoking one makes room.
func TestAPIKeyLimit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "alice@example.com")
	for i := range MaxAPIKeysPerUser {
		if _, _, err := s.CreateAPIKey(ctx, u.ID, string(rune('a'+i)), origin); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CreateAPIKey(ctx, u.ID, "one more", origin); !errors.Is(err, ErrTooManyAPIKeys) {
		t.Fatalf("over the limit: %v", err)
	}
	must(t, func() error { _, err := s.RevokeAPIKey(ctx, u.ID, "a", origin); return err }())
	if _, _, err := s.CreateAPIKey(ctx, u.ID, "one more", origin); err != nil {
		t.Fatalf("after a revocation: %v", err)
	}
}

// A suspended account's key resolves (what it may do is the dashboard's
// rule); a deleted account's keys are gone, and fail at once.
func TestAPIKeySuspendedAndDeleted(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "admin@example.com")
	u := newUser(t, s, "alice@example.com")
	_, key, err := s.CreateAPIKey(ctx, u.ID, "bot", origin)
	must(t, err)
	if _, err := s.ResolveAPIKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BanUser(ctx, admin, u.ID, "chargeback"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ResolveAPIKey(ctx, key); err != nil || got.UserID != u.ID {
		t.Fatalf("suspended: %+v %v", got, err)
	}
	e, err := s.Export(ctx, u.ID)
	if err != nil || len(e.APIKeys) != 1 || e.APIKeys[0].Name != "bot" {
		t.Fatalf("export: %+v %v", e.APIKeys, err)
	}
	must(t, s.DeleteAccount(ctx, u.ID, "correct horse", origin))
	if _, err := s.ResolveAPIKey(ctx, key); !errors.Is(err, ErrAPIKeyInvalid) {
		t.Fatalf("a deleted account's key: %v", err)
	}
	var n int
	if err := s.r.QueryRow(`SELECT COUNT(*) FROM api_keys WHERE user_id = ?`, u.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d API keys left after the deletion (%v)", n, err)
	}
}
