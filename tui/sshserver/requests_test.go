package sshserver

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

func windowPayload(cols, rows uint32) []byte {
	p := make([]byte, 16)
	binary.BigEndian.PutUint32(p, cols)
	binary.BigEndian.PutUint32(p[4:], rows)
	return p
}

func TestParseWindowChange(t *testing.T) {
	w, ok := parseWindowChange(windowPayload(120, 40))
	if !ok || w.Width != 120 || w.Height != 40 {
		t.Fatalf("parsed %+v, %v; want 120x40", w, ok)
	}
	if _, ok := parseWindowChange(windowPayload(1, 2)[:15]); ok {
		t.Fatal("a short payload was taken as a window")
	}
}

// A storm of window changes costs one notice until the dashboard takes
// the size, and the size it takes is the latest.
func TestSessionWindowCoalescesChanges(t *testing.T) {
	var w sessionWindow
	notices := 0
	detach := w.attach(ssh.Window{Width: 80, Height: 24}, func() { notices++ })
	if notices != 1 {
		t.Fatalf("%d notices on attach, want 1 (the first size)", notices)
	}
	if got := w.take(); got.Width != 80 || got.Height != 24 {
		t.Fatalf("first size %+v, want the PTY's 80x24", got)
	}
	for i := range 100 {
		w.change(ssh.Window{Width: 81 + i, Height: 30})
	}
	if notices != 2 {
		t.Fatalf("%d notices after 100 changes, want 2", notices)
	}
	if got := w.take(); got.Width != 180 {
		t.Fatalf("took width %d, want the latest, 180", got.Width)
	}
	w.change(ssh.Window{Width: 90, Height: 30})
	if notices != 3 {
		t.Fatalf("a change after the size was taken gave no notice (%d)", notices)
	}
	detach()
	w.change(ssh.Window{Width: 91, Height: 30})
	if notices != 3 {
		t.Fatal("a detached dashboard was still told of changes")
	}
}

// A window change before the dashboard attaches is not lost: the
// dashboard starts at that size, not the PTY's.
func TestSessionWindowChangeBeforeAttach(t *testing.T) {
	var w sessionWindow
	w.change(ssh.Window{Width: 132, Height: 50})
	w.attach(ssh.Window{Width: 80, Height: 24}, func() {})
	if got := w.take(); got.Width != 132 || got.Height != 50 {
		t.Fatalf("started at %+v, want the changed 132x50", got)
	}
}

// The relay answers window changes as the library did: refused before a
// PTY, taken after one.
func TestWindowChangeNeedsAPTY(t *testing.T) {
	_, addr := startWith(t, Config{}, nil)
	sess := openSession(t, addr)
	if ok, err := sess.SendRequest("window-change", true, windowPayload(100, 30)); ok || err != nil {
		t.Fatalf("window change without a PTY: ok %v, err %v; want refused", ok, err)
	}
	if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := sess.SendRequest("window-change", true, windowPayload(100, 30)); !ok || err != nil {
		t.Fatalf("window change after a PTY: ok %v, err %v; want taken", ok, err)
	}
	if ok, _ := sess.SendRequest("window-change", true, windowPayload(100, 30)[:8]); ok {
		t.Fatal("a malformed window change was taken")
	}
}

// A window of billions of columns (the protocol allows 2³²-1) is drawn
// at the largest size the server allows, from the PTY request on.
func TestHugeWindowsClamped(t *testing.T) {
	var w sessionWindow
	w.attach(ssh.Window{Width: 1 << 31, Height: 1 << 30}, func() {})
	if got := w.take(); got.Width != maxWindowCols || got.Height != maxWindowRows {
		t.Fatalf("PTY size taken as %dx%d, want %dx%d", got.Width, got.Height, maxWindowCols, maxWindowRows)
	}
	p, _ := parseWindowChange(windowPayload(4294967295, 4294967295))
	w.change(p)
	if got := w.take(); got.Width != maxWindowCols || got.Height != maxWindowRows {
		t.Fatalf("window change taken as %dx%d, want the bound", got.Width, got.Height)
	}
}

// openSession connects to addr with a new key and opens a session (no
// PTY, no command yet); both close with the test.
func openSession(t *testing.T, addr string) *gossh.Session {
	t.Helper()
	sess, err := dialClient(t, addr).NewSession()
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// dialClient connects to addr with a new key; the connection closes with
// the test.
func dialClient(t *testing.T, addr string) *gossh.Client {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Once a session is handled (its command or shell started), the library's
// request loop has ended, a goroutine less a session; the relay answers
// what still comes (refusing it), and the session keeps its slot on the
// connection until its channel closes.
func TestRequestLoopEndsOnceHandled(t *testing.T) {
	release := make(chan struct{})
	_, addr := startWith(t, Config{MaxSessionsPerConn: 1}, func(ctx context.Context, sess ssh.Session, _ []string) int {
		fmt.Fprintln(sess, "started")
		select {
		case <-release:
		case <-ctx.Done():
		}
		return 0
	})
	loops := func() int {
		buf := make([]byte, 1<<20)
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "ssh.DefaultSessionHandler(")
	}
	before := loops()
	c := dialClient(t, addr)
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := sess.StdoutPipe()
	if err := sess.Start("wait"); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); line != "started\n" {
		t.Fatalf("the command wrote %q (%v)", line, err)
	}
	for deadline := time.Now().Add(5 * time.Second); loops() > before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d library request loops while the command runs, %d before it", loops(), before)
		}
	}
	env := gossh.Marshal(struct{ Name, Value string }{"LATE", "1"})
	if ok, err := sess.SendRequest("env", true, env); ok || err != nil {
		t.Fatalf("env after the command started: ok %v, err %v; want refused", ok, err)
	}
	if ok, err := sess.SendRequest("exec", true, gossh.Marshal(struct{ Command string }{"again"})); ok || err != nil {
		t.Fatalf("a second command: ok %v, err %v; want refused", ok, err)
	}
	if _, err := c.NewSession(); err == nil {
		t.Fatal("a second session on a connection capped at one, while the first runs")
	}
	close(release)
	if err := sess.Wait(); err != nil {
		t.Fatalf("the command ended with %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		second, err := c.NewSession()
		if err == nil {
			second.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session on the connection after the first ended: %v", err)
		}
	}
}

// A client that closes a session's channel ends the dashboard on it, not
// only its slot: otherwise a connection capped at one session could keep
// any number of dashboards running until their idle timeout.
func TestClosedChannelEndsItsDashboard(t *testing.T) {
	srv, addr := startWith(t, Config{MaxSessionsPerConn: 1}, nil)
	c := dialClient(t, addr)
	for i := range 3 {
		sess, err := c.NewSession()
		for deadline := time.Now().Add(5 * time.Second); err != nil; sess, err = c.NewSession() {
			if time.Now().After(deadline) {
				t.Fatalf("session %d refused after the one before it closed: %v", i+1, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := sess.RequestPty("xterm", 24, 80, gossh.TerminalModes{}); err != nil {
			t.Fatal(err)
		}
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		waitSessions(t, srv, 1)
		sess.Close()
		waitSessions(t, srv, 0)
	}
}

// waitSessions waits until the server runs n dashboards.
func waitSessions(t *testing.T, srv *Server, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); srv.Sessions() != n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d dashboards running, want %d", srv.Sessions(), n)
		}
	}
}
