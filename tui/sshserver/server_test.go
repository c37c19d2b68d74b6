package sshserver

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// startServer runs a server on loopback with a real store and the given
// command handler.
func startServer(t *testing.T, commands CommandHandler) string {
	t.Helper()
	_, addr := startWith(t, Config{}, commands)
	return addr
}

func runCommand(t *testing.T, addr, cmd string) (string, error) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := gossh.NewSignerFromKey(priv)
	c, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	s.Stdout = &out
	err = s.Run(cmd)
	return out.String(), err
}

// A panic while serving one session ends that session only.
func TestPanicInOneSessionSparesTheServer(t *testing.T) {
	addr := startServer(t, func(_ context.Context, sess ssh.Session, args []string) int {
		if len(args) > 0 && args[0] == "boom" {
			panic("boom")
		}
		sess.Write([]byte("fine\n"))
		return 0
	})
	if _, err := runCommand(t, addr, "boom"); err == nil {
		t.Fatal("the panicking session reported success")
	}
	out, err := runCommand(t, addr, "hello")
	if err != nil || out != "fine\n" {
		t.Fatalf("server unusable after a panic: %q %v", out, err)
	}
}

func TestLightBackground(t *testing.T) {
	for in, want := range map[string]bool{"": false, "15;0": false, "0;15": true, "0;7": true, "default;default": false} {
		if got := lightBackground(in); got != want {
			t.Errorf("lightBackground(%q) = %v", in, got)
		}
	}
}

func TestConnLimits(t *testing.T) {
	l := newConnLimits(3, 2)
	if !l.acquire("a") || !l.acquire("a") || l.acquire("a") {
		t.Fatal("per-address cap not applied")
	}
	if !l.acquire("b") || l.acquire("c") {
		t.Fatal("total cap not applied")
	}
	l.release("a")
	if !l.acquire("c") {
		t.Fatal("released slot not reusable")
	}
	unlimited := newConnLimits(10, 0)
	for range 10 {
		if !unlimited.acquire("a") {
			t.Fatal("0 must mean no per-address cap")
		}
	}
}
