package e2e

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

// A connection that never starts the SSH handshake is cut by the
// handshake timeout, and real users still get in meanwhile.
func TestHandshakeTimeoutCutsSilentConnections(t *testing.T) {
	env := testenv.Start(t, func(c *service.Config) { c.SSH.HandshakeTimeout = 300 * time.Millisecond })
	silent := make([]net.Conn, 20)
	for i := range silent {
		c, err := net.Dial("tcp", env.Svc.SSHAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent[i] = c
	}
	_, key := env.NewUser("real@example.com")
	onDashboard(t, env.Dial(t, key))
	for _, c := range silent {
		c.SetReadDeadline(time.Now().Add(testenv.Wait))
		// The server sends its version line, then must close.
		if _, err := io.ReadAll(c); err != nil {
			t.Fatalf("silent connection not closed by the server: %v", err)
		}
	}
}

func TestConnectionCapPerAddress(t *testing.T) {
	env := testenv.Start(t, func(c *service.Config) { c.SSH.MaxConnsPerIP = 2 })
	_, key := env.NewUser("cap@example.com")
	a, b := env.Dial(t, key), env.Dial(t, key)
	onDashboard(t, a)
	onDashboard(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Wait)
	defer cancel()
	if third, err := sshterm.Dial(ctx, env.Options(key)); err == nil {
		third.Close()
		t.Fatal("a third connection from one address was accepted")
	}
	a.Close()
	// The slot comes back once a connection ends.
	deadline := time.Now().Add(testenv.Wait)
	for {
		c, err := sshterm.Dial(ctx, env.Options(key))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot never released: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Inactivity is measured on key input: a screen that keeps redrawing does
// not keep the session alive, a key press does.
func TestInputIdleTimeoutEndsSession(t *testing.T) {
	env := testenv.Start(t, func(c *service.Config) { c.SSH.InputIdle = 1500 * time.Millisecond })
	u, key := env.NewUser("idle@example.com")
	term := env.Dial(t, key)
	onDashboard(t, term)
	// Screen activity without input: balance changes.
	for i := range 3 {
		env.Credit(u.ID, 100, "idle-"+string(rune('a'+i)))
		time.Sleep(300 * time.Millisecond)
	}
	expect(t, term, "without a key press")
	if status, _ := term.Wait(); status != 0 {
		t.Fatalf("exit status %d", status)
	}
}

func TestShutdownSaysGoodbye(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("bye@example.com")
	term := env.Dial(t, key)
	onDashboard(t, term)
	env.Stop()
	expect(t, term, "server is restarting")
	if _, err := term.Wait(); err != nil {
		t.Fatalf("session did not end cleanly: %v", err)
	}
}

func TestBalanceUpdatesLiveWithoutKeyPress(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("live@example.com")
	one, two := env.Dial(t, key), env.Dial(t, key)
	other, otherKey := env.NewUser("other@example.com")
	three := env.Dial(t, otherKey)
	expect(t, one, "$0.00")
	expect(t, three, "$0.00")
	env.Credit(u.ID, 1234, "live-1")
	expect(t, one, "$12.34")
	expect(t, two, "$12.34")
	env.Credit(other.ID, 1, "live-2")
	expect(t, three, "$0.01")
	if strings.Contains(three.Screen(), "$12.34") {
		t.Fatal("another account's balance leaked")
	}
}

func TestTooSmallWindowAndResize(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("small@example.com")
	o := env.Options(key)
	o.Width, o.Height = 50, 15
	term := env.DialWith(t, o)
	expect(t, term, "Window too small")
	if err := term.Resize(100, 30); err != nil {
		t.Fatal(err)
	}
	onDashboard(t, term)
	term.Resize(60, 30)
	expect(t, term, "Window too small")
}

func TestHostKeyStableAcrossRestarts(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("host@example.com")
	first := env.Dial(t, key).HostKey()
	env.Restart()
	second := env.Dial(t, key).HostKey()
	if ssh.FingerprintSHA256(first) != ssh.FingerprintSHA256(second) {
		t.Fatalf("host key changed across restarts: %s vs %s", ssh.FingerprintSHA256(first),
			ssh.FingerprintSHA256(second))
	}
}

func TestNoColorRespected(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("mono@example.com")
	colour := env.Dial(t, key)
	onDashboard(t, colour)
	o := env.Options(key)
	o.Env = map[string]string{"NO_COLOR": "1"}
	mono := env.DialWith(t, o)
	onDashboard(t, mono)
	if !strings.Contains(string(colour.Raw()), "\x1b[38;5;") {
		t.Fatal("the colour session shows no 256-colour sequence: the check below would prove nothing")
	}
	if strings.Contains(string(mono.Raw()), "\x1b[38;") {
		t.Fatal("NO_COLOR session received colour sequences")
	}
}
