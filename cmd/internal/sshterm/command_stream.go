package sshterm

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Command is a command started without a PTY whose stdout is read line by
// line while it runs: for commands that stream results, and to see that
// a result arrives before the command ends.
type Command struct {
	client *ssh.Client
	sess   *ssh.Session
	out    *bufio.Reader
	stop   func() bool

	mu     sync.Mutex
	stderr bytes.Buffer
}

// StartCommand runs command without a PTY, like `ssh host command`, and returns
// at once. ctx ending closes the connection.
func StartCommand(ctx context.Context, o Options, command string) (*Command, error) {
	o = o.withDefaults()
	client, _, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	s := &Command{client: client, stop: context.AfterFunc(ctx, func() { _ = client.Close() })}
	if s.sess, err = client.NewSession(); err != nil {
		s.Close()
		return nil, fmt.Errorf("open session on %s: %w", o.Addr, err)
	}
	stdout, err := s.sess.StdoutPipe()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("stdout of %q: %w", command, err)
	}
	s.out, s.sess.Stderr = bufio.NewReader(stdout), lockedWriter{s}
	if err := s.sess.Start(command); err != nil {
		s.Close()
		return nil, fmt.Errorf("start %q on %s: %w", command, o.Addr, err)
	}
	return s, nil
}

type lockedWriter struct{ s *Command }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.stderr.Write(p)
}

// Line waits for the next line of stdout and returns it with its newline;
// io.EOF once stdout has ended.
func (s *Command) Line() (string, error) { return s.out.ReadString('\n') }

// Wait reads the rest of stdout and waits for the exit status, as Run
// reports them.
func (s *Command) Wait() (rest, stderr string, exitStatus int, err error) {
	b, _ := io.ReadAll(s.out)
	exitStatus, err = exitResult(s.sess.Wait())
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(b), s.stderr.String(), exitStatus, err
}

// Close closes the connection: the client goes away.
func (s *Command) Close() error {
	s.stop()
	return s.client.Close()
}
