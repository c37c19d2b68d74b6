package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
)

// writeKey puts a new ed25519 host key at path and returns its public half.
func writeKey(t *testing.T, path string) gossh.PublicKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer.PublicKey()
}

// `wantsms migrate-to-postgres` moves a data directory's database and host
// key into a new PostgreSQL database, prints both sides' rows and checks
// and exits 0 when they match; an instance on PostgreSQL then presents the
// old host key; a second run into the filled database is refused.
func TestMigrateToPostgresCommand(t *testing.T) {
	dir := t.TempDir()
	newAccount(t, dir, "old@example.com")
	newAccount(t, dir, "older@example.com")
	if status, _, errOut := wantsms(t, "credit", "old@example.com", "700", "--reason", "welcome", "--data", dir); status != 0 {
		t.Fatalf("credit: %s", errOut)
	}
	key := writeKey(t, filepath.Join(dir, service.HostKeyFile))
	url := postgresURL(t)

	status, out, errOut := wantsms(t, "migrate-to-postgres", "--data", dir, "--database-url", url)
	if status != exitOK {
		t.Fatalf("migrate-to-postgres: %d\n%s\n%s", status, out, errOut)
	}
	for _, want := range []string{`(?m)^users +2 +2 *$`, `(?m)^ledger +1 +1 *$`, `(?m)^ssh_host_key +0 +1 `,
		`(?m)^accounts +2 +2 *$`, `(?m)^integrity +ok +ok *$`, `(?m)^problems +0 +0 `, "pass check", "postgres://"} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if status, out, _ := wantsms(t, "check", "--data", t.TempDir(), "--database-url", url); status != exitOK ||
		!strings.Contains(out, "accounts: 2, ledger rows: 1") {
		t.Fatalf("check on PostgreSQL after the move: %d %q", status, out)
	}

	// An instance on the database, in a data directory of its own,
	// presents the key people knew.
	svc, err := service.Start(service.Config{DataDir: t.TempDir(), DatabaseURL: url, SSHAddr: "127.0.0.1:0",
		HTTPAddr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Shutdown(context.Background())
	client, err := gossh.Dial("tcp", svc.SSHAddr(), &gossh.ClientConfig{User: "someone", Timeout: 20 * time.Second,
		Auth:            []gossh.AuthMethod{gossh.KeyboardInteractive(noAnswers)},
		HostKeyCallback: gossh.FixedHostKey(key)})
	if err != nil {
		t.Fatalf("the instance on PostgreSQL does not present the data directory's key: %v", err)
	}
	client.Close()

	status, _, errOut = wantsms(t, "migrate-to-postgres", "--data", dir, "--database-url", url)
	if status != exitFail || !strings.Contains(errOut, "not empty") {
		t.Fatalf("a second move into the filled database: %d %q", status, errOut)
	}
	if status, _, _ := wantsms(t, "migrate-to-postgres", "--data", dir); status != exitUsage {
		t.Fatalf("no database URL: status %d, want a usage error", status)
	}
	if status, _, errOut := wantsms(t, "migrate-to-postgres", "--data", t.TempDir(), "--database-url", url); status != exitFail ||
		!strings.Contains(errOut, "no SQLite database") {
		t.Fatalf("an empty data directory: %d %q", status, errOut)
	}
}

func noAnswers(string, string, []string, []bool) ([]string, error) { return nil, nil }
