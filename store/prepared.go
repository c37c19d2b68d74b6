package store

import (
	"context"
	"database/sql"
	"errors"
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
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	p.stmts = nil
	return errors.Join(append(errs, p.DB.Close())...)
}
