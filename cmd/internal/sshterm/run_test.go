package sshterm

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	cssh "github.com/charmbracelet/ssh"
	"golang.org/x/crypto/ssh"
)

func TestRunSeparatesOutputsAndStatus(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	o := Options{Addr: srv.addr, Signers: []ssh.Signer{newTestKey(t)}}
	for _, tc := range []struct {
		cmd    string
		status int
	}{{"status 3", 3}, {"status 0", 0}} {
		stdout, stderr, status, err := Run(t.Context(), o, tc.cmd, strings.NewReader("hello\n"))
		if err != nil {
			t.Fatalf("Run(%q): %v", tc.cmd, err)
		}
		if string(stdout) != "hello\n" || string(stderr) != "oops" || status != tc.status {
			t.Errorf("Run(%q) = stdout %q, stderr %q, status %d; want %q, %q, %d",
				tc.cmd, stdout, stderr, status, "hello\n", "oops", tc.status)
		}
	}
}

func TestRunWithoutStdin(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	stdout, _, status, err := Run(t.Context(), Options{Addr: srv.addr, KeyboardInteractive: true}, "status 7", nil)
	if err != nil || len(stdout) != 0 || status != 7 {
		t.Errorf("Run = stdout %q, status %d, %v; want empty, 7, nil", stdout, status, err)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	// The command copies stdin until EOF and this stdin never ends, so
	// only ctx can stop Run; cancel once the command is reading.
	stdin := &stuckReader{reading: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(stdin.release) })
	ctx, cancel := context.WithCancel(t.Context())
	go func() { <-stdin.reading; cancel() }()
	_, _, status, err := Run(ctx, Options{Addr: srv.addr, KeyboardInteractive: true}, "status 0", stdin)
	if !errors.Is(err, context.Canceled) || status != -1 {
		t.Errorf("Run cancelled mid-command = %d, %v; want -1, context.Canceled", status, err)
	}
}

// stuckReader closes reading on its first Read, then blocks until release.
type stuckReader struct {
	once             sync.Once
	reading, release chan struct{}
}

func (r *stuckReader) Read([]byte) (int, error) {
	r.once.Do(func() { close(r.reading) })
	<-r.release
	return 0, io.EOF
}
