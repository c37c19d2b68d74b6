package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// endedNumbers gives an account two numbers, both ended now, and returns
// their ids.
func endedNumbers(t *testing.T, dir string, u store.User) (older, newer int64) {
	t.Helper()
	ctx := context.Background()
	st, err := service.OpenStore(dir, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 500, Kind: store.LedgerGrant,
		Reference: "grant-purge", Note: "test"}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, ref := range []string{"ref-a-year-ago", "ref-half-a-year-ago"} {
		r, err := st.CreateReservation(ctx, store.NewReservation{UserID: u.ID, Service: "telegram", Country: "gb",
			Phone: "+447700900123", Provider: "sim", ProviderRef: ref, PriceCents: 50, Lifetime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.EndReservation(ctx, r.ID, store.ResFinished); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	return ids[0], ids[1]
}

// The running server keeps the retention promises by itself: with
// --purge-interval it purges again and again, so a number that turns a
// year old while it runs leaves the history, and one that turns six
// months old loses its provider details, without anybody running
// `wantsms purge`.
func TestServePurgesOnItsInterval(t *testing.T) {
	dir := t.TempDir()
	u := newAccount(t, dir, "kept-briefly@example.com")
	older, newer := endedNumbers(t, dir, u)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--ssh-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
			"--purge-interval", "50ms"}, &bytes.Buffer{}, logs)
	}()
	defer func() {
		cancel()
		if status := <-done; status != 0 {
			t.Errorf("serve exit %d: %s", status, logs.String())
		}
	}()
	waitFor(t, logs, "the first purge", func() bool { return strings.Contains(logs.String(), "msg=purge") })

	db, err := sql.Open("sqlite", filepath.Join(dir, service.DatabaseFile)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Time passes: the numbers ended a year and half a year ago (plus a
	// day), after the server's first purge.
	for id, age := range map[int64]time.Duration{older: store.HistoryRetention, newer: store.ReservationDetailRetention} {
		if _, err := db.Exec(`UPDATE reservations SET ended_at = ? WHERE id = ?`,
			time.Now().Add(-age-24*time.Hour).Unix(), id); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, logs, "the year-old number purged and the half-year-old one scrubbed", func() bool {
		var gone, scrubbed int
		err := db.QueryRow(`SELECT (SELECT COUNT(*) = 0 FROM reservations WHERE id = ?),
			(SELECT COUNT(*) FROM reservations WHERE id = ? AND provider_ref = '' AND provider = '')`,
			older, newer).Scan(&gone, &scrubbed)
		return err == nil && gone == 1 && scrubbed == 1
	})
}

// waitFor polls cond until it holds, failing the test with the server's
// log after testWait.
func waitFor(t *testing.T, logs *syncBuffer, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen after %v; server log:\n%s", what, testWait, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testWait bounds how long a test waits for the server: generous for a
// loaded machine under -race, never an assertion about speed.
const testWait = 20 * time.Second
