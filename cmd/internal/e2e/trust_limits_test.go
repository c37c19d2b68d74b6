package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

// dialRaw opens one SSH connection with a plain x/crypto/ssh client, on
// which a test opens sessions itself.
func dialRaw(t *testing.T, addr string, key ssh.Signer) (*ssh.Client, error) {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "many", Auth: []ssh.AuthMethod{ssh.PublicKeys(key)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: testenv.Wait})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// openDashboard opens a session with a PTY and a shell on c: a whole
// dashboard, what costs the server memory.
func openDashboard(c *ssh.Client) (*ssh.Session, error) {
	s, err := c.NewSession()
	if err != nil {
		return nil, err
	}
	if err := s.RequestPty("xterm-256color", 24, 80, ssh.TerminalModes{}); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.Shell(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// One connection may open only so many sessions; a refused one leaves the
// connection and its other sessions working, and a closed one frees its
// place.
func TestSessionsPerConnectionCapped(t *testing.T) {
	env := testenv.Start(t, func(c *service.Config) { c.SSH.MaxSessionsPerConn = 4; c.SSH.MaxConnsPerIP = 0 })
	_, key := env.NewUser("many@example.com")
	c, err := dialRaw(t, env.Svc.SSHAddr(), key)
	if err != nil {
		t.Fatal(err)
	}
	var open []*ssh.Session
	for i := range 4 {
		s, err := openDashboard(c)
		if err != nil {
			t.Fatalf("session %d of 4: %v", i+1, err)
		}
		open = append(open, s)
	}
	for range 20 { // a flood on the same connection: every one refused
		if s, err := c.NewSession(); err == nil {
			s.Close()
			t.Fatal("a fifth session opened on one connection")
		} else if !strings.Contains(err.Error(), "too many sessions on this connection") {
			t.Fatalf("refused with %v", err)
		}
	}
	open[0].Close()
	deadline := time.Now().Add(testenv.Wait)
	for {
		s, err := openDashboard(c)
		if err == nil {
			s.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the closed session's place never came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The connection's other sessions still run their dashboards.
	onDashboard(t, env.Dial(t, key))
}

// The per-address cap counts sessions: sessions piled on one connection
// fill it as connections would, and then neither another session nor
// another connection from the address gets in.
func TestAddressCapCountsSessions(t *testing.T) {
	env := testenv.Start(t, func(c *service.Config) { c.SSH.MaxConnsPerIP = 3 })
	_, key := env.NewUser("pile@example.com")
	c, err := dialRaw(t, env.Svc.SSHAddr(), key)
	if err != nil {
		t.Fatal(err)
	}
	var open []*ssh.Session
	for i := range 3 {
		s, err := openDashboard(c)
		if err != nil {
			t.Fatalf("session %d of 3: %v", i+1, err)
		}
		open = append(open, s)
	}
	if s, err := c.NewSession(); err == nil {
		s.Close()
		t.Fatal("a fourth session from one address opened")
	} else if !strings.Contains(err.Error(), "too many sessions from your address") {
		t.Fatalf("refused with %v", err)
	}
	if other, err := dialRaw(t, env.Svc.SSHAddr(), key); err == nil {
		other.Close()
		t.Fatal("another connection got in past the address's cap")
	}
	open[2].Close()
	deadline := time.Now().Add(testenv.Wait)
	for {
		other, err := dialRaw(t, env.Svc.SSHAddr(), key)
		if err == nil {
			other.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed session's place never came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Over IPv6 the cap applies per /64 (here the loopback's): whoever holds a
// /64 has 2^64 addresses to spread connections over.
func TestIPv6LoopbackCapped(t *testing.T) {
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	l.Close()
	env := testenv.Start(t, func(c *service.Config) { c.SSHAddr = "[::1]:0"; c.SSH.MaxConnsPerIP = 2 })
	_, key := env.NewUser("six@example.com")
	a, err := dialRaw(t, env.Svc.SSHAddr(), key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openDashboard(a); err != nil {
		t.Fatal(err)
	}
	if _, err := openDashboard(a); err != nil {
		t.Fatal(err)
	}
	if b, err := dialRaw(t, env.Svc.SSHAddr(), key); err == nil {
		b.Close()
		t.Fatal("a connection from ::1 got in past the /64's cap")
	}
}
