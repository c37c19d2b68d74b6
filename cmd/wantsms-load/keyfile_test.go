package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeysFileRoundTripAndMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	accounts, err := generateAccounts(nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	if accounts[2].Email != "load-00002@wantsms.invalid" {
		t.Errorf("third email %q", accounts[2].Email)
	}
	if err := writeKeys(path, accounts); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %v, %v; want 0600", st.Mode(), err)
	}
	back, err := readKeys(path)
	if err != nil || len(back) != 3 {
		t.Fatalf("read back %d accounts, %v", len(back), err)
	}
	for i := range back {
		if back[i].Email != accounts[i].Email ||
			!bytes.Equal(back[i].Signer.PublicKey().Marshal(), accounts[i].Signer.PublicKey().Marshal()) {
			t.Errorf("account %d differs after the round trip", i)
		}
	}
	more, err := generateAccounts(back, 5)
	if err != nil || len(more) != 5 || more[0].Email != back[0].Email {
		t.Errorf("extending keeps the first accounts: %d, %v", len(more), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestReadKeysRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	if got, err := readKeys(filepath.Join(dir, "missing")); err != nil || got != nil {
		t.Errorf("missing file: %v, %v; want empty, nil", got, err)
	}
	for name, text := range map[string]string{
		"no header":  "load-00000@wantsms.invalid AAAA\n",
		"bad seed":   keysHeader + "\nload-00000@wantsms.invalid not-base64!\n",
		"short seed": keysHeader + "\nload-00000@wantsms.invalid AAAA\n",
		"one field":  keysHeader + "\nload-00000@wantsms.invalid\n",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := readKeys(path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
