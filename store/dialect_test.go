package store

import (
	"database/sql/driver"
	"testing"
)

// Both backends record the same list of migrations: a number means the
// same step whichever database took it.
func TestMigrationListsMatch(t *testing.T) {
	lite, err := loadDialectMigrations(sqliteDialect)
	must(t, err)
	pg, err := loadDialectMigrations(postgresDialect)
	must(t, err)
	if len(lite) != len(pg) {
		t.Fatalf("%d SQLite migrations, %d PostgreSQL ones: each number needs a file in migrations/ and migrations/postgres/",
			len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name {
			t.Errorf("migration %d: SQLite's %s, PostgreSQL's %s", i, lite[i].name, pg[i].name)
		}
	}
}

func TestRewriteForPostgres(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT id FROM t WHERE a = ? AND b = ?`, `SELECT id FROM t WHERE a = $1 AND b = $2`},
		{`UPDATE t SET x = ?1 WHERE id = ?2 AND y = ?1`, `UPDATE t SET x = $1 WHERE id = $2 AND y = $1`},
		{`SELECT ?2, ?, ?1`, `SELECT $2, $3, $1`}, // a bare ? follows the highest
		{`SELECT '?', "a?b", x FROM t -- what?` + "\n" + `WHERE y = ?`, `SELECT '?', "a?b", x FROM t -- what?` + "\n" + `WHERE y = $1`},
		{`SELECT 'it''s ?' WHERE a LIKE ? ESCAPE '\'`, `SELECT 'it''s ?' WHERE a ILIKE $1 ESCAPE '\'`},
		{`SELECT x FROM t WHERE a NOT LIKE 'b%'`, `SELECT x FROM t WHERE a NOT ILIKE 'b%'`},
		{`SET a = MAX(0, b - ?1), c = MIN(d, (e + f)), g = MAX(h)`, `SET a = GREATEST(0, b - $1), c = LEAST(d, (e + f)), g = MAX(h)`},
		{`SELECT t.max, instr(a, ':')`, `SELECT t.max, strpos(a, ':')`},
		{`WHERE r GLOB 'res:[0-9]*' AND s NOT GLOB 'x_y?'`, `WHERE r SIMILAR TO 'res:[0-9]%' AND s NOT SIMILAR TO 'x\_y_'`},
		{`ON r.id = CAST(substr(l.reference, 5) AS INTEGER)`, `ON r.id = wantsms_int(substr(l.reference, 5))`},
		{`SELECT CAST(x AS TEXT)`, `SELECT CAST(x AS TEXT)`},
	} {
		if got := rewriteSQL(c.in); got != c.want {
			t.Errorf("rewrite\n%s\ngot\n%s\nwant\n%s", c.in, got, c.want)
		}
	}
}

func TestInlineForPostgres(t *testing.T) {
	args := []driver.NamedValue{{Ordinal: 1, Value: int64(-1500)}, {Ordinal: 2, Value: "it's; --"}, {Ordinal: 3, Value: nil},
		{Ordinal: 4, Value: []byte{0xde, 0xad}}}
	got, err := pgInline(`SELECT -$1, $2, '$2', $3, $4 -- $1`, args)
	must(t, err)
	if want := `SELECT -(-1500), 'it''s; --', '$2', NULL, '\xdead'::bytea -- $1`; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if _, err := pgInline(`SELECT $3`, args[:2]); err == nil {
		t.Fatal("a statement naming a missing argument was accepted")
	}
	if _, err := pgInline(`SELECT $1`, []driver.NamedValue{{Ordinal: 1, Value: "a\x00b"}}); err == nil {
		t.Fatal("text with a NUL byte was accepted")
	}
}
