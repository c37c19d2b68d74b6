package store

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func newPub(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseAuthorizedKey(t *testing.T) {
	k := newPub(t)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " me@laptop"
	spec, err := ParseAuthorizedKey("  " + line + "  ")
	if err != nil || spec.Fingerprint != ssh.FingerprintSHA256(k) || spec.Comment != "me@laptop" {
		t.Fatalf("parse: %+v %v", spec, err)
	}
	for _, bad := range []string{"", "hello", "ssh-ed25519", "ssh-ed25519 AAAAnotbase64!!",
		`command="rm -rf /" ` + line, line + "\n" + line, strings.Repeat("A", 9000)} {
		if _, err := ParseAuthorizedKey(bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("ParseAuthorizedKey(%.40q) = %v, want ErrBadKey", bad, err)
		}
	}
}

func TestKeysLifecycleScopedToOwner(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	alice, bob := newUser(t, s, "alice@example.com"), newUser(t, s, "bob@example.com")
	spec := SpecOf(newPub(t))
	k, err := s.LinkKey(ctx, alice.ID, spec, "", origin)
	if err != nil || k.Name != "key 1" {
		t.Fatalf("link: %+v %v", k, err)
	}
	if _, err := s.LinkKey(ctx, bob.ID, spec, "mine", origin); !errors.Is(err, ErrKeyTaken) {
		t.Fatalf("second owner for one key: %v", err)
	}
	got, err := s.SignInWithKey(ctx, spec.Fingerprint, origin)
	if err != nil || got.ID != alice.ID {
		t.Fatalf("sign in with key: %+v %v", got, err)
	}
	// Bob cannot touch Alice's key.
	if err := s.RenameKey(ctx, bob.ID, k.ID, "stolen", origin); !errors.Is(err, ErrNoKey) {
		t.Fatalf("bob renamed alice's key: %v", err)
	}
	if err := s.RemoveKey(ctx, bob.ID, k.ID, origin); !errors.Is(err, ErrNoKey) {
		t.Fatalf("bob removed alice's key: %v", err)
	}
	if err := s.RenameKey(ctx, alice.ID, k.ID, "laptop", origin); err != nil {
		t.Fatal(err)
	}
	if err := s.RenameKey(ctx, alice.ID, k.ID, "bad\x1b[31m", origin); !errors.Is(err, ErrBadKeyName) {
		t.Fatalf("control characters in a name: %v", err)
	}
	keys, _ := s.Keys(ctx, alice.ID)
	if len(keys) != 1 || keys[0].Name != "laptop" || keys[0].LastUsedAt.IsZero() {
		t.Fatalf("keys: %+v", keys)
	}
	if err := s.RemoveKey(ctx, alice.ID, k.ID, origin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignInWithKey(ctx, spec.Fingerprint, origin); !errors.Is(err, ErrNoUser) {
		t.Fatalf("removed key still signs in: %v", err)
	}
}

func TestKeyLimit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "k@example.com")
	for i := range MaxKeysPerUser {
		if _, err := s.LinkKey(ctx, u.ID, SpecOf(newPub(t)), "", origin); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	if _, err := s.LinkKey(ctx, u.ID, SpecOf(newPub(t)), "", origin); !errors.Is(err, ErrTooManyKeys) {
		t.Fatalf("over the limit: %v", err)
	}
}

func TestUseKeyRecordsOncePerHourAndAddress(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "script@example.com")
	spec := SpecOf(newPub(t))
	s.LinkKey(ctx, u.ID, spec, "", origin)
	count := func() int {
		var n int
		s.r.QueryRow(`SELECT COUNT(*) FROM security_events WHERE user_id = ? AND kind = 'signin'`, u.ID).Scan(&n)
		return n
	}
	home := Origin{RemoteAddr: "203.0.113.5:40001"}
	for i := range 50 {
		home.RemoteAddr = "203.0.113.5:" + string(rune('0'+i%10)) + "0001"
		if _, err := s.UseKey(ctx, spec.Fingerprint, home); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d sign-ins recorded for 50 commands from one address, want 1", n)
	}
	if _, err := s.UseKey(ctx, spec.Fingerprint, Origin{RemoteAddr: "198.51.100.9:5"}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("a new address was not recorded: %d", n)
	}
	clock.Add(commandSigninEvery + time.Minute)
	s.UseKey(ctx, spec.Fingerprint, home)
	if n := count(); n != 3 {
		t.Fatalf("after an hour: %d", n)
	}
	keys, _ := s.Keys(ctx, u.ID)
	if !keys[0].LastUsedAt.Equal(clock.Now().Truncate(time.Second)) {
		t.Fatalf("last use not updated: %v", keys[0].LastUsedAt)
	}
}
