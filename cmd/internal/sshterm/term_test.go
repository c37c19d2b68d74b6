package sshterm

import (
	"bytes"
	"context"
	"errors"
	"net"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	cssh "github.com/charmbracelet/ssh"
	"golang.org/x/crypto/ssh"
)

// wait is how long a test waits for the screen before failing with it; it
// only bounds failures, passing runs take milliseconds.
const wait = 10 * time.Second

func dial(t *testing.T, o Options) *Term {
	t.Helper()
	term, err := Dial(t.Context(), o)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() {
		if err := term.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return term
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestDialRendersProgramAndTyping(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	key := newTestKey(t)
	term := dial(t, Options{Addr: srv.addr, User: "alice", Signers: []ssh.Signer{key},
		Env: map[string]string{"WANTSMS_TEST": "1"}})

	must(t, term.WaitFor(wait, "hello alice key="+ssh.FingerprintSHA256(key.PublicKey())))
	must(t, term.WaitFor(wait, "env: WANTSMS_TEST=1"))
	must(t, term.WaitFor(wait, "size: 80x24"))
	if !bytes.Equal(term.HostKey().Marshal(), srv.hostKey.PublicKey().Marshal()) {
		t.Errorf("HostKey() is not the server's host key")
	}

	must(t, term.Type("hello world"))
	must(t, term.WaitFor(wait, "typed: hello world"))
	must(t, term.Press(Backspace, Enter))
	must(t, term.WaitFor(wait, "entered: hello worl"))
	must(t, term.WaitGone(wait, "typed: hello"))

	lines := strings.Split(term.Screen(), "\n")
	if len(lines) != 24 || lines[2] != "typed:" {
		t.Errorf("screen rows: got %d lines, row 2 %q; want 24 and %q", len(lines), lines[2], "typed:")
	}
}

func TestKeysReachBubbleteaAsNamedKeys(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true})
	must(t, term.WaitFor(wait, "typed:"))
	for _, tc := range []struct {
		key  Key
		name string
	}{
		{Up, "up"}, {Down, "down"}, {Left, "left"}, {Right, "right"},
		{Tab, "tab"}, {ShiftTab, "shift+tab"}, {Esc, "esc"},
		{CtrlC, "ctrl+c"}, {Ctrl('U'), "ctrl+u"}, {Enter, "enter"},
	} {
		must(t, term.Press(tc.key))
		must(t, term.WaitFor(wait, "last key: "+tc.name+"\n"))
	}
}

func TestKeysAreEncodedAsXterm(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true, Command: "keys"})
	for _, tc := range []struct {
		key  Key
		want string
	}{
		{Enter, `"\r"`}, {Backspace, `"\x7f"`}, {Tab, `"\t"`}, {ShiftTab, `"\x1b[Z"`},
		{Esc, `"\x1b"`}, {Up, `"\x1b[A"`}, {Down, `"\x1b[B"`}, {Right, `"\x1b[C"`},
		{Left, `"\x1b[D"`}, {CtrlC, `"\x03"`}, {Ctrl('a'), `"\x01"`}, {Ctrl('@'), `"\x00"`},
	} {
		must(t, term.Press(tc.key))
		// Each want is unique in the list, so an earlier line cannot match.
		must(t, term.WaitFor(wait, "got "+tc.want))
	}
}

func TestTerminalQueriesAreAnswered(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true, Command: "query"})
	// The emulator announces itself as a VT220 with colour.
	must(t, term.WaitFor(wait, `reply "\x1b[?62;1;6;22c"`))
	status, err := term.Wait()
	if status != 0 || err != nil {
		t.Errorf("Wait() = %d, %v; want 0, nil", status, err)
	}
}

func TestResize(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true, Width: 100, Height: 30})
	must(t, term.WaitFor(wait, "size: 100x30"))
	must(t, term.Resize(120, 40))
	must(t, term.WaitFor(wait, "size: 120x40"))
	if n := strings.Count(term.Screen(), "\n") + 1; n != 40 {
		t.Errorf("screen has %d rows after resize, want 40", n)
	}
	if err := term.Resize(0, 10); err == nil {
		t.Error("Resize(0, 10) succeeded")
	}
}

