package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A pasted key identifies nobody while it waits; the answer to pasting it
// is the same whoever links it; only a connection that proves it, signed
// in to the same account, links it; it expires, and the purge and the
// account's deletion take it away.
func TestPendingKeysWaitForProof(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	mallory, bob, carol := newUser(t, s, "mallory@example.com"), newUser(t, s, "bob@example.com"),
		newUser(t, s, "carol@example.com")
	bobs := SpecOf(newPub(t))
	if _, err := s.LinkKey(ctx, bob.ID, bobs, "", origin); err != nil {
		t.Fatal(err)
	}
	loose := SpecOf(newPub(t)) // linked nowhere

	// Pasting someone's linked key and a key nobody links: the same answer.
	a, errA := s.AddPendingKey(ctx, mallory.ID, bobs, "x", origin)
	b, errB := s.AddPendingKey(ctx, mallory.ID, loose, "x", origin)
	if errA != nil || errB != nil || !a.Pending() || !b.Pending() || !a.PendingUntil.Equal(b.PendingUntil) {
		t.Fatalf("pastes answered differently: %+v %v / %+v %v", a, errA, b, errB)
	}
	if got := a.PendingUntil.Sub(clock.Now()); got != PendingKeyLife {
		t.Fatalf("pending for %s, want %s", got, PendingKeyLife)
	}
	// The same key may wait on several accounts.
	if _, err := s.AddPendingKey(ctx, carol.ID, loose, "", origin); err != nil {
		t.Fatalf("a second account's paste: %v", err)
	}
	// A pending key signs nobody in; bob's key still signs bob in.
	if _, err := s.SignInWithKey(ctx, loose.Fingerprint, origin); !errors.Is(err, ErrNoUser) {
		t.Fatalf("a pending key signed in: %v", err)
	}
	if u, err := s.SignInWithKey(ctx, bobs.Fingerprint, origin); err != nil || u.ID != bob.ID {
		t.Fatalf("bob's key after mallory pasted it: %+v %v", u, err)
	}
	// Only a key on one's own account is "already linked".
	mine := SpecOf(newPub(t))
	if _, err := s.LinkKey(ctx, mallory.ID, mine, "", origin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPendingKey(ctx, mallory.ID, mine, "", origin); !errors.Is(err, ErrKeyLinkedHere) {
		t.Fatalf("pasting one's own linked key: %v", err)
	}
	pending, _ := s.PendingKeys(ctx, mallory.ID)
	if len(pending) != 2 {
		t.Fatalf("mallory's pending keys: %+v", pending)
	}

	// Proof on another account does nothing here; proof of a key linked
	// elsewhere links nothing.
	if _, err := s.ProvePendingKey(ctx, bob.ID, loose, origin); !errors.Is(err, ErrNoKey) {
		t.Fatalf("proved on an account it does not wait on: %v", err)
	}
	if _, err := s.ProvePendingKey(ctx, mallory.ID, bobs, origin); !errors.Is(err, ErrKeyTaken) {
		t.Fatalf("bob's key proved onto mallory: %v", err)
	}
	// Carol connects with her key and signs in: it is hers now.
	k, err := s.ProvePendingKey(ctx, carol.ID, loose, origin)
	if err != nil || k.Pending() || k.UserID != carol.ID {
		t.Fatalf("prove: %+v %v", k, err)
	}
	if u, err := s.SignInWithKey(ctx, loose.Fingerprint, origin); err != nil || u.ID != carol.ID {
		t.Fatalf("carol's proved key: %+v %v", u, err)
	}
	events, _ := s.SecurityEvents(ctx, carol.ID, 10)
	if events[1].Kind != SecurityKeyLinked || events[1].Detail != loose.Fingerprint+
		" (added pending on 2026-11-25, proved by this connection)" {
		t.Fatalf("carol's events: %+v", events)
	}

	// A week later mallory's pastes are gone: listed nowhere, provable by
	// nobody, purged.
	clock.Add(PendingKeyLife)
	if pending, _ := s.PendingKeys(ctx, mallory.ID); len(pending) != 0 {
		t.Fatalf("expired pending keys listed: %+v", pending)
	}
	rep, err := s.Purge(ctx)
	if err != nil || rep.Removed["expired pending keys"] != 2 {
		t.Fatalf("purge: %+v %v", rep, err)
	}

	// Deleting the account takes its pending keys.
	fresh := SpecOf(newPub(t))
	if _, err := s.AddPendingKey(ctx, mallory.ID, fresh, "", origin); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, mallory.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	var left int
	s.r.QueryRow(`SELECT COUNT(*) FROM pending_keys WHERE user_id = ?`, mallory.ID).Scan(&left)
	if left != 0 {
		t.Fatalf("%d pending keys outlived their account", left)
	}
}

// MaxKeysPerUser bounds linked and pending keys together.
func TestPendingKeysCountTowardTheLimit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "many@example.com")
	var last KeySpec
	for i := range MaxKeysPerUser {
		last = SpecOf(newPub(t))
		var err error
		if i%2 == 0 {
			_, err = s.LinkKey(ctx, u.ID, last, "", origin)
		} else {
			_, err = s.AddPendingKey(ctx, u.ID, last, "", origin)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AddPendingKey(ctx, u.ID, SpecOf(newPub(t)), "", origin); !errors.Is(err, ErrTooManyKeys) {
		t.Fatalf("a paste past the limit: %v", err)
	}
	if _, err := s.LinkKey(ctx, u.ID, SpecOf(newPub(t)), "", origin); !errors.Is(err, ErrTooManyKeys) {
		t.Fatalf("a link past the limit: %v", err)
	}
	// Pasting a waiting key again only starts its week again.
	if _, err := s.AddPendingKey(ctx, u.ID, last, "", origin); err != nil {
		t.Fatalf("pasting a pending key again: %v", err)
	}
}

// A session's standing lapses with what it signed in with: the password
// (changed by anyone else), the key (removed), the admin role or key
// (revoked on the host), the account (deleted).
func TestStandingLapses(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "st@example.com")
	_, byPassword, err := s.SignInWithPassword(ctx, "st@example.com", "correct horse", origin)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.LinkKey(ctx, u.ID, SpecOf(newPub(t)), "", origin)
	if err != nil {
		t.Fatal(err)
	}
	byKey := Standing{UserID: u.ID, Key: k.Fingerprint}
	lapse := func(st Standing) Lapse {
		t.Helper()
		l, err := s.CheckStanding(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if lapse(byPassword) != StandingHolds || lapse(byKey) != StandingHolds {
		t.Fatal("fresh standings lapsed")
	}
	tag, err := s.ChangePassword(ctx, u.ID, "correct horse", "a new secret", origin)
	if err != nil {
		t.Fatal(err)
	}
	if lapse(byPassword) != LapsePasswordChanged || lapse(byKey) != StandingHolds {
		t.Fatal("a password change: the old password's session holds, or the key's lapsed")
	}
	if lapse(Standing{UserID: u.ID, Password: tag}) != StandingHolds {
		t.Fatal("the session that changed the password lapsed with its new tag")
	}
	if err := s.RemoveKey(ctx, u.ID, k.ID, origin); err != nil {
		t.Fatal(err)
	}
	if lapse(byKey) != LapseKeyRemoved {
		t.Fatal("a removed key's session holds")
	}

	admin := newAdmin(t, s, "boss@example.com")
	asAdmin := Standing{UserID: admin.UserID, Key: admin.Key, Admin: true}
	if lapse(asAdmin) != StandingHolds {
		t.Fatal("an admin session lapsed")
	}
	if err := s.RemoveAdminKey(ctx, "boss@example.com", admin.Key, "test"); err != nil {
		t.Fatal(err)
	}
	if lapse(asAdmin) != LapseAdminEnded || lapse(Standing{UserID: admin.UserID, Key: admin.Key}) != StandingHolds {
		t.Fatal("removing the admin key: the admin session holds, or the key's plain session lapsed")
	}
	if err := s.DeleteAccount(ctx, u.ID, "a new secret", origin); err != nil {
		t.Fatal(err)
	}
	if lapse(Standing{UserID: u.ID, Password: tag}) != LapseAccountGone {
		t.Fatal("a deleted account's session holds")
	}
}

// Sign-up is throttled per address before any hashing: with every
// hashing slot taken, a throttled attempt is refused at once instead of
// waiting for one.
func TestSignUpThrottledBeforeHashing(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	home := Origin{RemoteAddr: "[2001:db8:1:2::10]:4000"}
	for i := range throttleFree {
		if _, _, _, err := s.SignUp(ctx, string(rune('a'+i))+"@example.com", "correct horse", home); err != nil {
			t.Fatalf("sign-up %d: %v", i, err)
		}
	}
	// Another address of the same /64 is the same client.
	neighbour := Origin{RemoteAddr: "[2001:db8:1:2::99]:4000"}
	for range cap(s.hashSem) {
		s.hashSem <- struct{}{}
	}
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _, _, err := s.SignUp(ctx2, "late@example.com", "correct horse", neighbour)
	var th *ThrottledError
	if !errors.As(err, &th) {
		t.Fatalf("sign-up past the budget: %v, want *ThrottledError before any hashing", err)
	}
	for range cap(s.hashSem) {
		<-s.hashSem
	}
	if _, err := s.UserByEmail(ctx, "late@example.com"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("a throttled sign-up made an account: %v", err)
	}
	// The next /64 is another client.
	if _, _, _, err := s.SignUp(ctx, "other@example.com", "correct horse",
		Origin{RemoteAddr: "[2001:db8:1:3::10]:4000"}); err != nil {
		t.Fatalf("sign-up from another /64: %v", err)
	}
}

// A sign-up with an existing account's email is a sign-in attempt on it:
// the right password signs in, a wrong one is refused and recorded in the
// owner's activity, and throttled with its sign-in attempts.
func TestSignUpWithATakenEmail(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	owner := newUser(t, s, "taken@example.com")
	u, st, existing, err := s.SignUp(ctx, "Taken@example.com", "correct horse", origin)
	if err != nil || !existing || u.ID != owner.ID || st.Password == "" {
		t.Fatalf("sign-up with the right password: %+v %+v %v %v", u, st, existing, err)
	}
	for i := range throttleFree {
		o := Origin{RemoteAddr: "198.51.100." + string(rune('1'+i)) + ":1"}
		if _, _, _, err := s.SignUp(ctx, "taken@example.com", "not the password", o); !errors.Is(err, ErrSignUpExisting) {
			t.Fatalf("sign-up %d with a wrong password: %v", i, err)
		}
	}
	events, _ := s.SecurityEvents(ctx, owner.ID, 20)
	failed := 0
	for _, e := range events {
		if e.Kind == SecuritySigninFailed && e.Detail == "sign-up with this email" {
			failed++
		}
	}
	if failed != throttleFree {
		t.Fatalf("%d failed sign-ups recorded on the owner's account, want %d: %+v", failed, throttleFree, events)
	}
	// The account's throttle now holds its sign-ins too, from anywhere.
	var th *ThrottledError
	if _, err := s.SignIn(ctx, "taken@example.com", "correct horse", Origin{RemoteAddr: "203.0.113.9:1"}); !errors.As(err, &th) {
		t.Fatalf("sign-in after the failed sign-ups: %v", err)
	}
}

// Confirming a change with the password goes through the sign-in
// throttle, and every wrong guess shows in the owner's activity.
func TestPasswordConfirmationsThrottled(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "conf@example.com")
	for i := range throttleFree {
		var err error
		switch i % 3 {
		case 0:
			err = s.DeleteAccount(ctx, u.ID, "guess", origin)
		case 1:
			_, err = s.ChangeEmail(ctx, u.ID, "guess", "new@example.com", origin)
		default:
			_, err = s.ChangePassword(ctx, u.ID, "guess", "new password", origin)
		}
		if !errors.Is(err, ErrCurrentPassword) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var th *ThrottledError
	if err := s.DeleteAccount(ctx, u.ID, "correct horse", origin); !errors.As(err, &th) {
		t.Fatalf("the next confirmation: %v, want throttled", err)
	}
	events, _ := s.SecurityEvents(ctx, u.ID, 20)
	details := map[string]int{}
	for _, e := range events {
		if e.Kind == SecuritySigninFailed || e.Kind == SecuritySigninThrottled {
			details[string(e.Kind)+" "+e.Detail]++
		}
	}
	want := map[string]int{"signin_failed to delete the account": 2, "signin_failed to change the email": 2,
		"signin_failed to change the password": 1, "signin_throttled to delete the account": 1}
	for k, n := range want {
		if details[k] != n {
			t.Fatalf("recorded %v, want %v", details, want)
		}
	}
}
