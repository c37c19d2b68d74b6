package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Moving a SQLite database to PostgreSQL (wantsms migrate-to-postgres):
// every row of every table is copied, ids kept, into a new database whose
// schema the same migrations made, in one transaction on PostgreSQL, so
// the target holds all of it or none. Each identity sequence then starts
// above every id the SQLite database ever handed out (its sqlite_sequence
// remembers ids of rows since deleted), so that no id is issued twice.

// ErrTargetNotEmpty is CopyToPostgres's answer when the target already
// holds rows: the copy goes only into a new database.
var ErrTargetNotEmpty = errors.New("the PostgreSQL database is not empty")

// TableCopy is one table copied: its rows, and the id the next row will
// get (0 for a table without an identity column).
type TableCopy struct {
	Table  string
	Rows   int64
	NextID int64
}

// CopyToPostgres copies src, a SQLite store, into dst, a PostgreSQL store
// at the same schema version with no row in any table, and returns the
// tables in the order copied (every table a row refers to comes before
// it). src is read in one snapshot; writes made to it meanwhile are not
// copied, so the service should be stopped first. hostKey, when not nil,
// is stored as the database's SSH host key (the data directory's key, so
// that people who trusted the old server go on trusting it).
func CopyToPostgres(ctx context.Context, src, dst *Store, hostKey []byte) ([]TableCopy, error) {
	if src.OnPostgres() || !dst.OnPostgres() {
		return nil, errors.New("copy: want a SQLite source and a PostgreSQL target")
	}
	if err := sameMigrations(ctx, src, dst); err != nil {
		return nil, err
	}
	stx, err := src.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("copy: read %s: %w", src.path, err)
	}
	defer stx.Rollback()
	conn, err := dst.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer conn.Close()
	var out []TableCopy
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*pgConn)
		if !ok {
			return fmt.Errorf("copy: unexpected connection %T", dc)
		}
		c := pgCopy{src: stx, dst: pc.Conn.Conn(), hostKey: hostKey, now: dst.unixNow()}
		out, err = c.run(ctx)
		return err
	})
	return out, err
}

// sameMigrations checks that both stores applied exactly the same
// migrations, so that their tables and columns match.
func sameMigrations(ctx context.Context, src, dst *Store) error {
	a, err := src.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	b, err := dst.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	if !maps.Equal(a, b) {
		return fmt.Errorf("copy: the databases are at different schema versions (SQLite %v, PostgreSQL %v): "+
			"run the same wantsms on both", slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b)))
	}
	return nil
}

// pgCopy is one copy under way: the SQLite snapshot and the PostgreSQL
// connection whose transaction receives it.
type pgCopy struct {
	src     *sql.Tx
	dst     *pgx.Conn
	tx      pgx.Tx
	hostKey []byte
	now     int64
}

func (c *pgCopy) run(ctx context.Context) ([]TableCopy, error) {
	var err error
	if c.tx, err = c.dst.Begin(ctx); err != nil {
		return nil, fmt.Errorf("copy: begin: %w", err)
	}
	defer c.tx.Rollback(context.WithoutCancel(ctx))
	// Instances starting on the target meanwhile wait, as for any write.
	if _, err := c.tx.Exec(ctx, postgresDialect.beginWrite); err != nil {
		return nil, fmt.Errorf("copy: take the writer lock: %w", err)
	}
	cols, err := c.matchSchemas(ctx)
	if err != nil {
		return nil, err
	}
	order, err := c.parentsFirst(ctx, slices.Sorted(maps.Keys(cols)))
	if err != nil {
		return nil, err
	}
	if err := c.checkEmpty(ctx, order); err != nil {
		return nil, err
	}
	out := make([]TableCopy, 0, len(order))
	for _, t := range order {
		n, err := c.copyTable(ctx, t, cols[t])
		if err != nil {
			return nil, fmt.Errorf("copy %s: %w", t, err)
		}
		out = append(out, TableCopy{Table: t, Rows: n})
	}
	if err := c.advanceSequences(ctx, out); err != nil {
		return nil, err
	}
	if c.hostKey != nil {
		if _, err := c.tx.Exec(ctx, `INSERT INTO ssh_host_key (id, key_pem, created_at)
			VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, string(c.hostKey), c.now); err != nil {
			return nil, fmt.Errorf("copy: host key: %w", err)
		}
	}
	if err := c.tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("copy: commit: %w", err)
	}
	return out, nil
}

// matchSchemas returns every table but schema_migrations with its columns
// (PostgreSQL's order), after checking both databases have the same
// tables, each with the same columns (SQLite may order them otherwise).
func (c *pgCopy) matchSchemas(ctx context.Context) (map[string][]string, error) {
	pg := map[string][]string{}
	rows, err := c.tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'
		ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("copy: PostgreSQL's tables: %w", err)
	}
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			return nil, fmt.Errorf("copy: PostgreSQL's tables: %w", err)
		}
		pg[t] = append(pg[t], col)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copy: PostgreSQL's tables: %w", err)
	}
	lite, err := collect(ctx, c.src, func(r scanner) ([2]string, error) {
		var tc [2]string
		return tc, r.Scan(&tc[0], &tc[1])
	}, `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> 'schema_migrations'`)
	if err != nil {
		return nil, fmt.Errorf("copy: SQLite's tables: %w", err)
	}
	sqliteCols := map[string][]string{}
	for _, tc := range lite {
		sqliteCols[tc[0]] = append(sqliteCols[tc[0]], tc[1])
	}
	for t, cols := range sqliteCols {
		if !slices.Equal(slices.Sorted(slices.Values(cols)), slices.Sorted(slices.Values(pg[t]))) {
			return nil, fmt.Errorf("copy: table %s has columns %v on SQLite, %v on PostgreSQL", t, cols, pg[t])
		}
	}
	for t := range pg {
		if sqliteCols[t] == nil {
			return nil, fmt.Errorf("copy: table %s is on PostgreSQL only", t)
		}
	}
	return pg, nil
}

// parentsFirst orders tables so that every table a foreign key refers to
// comes before the tables referring to it (the keys are checked at each
// statement, not at commit), ties by name.
func (c *pgCopy) parentsFirst(ctx context.Context, tables []string) ([]string, error) {
	rows, err := c.tx.Query(ctx, `SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
		WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, fmt.Errorf("copy: foreign keys: %w", err)
	}
	parents := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, fmt.Errorf("copy: foreign keys: %w", err)
		}
		if child != parent {
			parents[child] = append(parents[child], parent)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copy: foreign keys: %w", err)
	}
	done := map[string]bool{}
	var order []string
	for len(order) < len(tables) {
		before := len(order)
		for _, t := range tables {
			if !done[t] && !slices.ContainsFunc(parents[t], func(p string) bool { return !done[p] }) {
				done[t] = true
				order = append(order, t)
			}
		}
		if len(order) == before {
			return nil, errors.New("copy: the foreign keys form a cycle")
		}
	}
	return order, nil
}

