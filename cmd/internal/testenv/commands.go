package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/store"
)

// RunJSON runs a command without a PTY and decodes its stdout into v,
// strictly: exactly one JSON document, no field that v lacks. It fails the
// test when the command exits 0 but its output does not decode; on a
// non-zero status stdout must be empty and v is left alone.
func (e *Env) RunJSON(t testing.TB, key ssh.Signer, command string, v any) (stderr string, status int) {
	t.Helper()
	stdout, stderr, status := e.Run(t, key, command)
	if status != 0 {
		if stdout != "" {
			t.Fatalf("%q exited %d but wrote to stdout: %q", command, status, stdout)
		}
		return stderr, status
	}
	DecodeStrict(t, stdout, v)
	return stderr, status
}

// DecodeStrict decodes exactly one JSON document, ending in one newline,
// refusing unknown fields.
func DecodeStrict(t testing.TB, doc string, v any) {
	t.Helper()
	if n := bytes.Count([]byte(doc), []byte("\n")); n != 1 || doc[len(doc)-1] != '\n' {
		t.Fatalf("want one JSON document on one line, got %q", doc)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %q: %v", doc, err)
	}
}

// NewAdmin creates an account with a linked key and gives it the admin
// role, as `wantsms admin grant` does from the server host.
func (e *Env) NewAdmin(email string) (store.User, ssh.Signer) {
	e.t.Helper()
	u, key := e.NewUser(email)
	u, err := e.Store().SetRole(context.Background(), email, store.RoleAdmin)
	if err != nil {
		e.t.Fatalf("grant admin to %s: %v", email, err)
	}
	return u, key
}

// RunWith runs a command without a PTY with explicit client options (a
// crafted authentication, another user name).
func (e *Env) RunWith(t testing.TB, o sshterm.Options, command string) (stdout, stderr string, status int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	out, errOut, status, err := sshterm.Run(ctx, o, command, nil)
	if err != nil {
		t.Fatalf("run %q: %v", command, err)
	}
	return string(out), string(errOut), status
}
