package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migrations holds the schema history, one file per step, named
// NNNN_what.sql and applied in number order exactly once: SQLite's in
// migrations/, PostgreSQL's in migrations/postgres/. The two folders are
// one list: the same numbers and names (TestMigrationListsMatch), each
// PostgreSQL file doing in its dialect what SQLite's does, so that a step
// is "0013" on either backend. A step SQLite needs and PostgreSQL does not
// (rebuilding a table to get AUTOINCREMENT: identity columns never reuse
// ids) is a PostgreSQL file that changes nothing and says why.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads SQLite's migrations.
func loadMigrations() ([]migration, error) { return loadDialectMigrations(sqliteDialect) }

// loadDialectMigrations reads the migrations of d's backend.
func loadDialectMigrations(d *dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrations, d.migrations)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %q: want NNNN_name.sql", e.Name())
		}
		body, err := migrations.ReadFile(d.migrations + "/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrate applies every pending migration, each in its own transaction
// together with its row in schema_migrations, so a crash leaves the schema
// at a whole step.
func (s *Store) migrate(ctx context.Context) error {
	all, err := loadDialectMigrations(s.dialect)
	if err != nil {
		return err
	}
	return s.applyMigrations(ctx, all)
}

// applyMigrations applies, in number order, every migration not recorded
// as applied. It goes by the set of applied numbers, not by the highest:
// branches developed side by side take numbers with gaps (0002 on one,
// 0003 on another), and a database that got 0003 first must still get
// 0002 once both are merged.
func (s *Store) applyMigrations(ctx context.Context, all []migration) error {
	// A write, so that instances starting together on one PostgreSQL
	// database take turns (the writer lock).
	if err := s.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.dialect.schemaMigrations)
		return err
	}); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range all {
		if applied[m.version] {
			continue
		}
		apply := s.applyMigration
		if m.rebuilds() && s.dialect == sqliteDialect {
			apply = s.applyRebuild
		}
		if err := apply(ctx, m); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
	}
	return nil
}

// rebuildMarker opens a migration that rebuilds tables (SQLite changes a
// constraint or AUTOINCREMENT only by copying a table into a new one).
// Such a migration runs with foreign keys off, as SQLite's procedure for
// changing a table asks, and must leave no dangling reference: it is
// checked with foreign_key_check before it commits.
const rebuildMarker = "-- migrate: rebuild"

func (m migration) rebuilds() bool { return strings.HasPrefix(m.sql, rebuildMarker) }

// applyMigration runs m in one transaction with its schema_migrations row,
// so a crash leaves the schema at a whole step.
func (s *Store) applyMigration(ctx context.Context, m migration) error {
	return s.write(ctx, func(tx *Tx) error {
		// Another instance on the same PostgreSQL database may have
		// applied it since the list was read: the writer lock, held now,
		// makes this answer final.
		var done bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`,
			m.version).Scan(&done); err != nil {
			return fmt.Errorf("read applied migrations: %w", err)
		}
		if done {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		return recordMigration(ctx, tx.Tx, m, tx.now)
	})
}

// applyRebuild runs a table-rebuilding migration on the writer's one
// connection with foreign keys off for its duration (the pragma is a no-op
// inside a transaction, so it is set around it), then checks every
// reference before committing. Migrations run before the store serves
// anyone, so nothing else uses the connection meanwhile.
func (s *Store) applyRebuild(ctx context.Context, m migration) (err error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("foreign keys off: %w", err)
	}
	defer func() {
		if _, ferr := conn.ExecContext(context.Background(), `PRAGMA foreign_keys = ON`); ferr != nil && err == nil {
			err = fmt.Errorf("foreign keys back on: %w", ferr)
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if err := foreignKeyCheck(ctx, tx); err != nil {
		return err
	}
	if err := recordMigration(ctx, tx, m, s.unixNow()); err != nil {
		return err
	}
	return tx.Commit()
}

// foreignKeyCheck fails with the first reference that points nowhere.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	var table, parent string
	var rowid sql.NullInt64
	var fkid int
	err := tx.QueryRowContext(ctx, `PRAGMA foreign_key_check`).Scan(&table, &rowid, &parent, &fkid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("foreign key check: %w", err)
	}
	return fmt.Errorf("foreign key check: row %d of %s points at a missing %s row", rowid.Int64, table, parent)
}

func recordMigration(ctx context.Context, tx *sql.Tx, m migration, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, now)
	if err != nil {
		return fmt.Errorf("record migration: %w", err)
	}
	return nil
}

func (s *Store) appliedMigrations(ctx context.Context) (map[int]bool, error) {
	rows, err := s.w.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read applied migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

// SchemaVersion is the number of the last applied migration (0 if none).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