// checkEmpty refuses a target that holds a row in any table.
func (c *pgCopy) checkEmpty(ctx context.Context, tables []string) error {
	for _, t := range tables {
		var held bool
		if err := c.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoteIdent(t)+`)`).Scan(&held); err != nil {
			return fmt.Errorf("copy: read %s: %w", t, err)
		}
		if held {
			return fmt.Errorf("%w: table %s has rows (was an instance started on it?): "+
				"copy into a new, empty database", ErrTargetNotEmpty, t)
		}
	}
	return nil
}

// copyTable streams one table's rows from the snapshot into PostgreSQL
// (COPY), in id order where the table has rowids.
func (c *pgCopy) copyTable(ctx context.Context, table string, cols []string) (int64, error) {
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = quoteIdent(col)
	}
	q := `SELECT ` + strings.Join(quoted, ", ") + ` FROM ` + quoteIdent(table)
	rows, err := c.src.QueryContext(ctx, q+` ORDER BY rowid`)
	if err != nil {
		rows, err = c.src.QueryContext(ctx, q) // WITHOUT ROWID
	}
	if err != nil {
		return 0, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	n, err := c.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, &rowSource{rows: rows, vals: make([]any, len(cols))})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// rowSource feeds SQLite's rows to pgx's COPY.
type rowSource struct {
	rows *sql.Rows
	vals []any
	err  error
}

func (r *rowSource) Next() bool { return r.err == nil && r.rows.Next() }

func (r *rowSource) Values() ([]any, error) {
	ptrs := make([]any, len(r.vals))
	for i := range r.vals {
		ptrs[i] = &r.vals[i]
	}
	if r.err = r.rows.Scan(ptrs...); r.err != nil {
		return nil, r.err
	}
	return r.vals, nil
}

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// advanceSequences sets each identity column's sequence past the highest
// id in its table and past SQLite's own counter for it, which remembers
// ids of rows deleted since (AUTOINCREMENT never reuses them either), and
// records the next id in copied.
func (c *pgCopy) advanceSequences(ctx context.Context, copied []TableCopy) error {
	rows, err := c.tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("copy: identity columns: %w", err)
	}
	idCol := map[string]string{}
	for rows.Next() {
		var t, col string
		if err := rows.Scan(&t, &col); err != nil {
			return fmt.Errorf("copy: identity columns: %w", err)
		}
		idCol[t] = col
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy: identity columns: %w", err)
	}
	for i, tc := range copied {
		col, ok := idCol[tc.Table]
		if !ok {
			continue
		}
		var high, seq int64
		if err := c.tx.QueryRow(ctx, `SELECT COALESCE(MAX(`+quoteIdent(col)+`), 0) FROM `+quoteIdent(tc.Table)).
			Scan(&high); err != nil {
			return fmt.Errorf("copy: highest id of %s: %w", tc.Table, err)
		}
		err := c.src.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = ?`, tc.Table).Scan(&seq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("copy: SQLite's counter of %s: %w", tc.Table, err)
		}
		high = max(high, seq)
		if high > 0 {
			if _, err := c.tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), $3)`, tc.Table, col, high); err != nil {
				return fmt.Errorf("copy: sequence of %s: %w", tc.Table, err)
			}
		}
		copied[i].NextID = high + 1
	}
	return nil
}

// quoteIdent quotes a table or column name for a statement.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// RowCounts is the number of rows in every table but schema_migrations,
// for comparing two databases (wantsms migrate-to-postgres).
func (s *Store) RowCounts(ctx context.Context) (map[string]int64, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name <> 'schema_migrations'`
	if s.OnPostgres() {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'`
	}
	tables, err := collect(ctx, s.r, func(r scanner) (string, error) {
		var t string
		return t, r.Scan(&t)
	}, q)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
