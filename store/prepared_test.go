package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A read runs as a statement prepared once: the second call of a query
// finds it in the cache. A query that cannot be prepared still reports
// its error, and is not cached.
func TestReadsArePrepared(t *testing.T) {
	if onPostgres() {
		t.Skip("the cache is SQLite's")
	}
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "prepared@example.com")
	for range 2 {
		if got, err := s.UserByID(ctx, u.ID); err != nil || got.ID != u.ID {
			t.Fatalf("UserByID: %+v, %v", got, err)
		}
	}
	cached := 0
	s.r.mu.RLock()
	for q := range s.r.stmts {
		if strings.Contains(q, "FROM users WHERE id = ?") {
			cached++
		}
	}
	s.r.mu.RUnlock()
	if cached != 1 {
		t.Fatalf("%d cached statements for the user read, want 1", cached)
	}
	for range 2 {
		err := s.r.QueryRowContext(ctx, `SELECT nosuchcolumn FROM users`).Scan(new(int))
		if err == nil || !strings.Contains(err.Error(), "nosuchcolumn") {
			t.Fatalf("a bad query gave %v, want its error", err)
		}
	}
}

// A query whose IN list grows with its data is run, not cached: each
// length would be a statement of its own, kept for nothing.
func TestInListsNotCached(t *testing.T) {
	s, _ := openTest(t)
	var n int
	q := `SELECT COUNT(*) FROM users WHERE id IN (?,?,?)`
	if err := s.r.QueryRowContext(context.Background(), q, 1, 2, 3).Scan(&n); err != nil {
		t.Fatal(err)
	}
	s.r.mu.RLock()
	defer s.r.mu.RUnlock()
	if _, cached := s.r.stmts[q]; cached {
		t.Fatal("an IN list's query was cached")
	}
}

// Past maxPrepared distinct queries, reads run unprepared: still right.
func TestPreparedCacheBounded(t *testing.T) {
	if onPostgres() {
		t.Skip("the cache is SQLite's")
	}
	s, _ := openTest(t)
	ctx := context.Background()
	for i := range maxPrepared + 10 {
		var n int
		if err := s.r.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	s.r.mu.RLock()
	defer s.r.mu.RUnlock()
	if len(s.r.stmts) != maxPrepared {
		t.Fatalf("%d statements cached, want the bound %d", len(s.r.stmts), maxPrepared)
	}
}

// BenchmarkUserRead is a read a sign-in and every balance event make,
// run as SQLite would without the cache (parsed and planned on each
// call) and as the store runs it.
func BenchmarkUserRead(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	u := newUser(b, s, "bench-read@example.com")
	q := `SELECT ` + userColumns + ` FROM users WHERE id = ? AND deleted_at IS NULL`
	for _, c := range []struct {
		name string
		row  func() error
	}{
		{"unprepared", func() error { _, err := scanUser(s.r.DB.QueryRowContext(ctx, q, u.ID)); return err }},
		{"prepared", func() error { _, err := scanUser(s.r.QueryRowContext(ctx, q, u.ID)); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.row(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
