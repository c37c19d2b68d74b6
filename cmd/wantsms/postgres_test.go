package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/pgtest"
)

// The package's PostgreSQL cluster, started by the first test that needs
// one and stopped by TestMain.
var (
	pgOnce    sync.Once
	pgCluster *pgtest.Cluster
	pgErr     error
)

func stopPostgres() {
	if pgCluster != nil {
		pgCluster.Stop()
	}
}

// postgresURL is a new, empty database of the package's cluster; the test
// is skipped (failed under WANTSMS_REQUIRE_POSTGRES=1) without PostgreSQL.
func postgresURL(t *testing.T) string {
	t.Helper()
	pgOnce.Do(func() { pgCluster, pgErr = pgtest.Start() })
	if errors.Is(pgErr, pgtest.ErrNoBinaries) && !pgtest.Required() {
		t.Skip(pgErr)
	}
	if pgErr != nil {
		t.Fatal(pgErr)
	}
	name, err := pgCluster.CreateDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pgCluster.DropDatabase(name) })
	return pgCluster.URL(name)
}

// The store's tools take --database-url (or WANTSMS_DATABASE_URL) and
// work on PostgreSQL as on the SQLite file: credit moves money through the
// ledger, check verifies it and names the database, purge runs, backup
// says what to use instead; and nothing is written to a SQLite file.
func TestToolsOnPostgres(t *testing.T) {
	url := postgresURL(t)
	dir := t.TempDir()
	st, err := service.OpenStore(dir, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(context.Background(), "bob@example.com", "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	status, out, errOut := wantsms(t, "credit", "bob@example.com", "500", "--reason", "goodwill", "--data", dir,
		"--database-url", url)
	if status != 0 || !strings.Contains(out, "$5.00") {
		t.Fatalf("credit: %d %q %q", status, out, errOut)
	}
	t.Setenv("WANTSMS_DATABASE_URL", url)
	status, out, errOut = wantsms(t, "check", "--data", dir)
	if status != 0 || !strings.Contains(out, "database: PostgreSQL postgres://") ||
		!strings.Contains(out, "accounts: 1, ledger rows: 1") || !strings.Contains(out, "integrity: ok") {
		t.Fatalf("check: %d %q %q", status, out, errOut)
	}
	if status, out, errOut = wantsms(t, "purge", "--data", dir); status != 0 || !strings.Contains(out, "removed in all") {
		t.Fatalf("purge: %d %q %q", status, out, errOut)
	}
	if status, _, errOut = wantsms(t, "backup", filepath.Join(dir, "copy.db"), "--data", dir); status == 0 ||
		!strings.Contains(errOut, "pg_dump") {
		t.Fatalf("backup: %d %q", status, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, service.DatabaseFile)); !os.IsNotExist(err) {
		t.Fatalf("a SQLite file was made beside the PostgreSQL database: %v", err)
	}

	// Money moved by the store meanwhile checks as sound.
	st, err = service.OpenStore(dir, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Move(context.Background(), store.Movement{UserID: 1, AmountCents: 7, Kind: store.LedgerGrant,
		Reference: "test"}); err != nil {
		t.Fatal(err)
	}
	if status, out, _ = wantsms(t, "check", "--data", dir); status != 0 {
		t.Fatalf("check after a sound grant: %d %q", status, out)
	}

	t.Setenv("WANTSMS_DATABASE_URL", "mysql://somewhere/db")
	if status, _, errOut = wantsms(t, "check", "--data", dir); status == 0 || !strings.Contains(errOut, "want postgres://") {
		t.Fatalf("check with a URL that is no PostgreSQL's: %d %q", status, errOut)
	}
}
