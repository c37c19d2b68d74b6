package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// readPool is the read-only pool whose reads run as prepared statements,
// cached by query: SQLite then parses and plans a statement once per
// connection instead of on every call, which otherwise costs more than
// most reads themselves (a key sign-in and the dashboard's first load
// make some twenty reads; an API client polls a number's status many
// times a second). Statements are prepared on first use, on every
// connection they run on (database/sql does that).
type readPool struct {
	*sql.DB
	cache bool // SQLite's; PostgreSQL's driver prepares on its own
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// maxPrepared bounds the cache: the store's reads are a fixed set of
// queries, some built from a filter's parts, and each statement holds
// memory on every connection.
const maxPrepared = 256

// stmt returns query's prepared statement, or nil when it is not cached:
// not on SQLite, a query whose IN list is as long as its data (prepared
// once, it would never be run again), a full cache, or a query that
// cannot be prepared (run unprepared, it reports why).
func (p *readPool) stmt(ctx context.Context, query string) *sql.Stmt {
	if !p.cache || strings.Contains(query, "IN (?") {
		return nil
	}
	p.mu.RLock()
	st, ok := p.stmts[query]
	full := len(p.stmts) >= maxPrepared
	p.mu.RUnlock()
	if ok || full {
		return st
	}
	// Prepared without the lock: it may wait for a connection, and the
	// cached reads must not wait with it.
	st, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.stmts[query]; ok { // prepared meanwhile by another read
		_ = st.Close()
		return prev
	}
	if len(p.stmts) >= maxPrepared {
		_ = st.Close()
		return nil
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[query] = st
	return st
}

func (p *readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

func (p *readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

func (p *readPool) Query(query string, args ...any) (*sql.Rows, error) {
	return p.QueryContext(context.Background(), query, args...)
}

func (p *readPool) QueryRow(query string, args ...any) *sql.Row {
	return p.QueryRowContext(context.Background(), query, args...)
}

// Close closes the statements, then the pool.
func (p *readPool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := closeStmts(p.stmts)
	p.stmts = nil
	return errors.Join(err, p.DB.Close())
}

func closeStmts(stmts map[string]*sql.Stmt) error {
	var errs []error
	for _, st := range stmts {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// The prepared writes: what storing an SMS runs, and the savepoints that
// separate the writes sharing one commit. They are prepared when the
// store opens (prepareWrites): the writer is one connection, which a
// transaction holds, so none can be prepared on it during a write.
const (
	qMessageTarget = `SELECT user_id, state, phone, service, country FROM reservations WHERE id = ?`
	qInsertMessage = `INSERT INTO messages (reservation_id, provider_id, sender, body, code, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (reservation_id, provider_id) DO NOTHING RETURNING id`
	qMarkReceived = `UPDATE reservations SET state = 'received' WHERE id = ?`
	qHookTargets  = `SELECT id, format FROM webhooks WHERE user_id = ? ORDER BY id`
	qSavepoint    = `SAVEPOINT w`
	qRollbackTo   = `ROLLBACK TO w`
	qReleaseSave  = `RELEASE w`
)

var preparedWrites = []string{qMessageTarget, qInsertMessage, qMarkReceived, qHookTargets,
	qSavepoint, qRollbackTo, qReleaseSave}

// prepareWrites prepares the writer's statements; SQLite only, before any
// write runs.
func (s *Store) prepareWrites(ctx context.Context) error {
	s.writes = statements{}
	for _, q := range preparedWrites {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("writer: prepare: %w", err)
		}
		s.writes[q] = st
	}
	return nil
}

// statements are the writer's prepared statements, by query: made when
// the store opens, only read afterwards.
type statements map[string]*sql.Stmt

func (p statements) close() error { return closeStmts(p) }

// stmt returns the writer's prepared statement for query bound to the
// transaction (closed with it); false when it is not prepared, and the
// query is to run as text.
func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, bool) {
	st, ok := tx.writes[query]
	if !ok {
		return nil, false
	}
	return tx.Tx.StmtContext(context.WithoutCancel(ctx), st), true
}

// execPrepared runs query in the transaction, prepared if it is, whatever
// becomes of ctx (see Tx).
func (tx *Tx) execPrepared(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := tx.stmt(ctx, query); ok {
		return st.ExecContext(context.WithoutCancel(ctx), args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// queryRowPrepared runs a one-row query in the transaction, prepared if
// it is.
func (tx *Tx) queryRowPrepared(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := tx.stmt(ctx, query); ok {
		return st.QueryRowContext(context.WithoutCancel(ctx), args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// queryPrepared runs a query in the transaction, prepared if it is.
func (tx *Tx) queryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := tx.stmt(ctx, query); ok {
		return st.QueryContext(context.WithoutCancel(ctx), args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// txPrepared runs a transaction's queries through collect, prepared
// where they are.
type txPrepared struct{ tx *Tx }

func (q txPrepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.tx.queryPrepared(ctx, query, args...)
}

func (q txPrepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return q.tx.queryRowPrepared(ctx, query, args...)
}
