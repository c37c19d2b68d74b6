package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// writePubKey writes a fresh public key file, as ssh-keygen leaves
// id_ed25519.pub, and returns its path and fingerprint.
func writePubKey(t *testing.T) (path, fingerprint string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "id_ed25519.pub")
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " boss@laptop\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, ssh.FingerprintSHA256(k)
}

// openStore opens the data directory's store for a look from the test.
func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := service.OpenStore(dir, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// The host's admin tools: grant needs a key (and says why), enrols a
// public key file or a linked key's fingerprint, lists, removes one key's
// admin use, and revoke takes the role and every admin key; each step is
// recorded in the account's security events.
func TestAdminGrantEnrolsKeysFromTheHost(t *testing.T) {
	dir := t.TempDir()
	u := newAccount(t, dir, "boss@example.com")
	newAccount(t, dir, "other@example.com")

	status, _, stderr := wantsms(t, "admin", "grant", "boss@example.com", "--data", dir)
	if status != exitUsage || !strings.Contains(stderr, "grant needs --key") ||
		!strings.Contains(stderr, "enrolled for admin use") {
		t.Fatalf("grant without a key: %d %q", status, stderr)
	}

	// Admin goes only to a verified address; the refusal says why and how.
	pub, fp := writePubKey(t)
	status, _, stderr = wantsms(t, "admin", "grant", "boss@example.com", "--key", pub, "--data", dir)
	if status != exitFail || !strings.Contains(stderr, "not verified") || !strings.Contains(stderr, "wantsms admin verify EMAIL") {
		t.Fatalf("grant to an unverified address: %d %q", status, stderr)
	}
	status, out, _ := wantsms(t, "admin", "verify", "boss@example.com", "--data", dir)
	if status != 0 || !strings.Contains(out, "boss@example.com is verified, on your word") {
		t.Fatalf("verify: %d %q", status, out)
	}
	if status, out, _ = wantsms(t, "admin", "verify", "boss@example.com", "--data", dir); status != 0 ||
		!strings.Contains(out, "verified already") {
		t.Fatalf("verify again: %d %q", status, out)
	}
	status, out, stderr = wantsms(t, "admin", "grant", "boss@example.com", "--key", pub, "--data", dir)
	if status != 0 || !strings.Contains(out, fp) || !strings.Contains(out, "(boss@laptop)") {
		t.Fatalf("grant --key FILE: %d %q %q", status, out, stderr)
	}
	// The same key cannot be enrolled on another account.
	if status, _, _ = wantsms(t, "admin", "verify", "other@example.com", "--data", dir); status != 0 {
		t.Fatal("verify other")
	}
	if status, _, stderr = wantsms(t, "admin", "grant", "other@example.com", "--key", pub, "--data", dir); status != exitFail ||
		!strings.Contains(stderr, "linked to another account") {
		t.Fatalf("another account's key: %d %q", status, stderr)
	}
	// A key linked from the dashboard, enrolled by its fingerprint.
	st := openStore(t, dir)
	second, err := st.LinkKey(context.Background(), u.ID, mustKey(t), "desktop", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	status, out, _ = wantsms(t, "admin", "keys", "boss@example.com", "--data", dir)
	if status != 0 || !strings.Contains(out, "role admin, 2 linked keys, 1 enrolled") ||
		!strings.Contains(out, second.Fingerprint+"  desktop               -") {
		t.Fatalf("keys: %d %q", status, out)
	}
	if status, out, _ = wantsms(t, "admin", "grant", "boss@example.com", "--key", second.Fingerprint, "--data", dir); status != 0 {
		t.Fatalf("grant --key FINGERPRINT: %d %q", status, out)
	}
	if status, _, stderr = wantsms(t, "admin", "grant", "boss@example.com", "--key", "SHA256:nosuchkey", "--data", dir); status != exitFail ||
		!strings.Contains(stderr, "no such key is linked") {
		t.Fatalf("unknown fingerprint: %d %q", status, stderr)
	}
	status, out, _ = wantsms(t, "admin", "keys", "boss@example.com", "--data", dir)
	if status != 0 || !strings.Contains(out, "2 enrolled") || strings.Count(out, "admin since") != 2 {
		t.Fatalf("keys after the second grant: %d %q", status, out)
	}

	if status, out, _ = wantsms(t, "admin", "remove-key", "boss@example.com", fp, "--data", dir); status != 0 {
		t.Fatalf("remove-key: %d %q", status, out)
	}
	if status, _, stderr = wantsms(t, "admin", "remove-key", "boss@example.com", fp, "--data", dir); status != exitFail ||
		!strings.Contains(stderr, "not enrolled") {
		t.Fatalf("remove-key twice: %d %q", status, stderr)
	}
	if status, out, _ = wantsms(t, "admin", "revoke", "boss@example.com", "--data", dir); status != 0 ||
		!strings.Contains(out, "user role") {
		t.Fatalf("revoke: %d %q", status, out)
	}
	st = openStore(t, dir)
	got, _ := st.UserByID(context.Background(), u.ID)
	admin, _ := st.AdminKeys(context.Background(), u.ID)
	keys, _ := st.Keys(context.Background(), u.ID)
	if got.IsAdmin() || len(admin) != 0 || len(keys) != 2 {
		t.Fatalf("after revoke: %+v, admin keys %v, keys %d", got, admin, len(keys))
	}
	events, _ := st.SecurityEvents(context.Background(), u.ID, 50)
	kinds := map[store.SecurityKind]int{}
	for _, e := range events {
		kinds[e.Kind]++
		if e.Kind == store.SecurityAdminKeyEnroll && (e.RemoteAddr != "server host" ||
			!strings.HasPrefix(e.ClientVersion, "wantsms admin (")) {
			t.Errorf("enrolment without its origin: %+v", e)
		}
	}
	if kinds[store.SecurityAdminKeyEnroll] != 2 || kinds[store.SecurityAdminKeyRemove] != 2 ||
		kinds[store.SecurityRoleChanged] != 2 {
		t.Fatalf("recorded: %v", kinds)
	}
}

func mustKey(t *testing.T) store.KeySpec {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return store.SpecOf(k)
}
