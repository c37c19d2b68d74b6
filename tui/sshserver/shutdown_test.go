package sshserver

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"net"
	"path/filepath"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui"
)

// A session handler still finding its account when the server shuts down
// (the database is busy: another process holds its write lock) has not
// registered its session yet, so no goodbye reaches it; Shutdown must
// wait for it all the same before the caller closes the store, with the
// handler's start ordered before that wait (the race detector checks).
// A handler that would start after Shutdown began is refused.
func TestShutdownWaitsForHandlersStillStarting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "late@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	if _, err := st.LinkKey(ctx, u.ID, store.SpecOf(signer.PublicKey()), "k", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{HostKeyPath: filepath.Join(dir, "host_key")}, tui.Deps{Store: st}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)

	// Another process's write transaction holds the database.
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}

	c, err := gossh.Dial("tcp", l.Addr().String(), &gossh.ClientConfig{User: "x",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)}, HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // the handler is waiting for the database now
	shut, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(shut) }()
	time.Sleep(100 * time.Millisecond)
	if _, err := lock.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	srv.handlers.mu.Lock()
	n := srv.handlers.running
	srv.handlers.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d session handlers still running after Shutdown returned", n)
	}
}
