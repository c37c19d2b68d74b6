package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// IsPostgresURL reports whether target names a PostgreSQL database
// (postgres://… or postgresql://…) rather than a SQLite file.
func IsPostgresURL(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// RedactURL is a database URL fit for logs and messages: its password,
// if any, replaced by "xxxxx". What is not a URL comes back as it is.
func RedactURL(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.User == nil {
		return target
	}
	return u.Redacted()
}

// openPostgres opens the PostgreSQL database at dbURL as the store does a
// SQLite file: one writer connection taking every write of this process
// (group commit, the writer lock of dialect.go), a pool of read-only
// connections, and the pending migrations applied.
func openPostgres(dbURL string, opts Options) (*Store, error) {
	shown := RedactURL(dbURL)
	wcfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	// The simple protocol sends each statement with its arguments in it,
	// so PostgreSQL types them from the statement as SQLite does (a bare
	// "? IS NULL" is fine), and several statements run as one (migrations).
	wcfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	if wcfg.RuntimeParams["application_name"] == "" {
		wcfg.RuntimeParams["application_name"] = "wantsms"
	}
	rcfg := wcfg.Copy()
	lcfg := wcfg.Copy() // a lease's connection (lease.go) waits for nothing
	lease, err := leaseAppName(wcfg.RuntimeParams["application_name"])
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	lcfg.RuntimeParams["application_name"] = lease
	ecfg := wcfg.Copy() // the events' listener (notify.go)
	ecfg.RuntimeParams["application_name"] += " events"
	// Waiting for the writer lock, or a row, is bounded as SQLite's busy
	// timeout bounds waiting for another process's write.
	wcfg.RuntimeParams["lock_timeout"] = fmt.Sprint(opts.BusyTimeout.Milliseconds())
	rcfg.RuntimeParams["default_transaction_read_only"] = "on"

	w := sql.OpenDB(pgConnector{stdlib.GetConnector(*wcfg)})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	s := newStore(shown, postgresDialect, w, opts)
	s.leaseConfig = lcfg
	s.listenCfg = ecfg
	if err := s.migrate(context.Background()); err != nil {
		w.Close()
		return nil, err
	}
	r := sql.OpenDB(pgConnector{stdlib.GetConnector(*rcfg)})
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	s.r = &readPool{DB: r}
	return s, nil
}

// pgConnector hands database/sql connections that speak the store's SQL
// (see dialect.go): every statement is rewritten on its way in.
type pgConnector struct{ base driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.base.Driver() }

// pgConn is pgx's connection with the store's statements rewritten and
// their arguments written into them as literals (pgInline): pgx's simple
// protocol would send every argument as a quoted string, which
// PostgreSQL cannot type in "-?1" or "MAX(0, ? - x)".
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return &pgStmt{c, query}, nil
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return &pgStmt{c, query}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	q, err := pgInline(pgRewrite(query), args)
	if err != nil {
		return nil, err
	}
	return c.Conn.ExecContext(ctx, q, nil)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, err := pgInline(pgRewrite(query), args)
	if err != nil {
		return nil, err
	}
	return c.Conn.QueryContext(ctx, q, nil)
}

// CheckNamedValue converts arguments as database/sql does for SQLite's
// driver (named types to their base type), and booleans to 1 and 0, which
// is how both schemas store them.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	v, err := driver.DefaultParameterConverter.ConvertValue(nv.Value)
	if err != nil {
		return err
	}
	if b, ok := v.(bool); ok {
		v = int64(0)
		if b {
			v = int64(1)
		}
	}
	nv.Value = v
	return nil
}

// pgStmt is a "prepared" statement: run as a plain one each time.
type pgStmt struct {
	c     *pgConn
	query string
}

func (s *pgStmt) Close() error  { return nil }
func (s *pgStmt) NumInput() int { return -1 }

func (s *pgStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}

func (s *pgStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}

func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, args)
}

func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, args)
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

// pgInline writes each argument into q in place of its $N as a literal:
// an integer as a number (in parentheses when negative, so "-$1" stays an
// expression), text quoted (its quotes doubled; standard_conforming_strings
// is on, so a backslash is itself), bytes as a bytea literal, NULL. Text
// stays an untyped literal, which PostgreSQL types from where it stands,
// as SQLite takes text where a number is compared. $N inside quotes and
// comments is left alone. An argument the statement does not name is
// ignored, as SQLite's driver ignores it.
func pgInline(q string, args []driver.NamedValue) (string, error) {
	if len(args) == 0 {
		return q, nil
	}
	lits := make([]string, len(args))
	for i, a := range args {
		l, err := pgLiteral(a.Value)
		if err != nil {
			return "", fmt.Errorf("argument %d: %w", i+1, err)
		}
		lits[i] = l
	}
	var b strings.Builder
	b.Grow(len(q) + 8*len(args))
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '-' && strings.HasPrefix(q[i:], "--") || c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := skipLiteral(q, i)
			b.WriteString(q[i:j])
			i = j
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(q[i+1 : j])
			if n < 1 || n > len(args) {
				return "", fmt.Errorf("statement names $%d, %d arguments given", n, len(args))
			}
			b.WriteString(lits[n-1])
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// pgLiteral is v (a driver.Value) as a PostgreSQL literal.
func pgLiteral(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "NULL", nil
	case int64:
		if v < 0 {
			return "(" + strconv.FormatInt(v, 10) + ")", nil
		}
		return strconv.FormatInt(v, 10), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return "'" + strconv.FormatFloat(v, 'g', -1, 64) + "'::float8", nil
		}
		return "(" + strconv.FormatFloat(v, 'g', -1, 64) + "::float8)", nil
	case string:
		if strings.IndexByte(v, 0) >= 0 {
			return "", errors.New("text holds a NUL byte")
		}
		return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
	case []byte:
		return "'\\x" + hex.EncodeToString(v) + "'::bytea", nil
	case time.Time:
		return "'" + v.UTC().Format(time.RFC3339Nano) + "'::timestamptz", nil
	}
	return "", fmt.Errorf("cannot pass %T to PostgreSQL", v)
}

// OpenReader opens a read-only pool on the database at target (a SQLite
// file, or a postgres:// URL) that speaks the store's SQL on either
// backend ("?" placeholders, SQLite's functions the dialect rewrites): for
// tools and tests that read what the store wrote, such as the crash
// test's checks. It applies no migration.
func OpenReader(target string) (*sql.DB, error) {
	if !IsPostgresURL(target) {
		return sql.Open("sqlite", target+"?_busy_timeout=10000&_query_only=on")
	}
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", RedactURL(target), err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)}), nil
}
