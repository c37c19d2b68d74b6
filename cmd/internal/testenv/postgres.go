package testenv

import (
	"errors"
	"sync"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store/pgtest"
)

// Postgres starts a throw-away PostgreSQL cluster of the test's own,
// stopped when the test ends, and returns it with the URL of a new, empty
// database on it: a test may stop the cluster to see what an outage
// does. Without PostgreSQL's binaries the test is skipped (failed under
// WANTSMS_REQUIRE_POSTGRES=1). Tests that need no outage share one
// cluster instead (PostgresURL).
func Postgres(t testing.TB) (*pgtest.Cluster, string) {
	t.Helper()
	c, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNoBinaries) && !pgtest.Required() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	name, err := c.CreateDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	return c, c.URL(name)
}

// The test binary's shared PostgreSQL cluster: started by the first test
// that asks for a database, stopped by StopPostgres (from TestMain).
var (
	pgOnce    sync.Once
	pgCluster *pgtest.Cluster
	pgErr     error
)

// PostgresURL is a new, empty database of the test binary's shared
// cluster, for one or several services (DatabaseURL) of a test; it is
// dropped when the test ends. Without PostgreSQL's binaries the test is
// skipped, saying so, unless WANTSMS_REQUIRE_POSTGRES=1 (CI), which
// fails it.
func PostgresURL(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgCluster, pgErr = pgtest.Start() })
	if errors.Is(pgErr, pgtest.ErrNoBinaries) && !pgtest.Required() {
		t.Skipf("PostgreSQL tests skipped: %v", pgErr)
	}
	if pgErr != nil {
		t.Fatal(pgErr)
	}
	name, err := pgCluster.CreateDatabase("")
	if err != nil {
		t.Fatal(err)
	}
	c := pgCluster
	// Registered before the services that use it: cleanups run last
	// first, so they are shut down before it is dropped.
	t.Cleanup(func() {
		if err := c.DropDatabase(name); err != nil {
			t.Error(err)
		}
	})
	return c.URL(name)
}

// StopPostgres stops the test binary's shared cluster, if a test started
// one.
func StopPostgres() {
	if pgCluster != nil {
		pgCluster.Stop()
	}
}

// OnDatabase points a service at the database url (PostgresURL).
func OnDatabase(url string) func(*service.Config) {
	return func(c *service.Config) { c.DatabaseURL = url }
}
