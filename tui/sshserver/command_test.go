package sshserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui"
)

// startWith runs a server with cfg and a command handler, returning it
// and its address.
func startWith(t *testing.T, cfg Config, commands CommandHandler) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "t.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg.HostKeyPath = filepath.Join(dir, "host_key")
	srv, err := New(cfg, tui.Deps{Store: st}, commands)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.srv.Close() })
	return srv, l.Addr().String()
}

// runStatus runs cmd without a PTY and returns its stderr and exit status.
func runStatus(addr, cmd string) (string, int, error) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return "", 0, err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", 0, err
	}
	var errOut bytes.Buffer
	s.Stderr = &errOut
	err = s.Run(cmd)
	var exit *gossh.ExitError
	if errors.As(err, &exit) {
		return errOut.String(), exit.ExitStatus(), nil
	}
	return errOut.String(), 0, err
}

// waitForEnd is a command that runs until its context ends, then reports
// why on stderr with status 5.
func waitForEnd(started chan<- struct{}) CommandHandler {
	return func(ctx context.Context, sess ssh.Session, _ []string) int {
		started <- struct{}{}
		<-ctx.Done()
		fmt.Fprintln(sess.Stderr(), context.Cause(ctx))
		return 5
	}
}

// A command is a live session like a dashboard: a shutdown ends it with
// the goodbye as its context's cause.
func TestShutdownEndsCommands(t *testing.T) {
	started := make(chan struct{}, 1)
	srv, addr := startWith(t, Config{}, waitForEnd(started))
	type result struct {
		stderr string
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		stderr, status, err := runStatus(addr, "wait")
		done <- result{stderr, status, err}
	}()
	<-started
	if n := srv.Sessions(); n != 1 {
		t.Fatalf("%d live sessions, want the command", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go srv.Shutdown(ctx)
	r := <-done
	if r.err != nil || r.status != 5 || !strings.Contains(r.stderr, "server is restarting") {
		t.Fatalf("status %d, stderr %q, err %v", r.status, r.stderr, r.err)
	}
}

// The session's maximum length bounds commands too.
func TestMaxSessionEndsCommands(t *testing.T) {
	started := make(chan struct{}, 1)
	_, addr := startWith(t, Config{MaxSession: 50 * time.Millisecond}, waitForEnd(started))
	stderr, status, err := runStatus(addr, "wait")
	if err != nil || status != 5 || !strings.Contains(stderr, "maximum length (50ms)") {
		t.Fatalf("status %d, stderr %q, err %v", status, stderr, err)
	}
}
