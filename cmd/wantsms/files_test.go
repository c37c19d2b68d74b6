package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
)

// privateModes fails for each file that exists with a mode other than
// 0600.
func privateModes(t *testing.T, files ...string) {
	t.Helper()
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", filepath.Base(f), m)
		}
	}
}

// The data directory's database, its write-ahead log and shared-memory
// files, the host key and backups are readable by the service's user
// alone, whatever the umask lets through; a database left readable by an
// older release is narrowed when opened.
func TestDataFilesArePrivate(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0o022)) // the usual umask: new files 0644 unless asked otherwise
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, service.DatabaseFile)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	errOut := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--ssh-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"},
			&bytes.Buffer{}, errOut)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errOut.String(), "wantsms serving") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	privateModes(t, db, db+"-wal", db+"-shm", filepath.Join(dir, service.HostKeyFile))
	backup := filepath.Join(t.TempDir(), "copy.db")
	if status, out, errOut := wantsms(t, "backup", backup, "--data", dir); status != 0 {
		t.Fatalf("backup: %d %q %q", status, out, errOut)
	}
	privateModes(t, backup)
	cancel()
	if status := <-done; status != 0 {
		t.Fatalf("serve exit %d: %s", status, errOut.String())
	}

	if err := os.Chmod(db, 0o644); err != nil { // as an older release left it
		t.Fatal(err)
	}
	if status, out, errOut := wantsms(t, "check", "--data", dir); status != 0 {
		t.Fatalf("check: %d %q %q", status, out, errOut)
	}
	privateModes(t, db)
	for _, f := range []string{db + "-wal", db + "-shm"} {
		if _, err := os.Stat(f); err == nil {
			privateModes(t, f)
		}
	}
}
