package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/wantsms/wantsms/store/pgtest"
	"github.com/wantsms/wantsms/store/storetest"
)

// The store's tests run on SQLite, then all again on PostgreSQL (a
// cluster started for this run, a fresh database per test copied from a
// migrated template). WANTSMS_TEST_BACKEND=sqlite or =postgres runs one
// pass only. Without PostgreSQL's binaries the second pass is skipped
// with a message, unless WANTSMS_REQUIRE_POSTGRES=1 (CI).

var (
	testPG         *pgtest.Cluster // the cluster of the PostgreSQL pass
	testPGTemplate string          // its migrated, empty database
)

// onPostgres reports whether the tests run on PostgreSQL now.
func onPostgres() bool { return testPG != nil }

func TestMain(m *testing.M) {
	backend := os.Getenv("WANTSMS_TEST_BACKEND")
	code := 0
	if backend == "" || backend == "sqlite" || backend == "both" {
		code = m.Run()
	}
	if backend == "" || backend == "postgres" || backend == "both" {
		code = max(code, runOnPostgres(m))
	}
	os.Exit(code)
}

func runOnPostgres(m *testing.M) int {
	c, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNoBinaries) && !pgtest.Required() {
		fmt.Fprintf(os.Stderr, "store: PostgreSQL pass skipped: %v\n", err)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "store: PostgreSQL pass: %v\n", err)
		return 1
	}
	defer c.Stop()
	template, err := c.CreateDatabase("")
	if err == nil {
		var s *Store
		if s, err = Open(c.URL(template), Options{}); err == nil {
			err = s.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "store: PostgreSQL pass: template: %v\n", err)
		return 1
	}
	testPG, testPGTemplate = c, template
	defer func() { testPG = nil }()
	fmt.Fprintln(os.Stderr, "store: the same tests on PostgreSQL")
	return m.Run()
}

// sqliteTemplate saves each test the replay of every migration.
var sqliteTemplate = storetest.NewTemplate(func(path string) error {
	s, err := Open(path, Options{})
	if err != nil {
		return err
	}
	return s.Close()
})

// testDatabase is where a test's store lives: a new SQLite file, or a new
// PostgreSQL database dropped when the test ends.
func testDatabase(t testing.TB) string {
	t.Helper()
	if !onPostgres() {
		return sqliteTemplate.Path(t)
	}
	name, err := testPG.CreateDatabase(testPGTemplate)
	if err != nil {
		t.Fatal(err)
	}
	c := testPG
	t.Cleanup(func() {
		if err := c.DropDatabase(name); err != nil {
			t.Error(err)
		}
	})
	return testPG.URL(name)
}

// openTestWith opens a store on a new test database.
func openTestWith(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(testDatabase(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// sqliteOnly skips a test of what exists on SQLite only.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if onPostgres() {
		t.Skip("SQLite only: " + why)
	}
}

// execTest runs a statement on the store's writer connection, outside the
// store's own writes (a test setting up or damaging data).
func execTest(t testing.TB, s *Store, q string, args ...any) {
	t.Helper()
	if _, err := s.w.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// openRaw opens a connection pool of its own on the store's database,
// for a test to change what the store would never change; it speaks the
// store's SQL on either backend.
func openRaw(t testing.TB, s *Store) *sql.DB {
	t.Helper()
	if !onPostgres() {
		raw, err := sql.Open("sqlite", s.Path())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return raw
	}
	cfg, err := pgx.ParseConfig(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	raw := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	t.Cleanup(func() { raw.Close() })
	return raw
}

// injectFailure makes every statement that does event (e.g. "INSERT",
// "UPDATE OF deleted_at") on table fail, with a trigger.
func injectFailure(t testing.TB, s *Store, event, table string) {
	t.Helper()
	q := `CREATE TRIGGER fail AFTER ` + event + ` ON ` + table + ` BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
	if onPostgres() {
		q = `CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'injected failure'; END$$;
			CREATE TRIGGER fail AFTER ` + event + ` ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION fail()`
	}
	execTest(t, s, q)
}

// removeFailure takes injectFailure's trigger off table again.
func removeFailure(t testing.TB, s *Store, table string) {
	t.Helper()
	q := `DROP TRIGGER fail`
	if onPostgres() {
		q += ` ON ` + table
	}
	execTest(t, s, q)
}

// tableColumns is every table of the schema with its columns, in their
// order (on PostgreSQL a column added later comes last, where SQLite may
// have rebuilt the table with it elsewhere).
func tableColumns(t testing.TB, s *Store) map[string][]string {
	t.Helper()
	q := `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.cid`
	if onPostgres() {
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`
	}
	rows, err := s.r.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		got[table] = append(got[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// tablesReferringToUsers is every table with a user_id column or a
// foreign key to users.
func tablesReferringToUsers(t testing.TB, s *Store) []string {
	t.Helper()
	q := `SELECT DISTINCT m.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND (c.name = 'user_id' OR EXISTS (
			SELECT 1 FROM pragma_foreign_key_list(m.name) f WHERE f."table" = 'users'))`
	if onPostgres() {
		q = `SELECT table_name FROM information_schema.columns
				WHERE table_schema = current_schema() AND column_name = 'user_id'
			UNION SELECT c.conrelid::regclass::text FROM pg_constraint c
				WHERE c.contype = 'f' AND c.confrelid = 'users'::regclass`
	}
	out, err := collect(context.Background(), s.r, func(r scanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	}, q)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// schemaDDL is the text that made the schema: SQLite's as it keeps it,
// PostgreSQL's migrations as written.
func schemaDDL(t testing.TB, s *Store) string {
	t.Helper()
	var ddl strings.Builder
	if onPostgres() {
		all, err := loadDialectMigrations(postgresDialect)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range all {
			ddl.WriteString(m.sql + "\n")
		}
		return ddl.String()
	}
	rows, err := s.r.Query(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var q string
		rows.Scan(&q)
		ddl.WriteString(q + "\n")
	}
	return ddl.String()
}
