package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// wantsms runs one command line in-process and returns status and outputs.
func wantsms(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	status := run(context.Background(), args, &out, &errOut)
	return status, out.String(), errOut.String()
}

func newAccount(t *testing.T, dir, email string) store.User {
	t.Helper()
	st, err := service.OpenStore(dir, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(context.Background(), email, "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	newAccount(t, dir, "a@example.com")
	cases := [][]string{
		{"bogus"},
		{"admin", "--data", dir},
		{"admin", "promote", "a@example.com", "--data", dir},
		{"admin", "grant", "not-an-email", "--data", dir},
		{"admin", "grant", "a@example.com", "--data", dir}, // no --key: explained
		{"admin", "grant", "a@example.com", "--key", "/no/such/file.pub", "--data", dir},
		{"admin", "keys", "a@example.com", "extra", "--data", dir},
		{"admin", "revoke", "a@example.com", "--key", "SHA256:x", "--data", dir},
		{"credit", "a@example.com", "100", "--data", dir},                       // no reason
		{"credit", "a@example.com", "ten", "--reason", "x", "--data", dir},      // not a number
		{"credit", "a@example.com", "0", "--reason", "x", "--data", dir},        // zero
		{"credit", "a@example.com", "99999999", "--reason", "x", "--data", dir}, // too much
		{"check", "extra", "--data", dir},
		{"serve", "--log-level", "loud", "--data", dir},
		{"serve", "--no-such-flag"},
	}
	for _, args := range cases {
		status, _, stderr := wantsms(t, args...)
		if status != exitUsage || !strings.Contains(stderr, "usage") {
			t.Errorf("wantsms %v: status %d, stderr %q; want 2 with usage", args, status, stderr)
		}
	}
}

func TestCreditAdminAndCheck(t *testing.T) {
	dir := t.TempDir()
	u := newAccount(t, dir, "a@example.com")
	status, out, stderr := wantsms(t, "credit", "A@example.com", "1500", "--reason", "welcome", "--data", dir)
	if status != 0 || !strings.Contains(out, "credited $15.00 to a@example.com: balance $15.00") {
		t.Fatalf("credit: %d %q %q", status, out, stderr)
	}
	status, _, stderr = wantsms(t, "credit", "a@example.com", "-2000", "--reason", "oops", "--data", dir)
	if status != exitFail || !strings.Contains(stderr, "not enough credits") {
		t.Fatalf("overdraft: %d %q", status, stderr)
	}
	if status, _, stderr = wantsms(t, "credit", "nobody@example.com", "5", "--reason", "x", "--data", dir); status != exitFail {
		t.Fatalf("unknown account: %d %q", status, stderr)
	}
	pub, _ := writePubKey(t)
	if status, _, _ = wantsms(t, "admin", "verify", "a@example.com", "--data", dir); status != 0 {
		t.Fatal("verify failed")
	}
	if status, out, _ = wantsms(t, "admin", "grant", "a@example.com", "--key", pub, "--data", dir); status != 0 ||
		!strings.Contains(out, "admin") {
		t.Fatalf("grant: %d %q", status, out)
	}
	st, _ := service.OpenStore(dir, "", store.Options{})
	got, _ := st.UserByID(context.Background(), u.ID)
	st.Close()
	if !got.IsAdmin() || got.BalanceCents != 1500 {
		t.Fatalf("after grant and credit: %+v", got)
	}
	if status, _, _ = wantsms(t, "admin", "revoke", "a@example.com", "--data", dir); status != 0 {
		t.Fatal("revoke failed")
	}
	status, out, _ = wantsms(t, "check", "--data", dir)
	if status != 0 || !strings.Contains(out, "integrity: ok") {
		t.Fatalf("check on a sound database: %d %q", status, out)
	}

	// Tamper with a balance behind the ledger's back.
	db, err := sql.Open("sqlite", filepath.Join(dir, service.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE users SET balance_cents = 99999 WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	db.Close()
	status, out, _ = wantsms(t, "check", "--data", dir)
	if status != exitFail || !strings.Contains(out, "balance mismatch: account 1 (a@example.com) balance minus debt $999.99, ledger sums to $15.00") {
		t.Fatalf("check missed the tampering: %d %q", status, out)
	}
}

// A ledger row that names another account's number (or none) is found
// by `wantsms check` although every balance still matches its ledger.
func TestCheckFindsMisattributedLedgerRow(t *testing.T) {
	dir := t.TempDir()
	alice, bob := newAccount(t, dir, "alice@example.com"), newAccount(t, dir, "bob@example.com")
	st, err := service.OpenStore(dir, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.Move(ctx, store.Movement{UserID: alice.ID, AmountCents: 100, Kind: store.LedgerGrant, Reference: "g"}); err != nil {
		t.Fatal(err)
	}
	r, err := st.CreateReservation(ctx, store.NewReservation{UserID: alice.ID, Service: "telegram", Country: "gb",
		Phone: "+447700900123", Provider: "sim", ProviderRef: "1", PriceCents: 40, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if status, out, _ := wantsms(t, "check", "--data", dir); status != 0 || !strings.Contains(out, "every row names what is its account's") {
		t.Fatalf("check on a sound database: %d %q", status, out)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, service.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{ // the refund of alice's number, to bob
		fmt.Sprintf(`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at) VALUES (%d, 40, 'refund', 'res:%d', 0)`, bob.ID, r.ID),
		fmt.Sprintf(`UPDATE users SET balance_cents = 40 WHERE id = %d`, bob.ID),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	status, out, _ := wantsms(t, "check", "--data", dir)
	want := fmt.Sprintf("reference mismatch: ledger row 3 (refund res:%d, 40 cents, account %d): the reservation is account %d's",
		r.ID, bob.ID, alice.ID)
	if status != exitFail || !strings.Contains(out, want) || strings.Contains(out, "balance mismatch") {
		t.Fatalf("check: %d %q\nwant %q", status, out, want)
	}
}

func TestEnvironmentTwinAndFlagPrecedence(t *testing.T) {
	dir := t.TempDir()
	newAccount(t, dir, "env@example.com")
	t.Setenv("WANTSMS_DATA", dir)
	if status, out, errOut := wantsms(t, "credit", "env@example.com", "5", "--reason", "x"); status != 0 {
		t.Fatalf("WANTSMS_DATA not used: %d %q %q", status, out, errOut)
	}
	other := t.TempDir()
	newAccount(t, other, "flag@example.com")
	if status, _, _ := wantsms(t, "credit", "flag@example.com", "5", "--reason", "x", "--data", other); status != 0 {
		t.Fatal("--data did not win over WANTSMS_DATA")
	}
	t.Setenv("WANTSMS_FPS", "fast")
	if status, _, stderr := wantsms(t, "serve"); status != exitUsage || !strings.Contains(stderr, "WANTSMS_FPS") {
		t.Fatalf("bad environment value: %d %q", status, stderr)
	}
}

// serve starts with nothing configured but its addresses, creates the data
// directory, and stops cleanly when asked.
func TestServeStartsAndStopsCleanly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
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
	cancel()
	if status := <-done; status != 0 {
		t.Fatalf("serve exit %d: %s", status, errOut.String())
	}
	for _, f := range []string{service.DatabaseFile, service.HostKeyFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not created: %v", f, err)
		}
	}
	if !strings.Contains(errOut.String(), "stopped cleanly") {
		t.Fatalf("no clean stop logged: %s", errOut.String())
	}
}

// syncBuffer is a buffer written by the server's logger while the test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPurgeReports(t *testing.T) {
	dir := t.TempDir()
	newAccount(t, dir, "old@example.com")
	db, err := sql.Open("sqlite", filepath.Join(dir, service.DatabaseFile))
	if err != nil {
		t.Fatal(err)
	}
	// Age the sign-up event beyond the 180 days.
	old := time.Now().Add(-181 * 24 * time.Hour).Unix()
	if _, err := db.Exec(`UPDATE security_events SET created_at = ?`, old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	status, out, errOut := wantsms(t, "purge", "--data", dir)
	if status != 0 || !strings.Contains(out, "1  security events older than 180 days") ||
		!strings.Contains(out, "removed in all") {
		t.Fatalf("purge: %d %q %q", status, out, errOut)
	}
}

func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	newAccount(t, dir, "safe@example.com")
	dest := filepath.Join(t.TempDir(), "copy.db")
	status, out, errOut := wantsms(t, "backup", dest, "--data", dir)
	if status != 0 || !strings.Contains(out, "integrity_check: ok") {
		t.Fatalf("backup: %d %q %q", status, out, errOut)
	}
	st, err := store.Open(dest, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByEmail(context.Background(), "safe@example.com"); err != nil {
		t.Fatalf("the copy lacks the account: %v", err)
	}
	if status, _, _ := wantsms(t, "backup", dest, "--data", dir); status != exitFail {
		t.Fatal("overwrote an existing backup")
	}
	if status, _, _ := wantsms(t, "backup", "--data", dir); status != exitUsage {
		t.Fatal("no destination must be a usage error")
	}
}

// `wantsms -h` and `wantsms help` list every subcommand, one line each,
// then the flags of serve (what `wantsms` alone runs); `wantsms help
// COMMAND` is that command's flags; `wantsms serve -h` stays serve's flags.
func TestHelpListsEverySubcommandThenServeFlags(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"-help"}, {"help"}} {
		status, stdout, stderr := wantsms(t, args...)
		if status != exitOK || stderr != "" {
			t.Fatalf("wantsms %v: status %d, stderr %q", args, status, stderr)
		}
		list, flags, ok := strings.Cut(stdout, "flags of wantsms serve")
		if !ok || !strings.Contains(flags, "-ssh-addr") || !strings.Contains(flags, "WANTSMS_HTTP_ADDR") {
			t.Fatalf("wantsms %v: no serve flags after the commands:\n%s", args, stdout)
		}
		for _, c := range append(commands(), helpCommand) {
			if !strings.Contains(list, "\n  "+c.name+" ") || !strings.Contains(list, c.summary) {
				t.Errorf("wantsms %v: the list lacks %s (%s):\n%s", args, c.name, c.summary, list)
			}
		}
	}
	if status, stdout, _ := wantsms(t, "help", "credit"); status != exitOK || !strings.Contains(stdout, "-reason") ||
		strings.Contains(stdout, "-ssh-addr") {
		t.Errorf("wantsms help credit: status %d, want credit's flags only on stdout:\n%s", status, stdout)
	}
	if status, stdout, _ := wantsms(t, "help", "dev"); status != exitOK ||
		!strings.Contains(stdout, "stripe-event ORDER") || !strings.Contains(stdout, "WANTSMS_HTTP_ADDR") {
		t.Errorf("wantsms help dev: status %d:\n%s", status, stdout)
	}
	if status, stdout, stderr := wantsms(t, "serve", "-h"); status != exitOK || strings.Contains(stdout+stderr, "commands:") ||
		!strings.Contains(stdout+stderr, "-ssh-addr") {
		t.Errorf("wantsms serve -h: status %d:\n%s%s", status, stdout, stderr)
	}
	if status, _, stderr := wantsms(t, "help", "bogus"); status != exitUsage || !strings.Contains(stderr, "unknown command") {
		t.Errorf("wantsms help bogus: status %d, stderr %q", status, stderr)
	}
}
