package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// A backup taken while money moves is consistent: it opens, passes
// integrity_check, and its ledger matches its balances.
func TestBackupWhileWriting(t *testing.T) {
	sqliteOnly(t, "a backup copies a SQLite file (on PostgreSQL: TestBackupOnPostgresSaysWhatToUse)")
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "b@example.com")
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := s.Move(ctx, Movement{UserID: u.ID, AmountCents: 1, Kind: LedgerGrant,
				Reference: fmt.Sprint("w", i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	dir := t.TempDir()
	for i := range 3 {
		dest := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		if err := s.Backup(ctx, dest); err != nil {
			t.Fatal(err)
		}
		copyStore, err := Open(dest, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := copyStore.Check(ctx)
		copyStore.Close()
		if err != nil || !rep.OK() {
			t.Fatalf("backup %d: %+v %v", i, rep, err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if err := s.Backup(ctx, filepath.Join(dir, "copy0.db")); err == nil {
		t.Fatal("overwrote an existing file")
	}
}

// On PostgreSQL a backup is the server's business: the command says what
// to use instead, and writes no file.
func TestBackupOnPostgresSaysWhatToUse(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL only: on SQLite, TestBackupWhileWriting")
	}
	s, _ := openTest(t)
	dest := filepath.Join(t.TempDir(), "copy.db")
	if err := s.Backup(context.Background(), dest); !errors.Is(err, ErrBackupPostgres) || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("backup on PostgreSQL: %v", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("a file was written: %v", err)
	}
}