func TestClipboardAndBell(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true, Command: "clip +15551234567"})
	must(t, term.WaitFor(wait, "copied"))
	if got := term.Clipboard(); got != "+15551234567" {
		t.Errorf("Clipboard() = %q, want %q", got, "+15551234567")
	}
	if got := term.Bells(); got != 1 {
		t.Errorf("Bells() = %d, want 1 (the OSC terminator is not a bell)", got)
	}
	if !bytes.Contains(term.Raw(), []byte("\x1b]52;c;KzE1NTUxMjM0NTY3\a")) {
		t.Errorf("Raw() lacks the OSC 52 sequence: %q", term.Raw())
	}
}

func TestQuitEndsSessionWithStatus(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true})
	must(t, term.WaitFor(wait, "typed:"))
	must(t, term.Type("q"))
	status, err := term.Wait()
	if status != 0 || err != nil {
		t.Errorf("Wait() = %d, %v; want 0, nil", status, err)
	}
	if err := term.Type("x"); !errors.Is(err, ErrEnded) {
		t.Errorf("Type after end = %v, want ErrEnded", err)
	}
	if err := term.WaitFor(wait, "never shown"); !errors.Is(err, ErrEnded) {
		t.Errorf("WaitFor after end = %v, want ErrEnded", err)
	}
}

func TestWaitForTimeoutShowsScreen(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true})
	must(t, term.WaitFor(wait, "size: 80x24"))
	err := term.WaitFor(50*time.Millisecond, "never shown")
	if err == nil || !strings.Contains(err.Error(), "never shown") ||
		!strings.Contains(err.Error(), "size: 80x24") {
		t.Errorf("timeout error should name the text and include the screen, got: %v", err)
	}
	m, err := term.WaitForMatch(wait, regexp.MustCompile(`size: (\d+)x(\d+)`))
	if err != nil || len(m) != 3 || m[1] != "80" || m[2] != "24" {
		t.Errorf("WaitForMatch = %q, %v", m, err)
	}
}

func TestKeylessKeyboardInteractiveLogin(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	term := dial(t, Options{Addr: srv.addr, User: "bob", KeyboardInteractive: true})
	must(t, term.WaitFor(wait, "hello bob key=none"))
}

func TestNoAuthMethodFails(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	if _, err := Dial(t.Context(), Options{Addr: srv.addr}); err == nil {
		t.Fatal("Dial without any auth method succeeded")
	}
}

func TestDialGivesUpOnSilentServer(t *testing.T) {
	// A listener that accepts and never speaks SSH: the handshake must end
	// when ctx is cancelled, and when the timeout passes.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
			accepted <- c
		}
	}()
	o := Options{Addr: ln.Addr().String(), KeyboardInteractive: true}

	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-accepted; cancel() }()
	if _, err := Dial(ctx, o); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial cancelled mid-handshake = %v, want context.Canceled", err)
	}
	o.Timeout = 50 * time.Millisecond
	if _, err := Dial(t.Context(), o); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial past its timeout = %v, want context.DeadlineExceeded", err)
	}
}

func TestAllocatedPty(t *testing.T) {
	srv := startServer(t, nil, cssh.AllocatePty())
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true})
	must(t, term.WaitFor(wait, "size: 80x24"))
	must(t, term.Type("abc"))
	must(t, term.WaitFor(wait, "typed: abc"))
	// Quit before closing: dropping the connection while the program runs
	// trips a data race between charmbracelet/ssh closing the pty and
	// bubbletea's input reader (both upstream).
	must(t, term.Type("q"))
	if status, err := term.Wait(); status != 0 || err != nil {
		t.Errorf("Wait() = %d, %v; want 0, nil", status, err)
	}
}

func TestCloseEndsGoroutines(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	// Warm up once so lazily started runtime and server goroutines exist.
	term := dial(t, Options{Addr: srv.addr, KeyboardInteractive: true})
	must(t, term.WaitFor(wait, "typed:"))
	must(t, term.Close())
	settleGoroutines(t, runtime.NumGoroutine()+2)
	before := runtime.NumGoroutine()

	const sessions = 5
	for range sessions {
		term, err := Dial(t.Context(), Options{Addr: srv.addr, KeyboardInteractive: true})
		must(t, err)
		must(t, term.WaitFor(wait, "typed:"))
		must(t, term.Close())
		must(t, term.Close()) // idempotent
		if _, err := term.Wait(); err == nil {
			t.Error("Wait after Close reports a clean exit")
		}
	}
	// Fewer than one goroutine per session may remain.
	settleGoroutines(t, before+sessions-1)
}

// settleGoroutines waits for the goroutine count to drop to at most n,
// the server side of closed connections winds down asynchronously.
func settleGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
			t.Fatalf("%d goroutines still running, want at most %d:\n%s", runtime.NumGoroutine(), n, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
