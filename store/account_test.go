package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDeleteAccountErasesPersonKeepsLedger(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "gone@example.com")
	other := newUser(t, s, "stays@example.com")
	spec := SpecOf(newPub(t))
	s.LinkKey(ctx, u.ID, spec, "laptop", origin)
	s.Move(ctx, Movement{UserID: u.ID, AmountCents: 500, Kind: LedgerGrant, Reference: "g1"})
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()

	if err := s.DeleteAccount(ctx, u.ID, "wrong", origin); !errors.Is(err, ErrCurrentPassword) {
		t.Fatalf("deleted with a wrong password: %v", err)
	}
	if err := s.DeleteAccount(ctx, u.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	for e := range sub.C {
		if e.Kind == EventAccountDeleted {
			break
		}
	}
	var email, hash any
	var deleted int64
	s.r.QueryRow(`SELECT email, password_hash, deleted_at FROM users WHERE id = ?`, u.ID).Scan(&email, &hash, &deleted)
	if email != nil || hash != nil || deleted == 0 {
		t.Fatalf("account row keeps personal data: email=%v hash=%v deleted=%d", email, hash, deleted)
	}
	for table, q := range map[string]string{
		"ssh_keys":        `SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?`,
		"security_events": `SELECT COUNT(*) FROM security_events WHERE user_id = ?`,
	} {
		var n int
		s.r.QueryRow(q, u.ID).Scan(&n)
		if n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	var ledger int
	s.r.QueryRow(`SELECT COUNT(*) FROM ledger WHERE user_id = ?`, u.ID).Scan(&ledger)
	if ledger != 1 {
		t.Fatalf("ledger rows %d, want 1 kept for accounting", ledger)
	}
	if _, err := s.SignInWithKey(ctx, spec.Fingerprint, origin); !errors.Is(err, ErrNoUser) {
		t.Fatalf("deleted account's key still signs in: %v", err)
	}
	if _, err := s.SignIn(ctx, "gone@example.com", "correct horse", origin); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("deleted account's password still signs in: %v", err)
	}
	again, err := s.CreateUser(ctx, "gone@example.com", "another secret", origin)
	if err != nil || again.ID == u.ID {
		t.Fatalf("the email cannot sign up again as a new account: %+v %v", again, err)
	}
	if _, err := s.UserByID(ctx, other.ID); err != nil {
		t.Fatalf("another account was affected: %v", err)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check after deletion: %+v %v", rep, err)
	}
}

func TestPurgeSecurityEventsAfter180Days(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "p@example.com") // signup event at day 0
	clock.Add(100 * 24 * time.Hour)
	s.SignIn(ctx, "p@example.com", "correct horse", origin) // day 100
	clock.Add(81 * 24 * time.Hour)                          // day 181
	rep, err := s.Purge(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed["security events older than 180 days"] != 1 {
		t.Fatalf("purge report %+v, want the signup event removed", rep)
	}
	evs, _ := s.SecurityEvents(ctx, u.ID, 10)
	if len(evs) != 1 || evs[0].Kind != SecuritySignin {
		t.Fatalf("events left %+v, want only the day-100 sign-in", evs)
	}
	if _, err := s.UserByID(ctx, u.ID); err != nil {
		t.Fatal("the account itself must stay")
	}
}
