package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

func TestSeedCreatesAccountsAndReusesKeys(t *testing.T) {
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "keys")
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"seed", "--data", dir, "--accounts", "3", "--keys", keys}, &out, &errOut); code != exitOK {
		t.Fatalf("seed: exit %d: %s", code, errOut.String())
	}
	first, err := readKeys(keys)
	if err != nil || len(first) != 3 {
		t.Fatalf("keys after seeding 3: %d, %v", len(first), err)
	}
	created, err := seed(ctx, seedConfig{DataDir: dir, Accounts: 5, KeysFile: keys})
	if err != nil || created != 2 {
		t.Fatalf("second seed: created %d, %v; want the 2 missing accounts", created, err)
	}
	all, _ := readKeys(keys)
	if len(all) != 5 || all[0].Email != first[0].Email {
		t.Fatalf("keys file after extending: %d accounts", len(all))
	}
	st, err := service.OpenStore(dir, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, a := range all {
		u, err := st.SignInWithKey(ctx, store.SpecOf(a.Signer.PublicKey()).Fingerprint, store.Origin{})
		if err != nil || u.Email != a.Email {
			t.Errorf("%s: signed in as %q, %v", a.Email, u.Email, err)
		}
		// The command line credits by default; seed() without Credit does not.
		if want := map[bool]int64{true: defaultCredit, false: 0}[i < 3]; u.BalanceCents != want {
			t.Errorf("%s: balance %d, want %d", a.Email, u.BalanceCents, want)
		}
	}
}

func TestSeedRefusesBadArguments(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{
		{"seed", "--accounts", "0"},
		{"seed", "extra"},
		{"seed", "--credit", "-1"},
		{"seed", "--password", "short", "--data", t.TempDir(), "--keys", filepath.Join(t.TempDir(), "k"), "--accounts", "1"},
	} {
		if code := run(context.Background(), args, &out, &errOut); code == exitOK {
			t.Errorf("%v: exit 0", args)
		}
	}
}
