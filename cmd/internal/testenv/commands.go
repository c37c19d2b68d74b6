package testenv

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
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

// NewAdmin creates an account whose key is enrolled for admin use, as
// `wantsms admin grant EMAIL --key FILE` does from the server host.
func (e *Env) NewAdmin(email string) (store.User, ssh.Signer) {
	e.t.Helper()
	u, err := e.Store().CreateUser(context.Background(), email, Password, store.Origin{RemoteAddr: "test"})
	if err != nil {
		e.t.Fatalf("create %s: %v", email, err)
	}
	e.Verify(email)
	key := NewKey(e.t)
	if u, _, err = e.Store().GrantAdmin(context.Background(), email, store.SpecOf(key.PublicKey()), "test"); err != nil {
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

// ExecSQL runs one statement on the service's database through a
// connection of its own, for tests that plant what no store method would
// write (hostile text, rows from older versions).
func (e *Env) ExecSQL(t testing.TB, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.Dir, service.DatabaseFile)+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Stream starts a command without a PTY and returns at once, to read its
// stdout line by line while it runs; the connection closes when the test
// ends.
func (e *Env) Stream(t testing.TB, key ssh.Signer, command string) *sshterm.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	t.Cleanup(cancel)
	s, err := sshterm.StartCommand(ctx, e.Options(key), command)
	if err != nil {
		t.Fatalf("start %q: %v", command, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Ban suspends an account straight in the database, for tests of what a
// suspended account is refused.
func (e *Env) Ban(t testing.TB, userID int64, reason string) {
	t.Helper()
	e.ExecSQL(t, `UPDATE users SET banned_at = unixepoch(), ban_reason = ? WHERE id = ?`, reason, userID)
}
