package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Reads that programs make many times a second (an API client polling a
// number's status) run as prepared statements: SQLite parses and plans
// each statement once per connection instead of once per call, which
// otherwise costs more than the read itself.

// The prepared reads, by the query they run.
const (
	qUserReservation = `SELECT ` + reservationColumns + ` FROM reservations WHERE id = ? AND user_id = ?`
	qMessagesOf      = `SELECT id, reservation_id, provider_id, sender, body, code, received_at
		FROM messages WHERE reservation_id = ? ORDER BY received_at, id`
)

// preparedReads holds the statements, prepared on the read pool on first
// use (database/sql prepares each again on every connection it runs on).
type preparedReads struct {
	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// prepared returns the read pool's statement for query.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	p := &s.reads
	p.mu.RLock()
	st, ok := p.stmts[query]
	p.mu.RUnlock()
	if ok {
		return st, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.stmts[query]; ok {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[query] = st
	return st, nil
}

// closePrepared closes the prepared statements (Close).
func (s *Store) closePrepared() error {
	p := &s.reads
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, st := range p.stmts {
		errs = append(errs, st.Close())
	}
	p.stmts = nil
	return errors.Join(errs...)
}
