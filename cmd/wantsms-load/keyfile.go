package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/store"
)

// keysHeader opens every keys file; the version lets the format change
// without old files being misread.
const keysHeader = "# wantsms-load keys v1: one account per line, EMAIL ED25519-SEED-BASE64. Private keys: keep this file secret."

// emailFormat names the seeded accounts: short enough to fit the
// dashboard header untruncated (36 characters) and in the reserved
// .invalid domain, so no mail can ever go anywhere.
const emailFormat = "load-%05d@wantsms.invalid"

// account is one seeded account as the load tool uses it.
type account struct {
	Email  string
	Seed   []byte // ed25519 seed (32 bytes)
	Signer ssh.Signer
}

func newAccount(email string, seed []byte) (account, error) {
	if len(seed) != ed25519.SeedSize {
		return account{}, fmt.Errorf("key of %s: %d bytes, want %d", email, len(seed), ed25519.SeedSize)
	}
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
	if err != nil {
		return account{}, fmt.Errorf("key of %s: %w", email, err)
	}
	return account{Email: email, Seed: seed, Signer: signer}, nil
}

// generateAccounts extends have to n accounts with fresh keys.
func generateAccounts(have []account, n int) ([]account, error) {
	for i := len(have); i < n; i++ {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		a, err := newAccount(fmt.Sprintf(emailFormat, i), seed)
		if err != nil {
			return nil, err
		}
		have = append(have, a)
	}
	return have, nil
}

// loadTestAccounts turns accounts into what the store seeds.
func loadTestAccounts(accounts []account) []store.LoadTestAccount {
	out := make([]store.LoadTestAccount, len(accounts))
	for i, a := range accounts {
		out[i] = store.LoadTestAccount{Email: a.Email, Key: store.SpecOf(a.Signer.PublicKey())}
	}
	return out
}

// writeKeys writes the accounts to path (mode 0600) through a temporary
// file, so a crash never leaves half a file.
func writeKeys(path string, accounts []account) error {
	var buf bytes.Buffer
	buf.WriteString(keysHeader + "\n")
	for _, a := range accounts {
		fmt.Fprintf(&buf, "%s %s\n", a.Email, base64.StdEncoding.EncodeToString(a.Seed))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".wantsms-load-keys-*")
	if err != nil {
		return fmt.Errorf("write keys: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing left to remove
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("write keys %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write keys %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write keys: %w", err)
	}
	return nil
}

// readKeys reads a keys file; a missing file is an empty list.
func readKeys(path string) ([]account, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	defer f.Close()
	accounts, err := parseKeys(f)
	if err != nil {
		return nil, fmt.Errorf("read keys %s: %w", path, err)
	}
	return accounts, nil
}

func parseKeys(r io.Reader) ([]account, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() || sc.Text() != keysHeader {
		return nil, errors.New("not a wantsms-load keys file (first line differs)")
	}
	var out []account
	for line := 2; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want EMAIL SEED", line)
		}
		seed, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: seed: %w", line, err)
		}
		a, err := newAccount(f[0], seed)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, a)
	}
	return out, sc.Err()
}
