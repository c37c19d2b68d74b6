package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/ssh"
)

func loadKey(t *testing.T, i int) KeySpec {
	t.Helper()
	seed := make([]byte, ed25519.SeedSize)
	seed[0], seed[1] = byte(i), byte(i>>8)
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		t.Fatal(err)
	}
	return SpecOf(pub)
}

func loadAccounts(t *testing.T, n int) []LoadTestAccount {
	t.Helper()
	out := make([]LoadTestAccount, n)
	for i := range out {
		out[i] = LoadTestAccount{Email: fmt.Sprintf("Load-%d@Example.com", i), Key: loadKey(t, i)}
	}
	return out
}

func TestSeedLoadTestAccountsSignInByKeyAndPassword(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	// More than one batch, so the batching is exercised.
	accounts := loadAccounts(t, seedBatch+3)
	n, err := s.SeedLoadTestAccounts(ctx, "load password", accounts)
	if err != nil || n != len(accounts) {
		t.Fatalf("seed: created %d, %v; want %d", n, err, len(accounts))
	}
	last := accounts[len(accounts)-1]
	u, err := s.SignInWithKey(ctx, last.Key.Fingerprint, origin)
	if err != nil || u.Email != fmt.Sprintf("load-%d@example.com", len(accounts)-1) {
		t.Fatalf("sign in with seeded key: %+v, %v", u, err)
	}
	if _, err := s.SignIn(ctx, accounts[0].Email, "load password", origin); err != nil {
		t.Fatalf("sign in with the seed password: %v", err)
	}
	// The fast path: one hash for all, not one argon2id run per account.
	var hashes int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(DISTINCT password_hash) FROM users`).Scan(&hashes); err != nil || hashes != 1 {
		t.Errorf("distinct password hashes = %d, %v; want 1", hashes, err)
	}
	events, err := s.SecurityEvents(ctx, u.ID, 10)
	if err != nil || len(events) < 2 || events[len(events)-1].Detail != seedDetail {
		t.Errorf("seeded account's first event: %+v, %v; want a sign-up marked %q", events, err, seedDetail)
	}
}

func TestSeedLoadTestAccountsIsIdempotent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	accounts := loadAccounts(t, 3)
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", accounts[:2]); err != nil {
		t.Fatal(err)
	}
	n, err := s.SeedLoadTestAccounts(ctx, "load password", accounts)
	if err != nil || n != 1 {
		t.Fatalf("second seed: created %d, %v; want 1 (only the new account)", n, err)
	}
	var users, keys int
	_ = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&users)
	_ = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM ssh_keys`).Scan(&keys)
	if users != 3 || keys != 3 {
		t.Errorf("%d users, %d keys; want 3 and 3", users, keys)
	}
}

func TestSeedLoadTestAccountsRefusals(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	accounts := loadAccounts(t, 2)
	if _, err := s.SeedLoadTestAccounts(ctx, "short", accounts); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("short password: %v", err)
	}
	bad := []LoadTestAccount{{Email: "not an email", Key: accounts[0].Key}}
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", bad); !errors.Is(err, ErrBadEmail) {
		t.Errorf("bad email: %v", err)
	}
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", accounts[:1]); err != nil {
		t.Fatal(err)
	}
	// The same key for another email: refused, and nothing of that batch stays.
	stolen := []LoadTestAccount{{Email: "other@example.com", Key: accounts[0].Key}}
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", stolen); !errors.Is(err, ErrKeyTaken) {
		t.Errorf("key of another account: %v", err)
	}
	if _, err := s.UserByEmail(ctx, "other@example.com"); !errors.Is(err, ErrNoUser) {
		t.Errorf("refused batch left an account: %v", err)
	}
}

func TestSeedLoadTestAccountsKeepsTheKeyLimit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a := []LoadTestAccount{{Email: "full@example.com", Key: loadKey(t, 0)}}
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", a); err != nil {
		t.Fatal(err)
	}
	u, _ := s.UserByEmail(ctx, "full@example.com")
	for i := 1; i < MaxKeysPerUser; i++ {
		if _, err := s.LinkKey(ctx, u.ID, loadKey(t, i), "", origin); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	a[0].Key = loadKey(t, MaxKeysPerUser)
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", a); !errors.Is(err, ErrTooManyKeys) {
		t.Errorf("key %d: %v, want ErrTooManyKeys", MaxKeysPerUser+1, err)
	}
}

// Load-test accounts are topped up to the amount asked, through the
// ledger (so balances still equal ledger sums), and only when short.
func TestTopUpLoadTestAccountsRaisesBalancesOnce(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	accounts := loadAccounts(t, 3)
	if _, err := s.SeedLoadTestAccounts(ctx, "load password", accounts); err != nil {
		t.Fatal(err)
	}
	emails := []string{accounts[0].Email, accounts[1].Email, accounts[2].Email}
	if n, err := s.TopUpLoadTestAccounts(ctx, emails, 1000); err != nil || n != 3 {
		t.Fatalf("first top-up: %d, %v; want 3 credited", n, err)
	}
	u, err := s.UserByEmail(ctx, emails[1])
	if err != nil || u.BalanceCents != 1000 {
		t.Fatalf("balance %+v, %v; want 1000", u, err)
	}
	// One account spends; a second top-up credits only what it lacks.
	if _, err := s.Move(ctx, Movement{UserID: u.ID, AmountCents: -300, Kind: LedgerReserve, Reference: "res:1"}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.TopUpLoadTestAccounts(ctx, emails, 1000); err != nil || n != 1 {
		t.Fatalf("second top-up: %d, %v; want 1 credited", n, err)
	}
	var sum int64
	if err := s.r.QueryRowContext(ctx, `SELECT SUM(amount_cents) FROM ledger WHERE user_id = ?`, u.ID).Scan(&sum); err != nil || sum != 1000 {
		t.Errorf("ledger sum %d, %v; want 1000", sum, err)
	}
	if _, err := s.TopUpLoadTestAccounts(ctx, []string{"nobody@example.com"}, 1000); err == nil {
		t.Error("top-up of an unknown account succeeded")
	}
	if _, err := s.TopUpLoadTestAccounts(ctx, emails, 0); !errors.Is(err, ErrBadAmount) {
		t.Errorf("zero top-up: %v", err)
	}
}
