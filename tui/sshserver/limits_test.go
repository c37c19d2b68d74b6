package sshserver

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/ssh"
)

// A client may send environment variables before its shell, but not
// without end: past maxEnvRequests, or longer than maxEnvBytes, they are
// refused (the library kept them all: gigabytes from one connection).
func TestEnvRequestsBounded(t *testing.T) {
	_, addr := startWith(t, Config{}, func(_ context.Context, sess ssh.Session, _ []string) int {
		fmt.Fprintf(sess, "%d\n", len(sess.Environ()))
		return 0
	})
	sess := openSession(t, addr)
	if err := sess.Setenv("BIG", strings.Repeat("A", maxEnvBytes)); err == nil {
		t.Error("an environment variable of more than maxEnvBytes was accepted")
	}
	accepted := 0
	for i := range 2 * maxEnvRequests {
		if sess.Setenv(fmt.Sprint("K", i), "v") == nil {
			accepted++
		}
	}
	if accepted != maxEnvRequests {
		t.Errorf("%d environment variables accepted, want %d", accepted, maxEnvRequests)
	}
	out, err := sess.Output("env")
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(maxEnvRequests) {
		t.Fatalf("the command saw %q environment variables (%v), want %d", out, err, maxEnvRequests)
	}
}
