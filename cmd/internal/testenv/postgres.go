package testenv

import (
	"errors"
	"testing"

	"github.com/wantsms/wantsms/store/pgtest"
)

// Postgres starts a throw-away PostgreSQL cluster of the test's own,
// stopped when the test ends, and returns it with the URL of a new, empty
// database on it: a test may stop the cluster to see what an outage
// does. Without PostgreSQL's binaries the test is skipped (failed under
// WANTSMS_REQUIRE_POSTGRES=1).
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
