package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// phc is the stored form of a password: argon2id, version 19, 19 MiB,
// 2 passes, 1 lane (OWASP's first recommended configuration), a 16-byte
// salt and a 32-byte hash, unpadded base64.
var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$`)

// storedHash reads the password column as it is on disk.
func storedHash(t *testing.T, s *Store, id int64) string {
	t.Helper()
	var h string
	if err := s.r.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, id).Scan(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// checkPHC holds a stored hash to our exact parameters and to the
// password: recomputed from its salt, it gives its hash.
func checkPHC(t *testing.T, stored, password string) (salt []byte) {
	t.Helper()
	m := phc.FindStringSubmatch(stored)
	if m == nil {
		t.Fatalf("stored password %q is not argon2id with our parameters", stored)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(m[1])
	key, err2 := base64.RawStdEncoding.DecodeString(m[2])
	if err1 != nil || err2 != nil || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("salt %d bytes (%v), hash %d bytes (%v)", len(salt), err1, len(key), err2)
	}
	if !bytes.Equal(argon2.IDKey([]byte(password), salt, 2, 19*1024, 1, 32), key) {
		t.Fatal("the stored hash is not argon2id of the password with its salt")
	}
	return salt
}

// Passwords are stored only as argon2id PHC strings with our exact
// parameters, salted apart: never the password itself, in the column or
// anywhere in the database files. A changed password likewise.
func TestPasswordsStoredAsArgon2idPHC(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	const pw, next = "plain-marker-pw-7f3a", "plain-marker-next-9c1e"
	a, err := s.CreateUser(ctx, "phc-a@example.com", pw, origin)
	must(t, err)
	b, err := s.CreateUser(ctx, "phc-b@example.com", pw, origin)
	must(t, err)
	saltA := checkPHC(t, storedHash(t, s, a.ID), pw)
	saltB := checkPHC(t, storedHash(t, s, b.ID), pw)
	if bytes.Equal(saltA, saltB) || storedHash(t, s, a.ID) == storedHash(t, s, b.ID) {
		t.Fatal("two accounts with one password share a salt or a hash")
	}
	_, err = s.ChangePassword(ctx, a.ID, pw, next, origin)
	must(t, err)
	checkPHC(t, storedHash(t, s, a.ID), next)
	must(t, s.truncateWAL(ctx))
	if files := fileBytes(t, s); strings.Contains(files, pw) || strings.Contains(files, next) {
		t.Fatal("a password is readable in the database files")
	}
}
