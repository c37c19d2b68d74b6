package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNormalizeEmail(t *testing.T) {
	good := map[string]string{
		"  Alice@Example.COM ":    "alice@example.com",
		"a.b+tag@sub.example.org": "a.b+tag@sub.example.org",
		"Élodie@Example.fr":       "élodie@example.fr",
	}
	for in, want := range good {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "alice", "alice@", "@example.com", "alice@localhost", "Alice <a@b.com>",
		"a b@c.com", "a@b..com", "a@.b.com", "a@b.com.", strings.Repeat("a", 65) + "@b.com",
		"a@" + strings.Repeat("b", 250) + ".com", "a\x00@b.com",
		"a\u202eb@example.com", "a\u009b31m@example.com", "a\u200b@example.com", "a@ex\u00adample.com"} {
		if got, err := NormalizeEmail(bad); !errors.Is(err, ErrBadEmail) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want ErrBadEmail", bad, got, err)
		}
	}
}

func TestSignupRules(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "x@example.com", "short", origin); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("short password: %v", err)
	}
	if _, err := s.CreateUser(ctx, "x@example.com", strings.Repeat("p", 129), origin); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("long password: %v", err)
	}
	if _, err := s.CreateUser(ctx, "x@example.com", strings.Repeat("é", 128), origin); err != nil {
		t.Errorf("128 characters (256 bytes) must be accepted: %v", err)
	}
	if _, err := s.CreateUser(ctx, "X@Example.com", "another password", origin); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("same email other case: %v", err)
	}
}

func TestSignInGenericErrorAndEvents(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "bob@example.com")
	_, errWrongPw := s.SignIn(ctx, "bob@example.com", "wrong password", origin)
	_, errNoUser := s.SignIn(ctx, "nobody@example.com", "wrong password", origin)
	if !errors.Is(errWrongPw, ErrWrongPassword) || !errors.Is(errNoUser, ErrWrongPassword) ||
		errWrongPw.Error() != errNoUser.Error() {
		t.Fatalf("errors differ: %v / %v", errWrongPw, errNoUser)
	}
	got, err := s.SignIn(ctx, " BOB@example.com", "correct horse", origin)
	if err != nil || got.ID != u.ID {
		t.Fatalf("sign in: %+v %v", got, err)
	}
	evs, _ := s.SecurityEvents(ctx, u.ID, 10)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, string(e.Kind))
		if e.RemoteAddr != origin.RemoteAddr || e.ClientVersion != origin.ClientVersion {
			t.Errorf("event %s lacks origin: %+v", e.Kind, e)
		}
	}
	if strings.Join(kinds, ",") != "signin,signin_failed,signup" {
		t.Fatalf("events %v", kinds)
	}
	var anon int
	s.r.QueryRow(`SELECT COUNT(*) FROM security_events WHERE user_id IS NULL AND kind = 'signin_failed'`).Scan(&anon)
	if anon != 1 {
		t.Fatalf("%d anonymous failures recorded, want 1", anon)
	}
}

func TestSignInThrottleGrowsAndLifts(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	newUser(t, s, "c@example.com")
	// Attempts from many addresses: the per-account throttle still applies.
	addr := func(i int) Origin { return Origin{RemoteAddr: "198.51.100." + string(rune('0'+i%10)) + ":1"} }
	for i := range throttleFree {
		if _, err := s.SignIn(ctx, "c@example.com", "nope nope", addr(i)); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Sixth failure starts the delays.
	s.SignIn(ctx, "c@example.com", "nope nope", addr(5))
	_, err := s.SignIn(ctx, "c@example.com", "correct horse", addr(6))
	var th *ThrottledError
	if !errors.As(err, &th) || th.Wait <= 0 {
		t.Fatalf("want throttled, got %v", err)
	}
	// Throttled attempts do not extend the lock.
	for range 50 {
		s.SignIn(ctx, "c@example.com", "nope nope", addr(7))
	}
	clock.Add(throttleMaxDelay + time.Second)
	if _, err := s.SignIn(ctx, "c@example.com", "correct horse", addr(8)); err != nil {
		t.Fatalf("owner locked out after the wait: %v", err)
	}
	var throttled int
	s.r.QueryRow(`SELECT COUNT(*) FROM security_events WHERE kind = 'signin_throttled'`).Scan(&throttled)
	if throttled < 50 {
		t.Fatalf("%d throttled attempts recorded, want >= 50", throttled)
	}
}

func TestThrottleSameForUnknownEmail(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for i := range throttleFree + 1 {
		s.SignIn(ctx, "ghost@example.com", "whatever1", Origin{RemoteAddr: "203.0.113." + string(rune('0'+i)) + ":2"})
	}
	_, err := s.SignIn(ctx, "ghost@example.com", "whatever1", Origin{RemoteAddr: "203.0.113.9:2"})
	var th *ThrottledError
	if !errors.As(err, &th) {
		t.Fatalf("unknown email not throttled like a real one: %v", err)
	}
}

func TestThrottleDelay(t *testing.T) {
	for f, want := range map[int]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 10: 32 * time.Second,
		11: 60 * time.Second, 1000: 60 * time.Second} {
		if got := throttleDelay(f); got != want {
			t.Errorf("throttleDelay(%d) = %v, want %v", f, got, want)
		}
	}
}

func TestChangePasswordAndRole(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "d@example.com")
	if _, err := s.ChangePassword(ctx, u.ID, "wrong one!", "new password", origin); err == nil {
		t.Fatal("changed with a wrong current password")
	}
	if _, err := s.ChangePassword(ctx, u.ID, "correct horse", "new password", origin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignIn(ctx, "d@example.com", "new password", origin); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	if _, _, err := s.GrantAdmin(ctx, "D@example.com", SpecOf(newPub(t)), "test"); !errors.Is(err, ErrUnverifiedAdmin) {
		t.Fatalf("grant to an unverified address: %v", err)
	}
	verify(t, s, "d@example.com")
	if got, _, err := s.GrantAdmin(ctx, "D@example.com", SpecOf(newPub(t)), "test"); err != nil || !got.IsAdmin() {
		t.Fatalf("grant: %+v %v", got, err)
	}
	if _, _, err := s.GrantAdmin(ctx, "none@example.com", SpecOf(newPub(t)), "test"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("grant unknown: %v", err)
	}
}
