package store

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzNormalizeEmail: any text either is refused with ErrBadEmail or comes
// out as one canonical address (lower case, printable, one @, a dotted
// domain) that normalises to itself; surrounding blanks change nothing.
// Seeds: the calls below and testdata/fuzz/FuzzNormalizeEmail.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"alice@example.com", " Bob@Example.COM ", "a@b", "a@b.c", "\"q\"@example.com",
		"a\u202e@example.com", "a@example..com", "Name <a@example.com>", "ä@bücher.de", "a@b.c\x85", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := NormalizeEmail(s)
		if err != nil {
			if !errors.Is(err, ErrBadEmail) || e != "" {
				t.Fatalf("%q: refused with %q, %v", s, e, err)
			}
			return
		}
		checkCanonicalEmail(t, s, e)
		if again, err := NormalizeEmail(e); err != nil || again != e {
			t.Fatalf("%q → %q is not stable: %q, %v", s, e, again, err)
		}
		if padded, err := NormalizeEmail(" \t" + s + "\n"); err != nil || padded != e {
			t.Fatalf("%q: blanks around it changed the outcome: %q, %v", s, padded, err)
		}
	})
}

func checkCanonicalEmail(t *testing.T, in, e string) {
	t.Helper()
	local, domain, ok := strings.Cut(e, "@")
	switch {
	case !utf8.ValidString(e), len(e) > maxEmailLen, e != strings.ToLower(e):
		t.Fatalf("%q → %q: not canonical", in, e)
	case !ok || local == "" || strings.Count(e, "@") != 1:
		t.Fatalf("%q → %q: not one local part and one domain", in, e)
	case !strings.Contains(domain, ".") || strings.Contains(domain, ".."):
		t.Fatalf("%q → %q: domain %q", in, e, domain)
	case strings.IndexFunc(e, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0:
		t.Fatalf("%q → %q: holds an invisible or blank character", in, e)
	case strings.ContainsAny(e, "<>\""):
		t.Fatalf("%q → %q: holds a display-name character", in, e)
	}
}

// FuzzParseAuthorizedKey: a pasted line is refused with ErrBadKey or
// gives a key whose stored form is one line that parses back to the same
// fingerprint. Seeds: real keys of each type, with and without comment,
// options and certificates refused (testdata/fuzz/FuzzParseAuthorizedKey).
func FuzzParseAuthorizedKey(f *testing.F) {
	for _, s := range authorizedKeySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		spec, err := ParseAuthorizedKey(line)
		if err != nil {
			if !errors.Is(err, ErrBadKey) || spec != (KeySpec{}) {
				t.Fatalf("%q: refused with %+v, %v", line, spec, err)
			}
			return
		}
		if !strings.HasPrefix(spec.Fingerprint, "SHA256:") || strings.ContainsAny(spec.PublicKey, "\r\n") ||
			spec.PublicKey == "" {
			t.Fatalf("%q: accepted as %+v", line, spec)
		}
		again, err := ParseAuthorizedKey(spec.PublicKey)
		if err != nil || again.Fingerprint != spec.Fingerprint || again.PublicKey != spec.PublicKey {
			t.Fatalf("%q: stored form %q does not parse back: %+v, %v", line, spec.PublicKey, again, err)
		}
	})
}

// authorizedKeySeeds are public keys made for these tests only; longer
// ones (RSA, ECDSA, a certificate) are files in testdata/fuzz.
var authorizedKeySeeds = []string{
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO24cflN3JW3BZybyKBmW1wrUFANWl+lNxmX0GkI36en laptop",
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO24cflN3JW3BZybyKBmW1wrUFANWl+lNxmX0GkI36en",
	"  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO24cflN3JW3BZybyKBmW1wrUFANWl+lNxmX0GkI36en two words  ",
	`command="rm -rf /" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO24cflN3JW3BZybyKBmW1wrUFANWl+lNxmX0GkI36en`,
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO24cflN3JW3BZybyKBmW1wrUFANWl+lNxmX0GkI36en a\nssh-ed25519 AAAA",
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
	"ssh-ed25519 !!!!",
	"",
}
