package sshterm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Stream is an interactive SSH session with a PTY whose output is scanned
// for markers instead of being rendered: a light client for load tests,
// where thousands of full terminal emulators would cost more than the
// server under test. A marker is found when its bytes arrive contiguously,
// which holds for text a server writes whole (an email in a header, a code
// on a line), not for text split by escape sequences or cursor moves.
//
// Use it in three steps: [DialStream] connects and gets the PTY, [Stream.Watch]
// registers the markers to look for, [Stream.Start] starts the shell, so no
// output can arrive before its watcher. Its methods are safe for
// concurrent use.
type Stream struct {
	client *ssh.Client
	sess   *ssh.Session
	stdin  io.WriteCloser
	cmd    string

	mu      sync.Mutex
	scan    scanner
	bytes   int64
	done    chan struct{} // closed once the session has ended
	waitErr error         // valid after done

	closeOnce sync.Once
	closeErr  error
}

// DialStream connects to o.Addr and requests a PTY of o.Width x o.Height;
// the shell (or o.Command) starts with Start. ctx bounds only the set-up.
func DialStream(ctx context.Context, o Options) (*Stream, error) {
	o = o.withDefaults()
	client, _, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	s, err := openStream(client, o)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("open stream session on %s: %w", o.Addr, err)
	}
	return s, nil
}

func openStream(client *ssh.Client, o Options) (*Stream, error) {
	sess, err := client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	s := &Stream{client: client, sess: sess, cmd: o.Command, done: make(chan struct{})}
	if err := setEnv(sess, o.Env); err != nil {
		_ = sess.Close()
		return nil, err
	}
	if err := sess.RequestPty(o.Term, o.Height, o.Width, ptyModes); err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("request pty %s %dx%d: %w", o.Term, o.Width, o.Height, err)
	}
	if s.stdin, err = sess.StdinPipe(); err != nil {
		_ = sess.Close()
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	sess.Stdout = streamWriter{s}
	sess.Stderr = streamWriter{s}
	return s, nil
}

// Start starts the shell, or the command given in Options.
func (s *Stream) Start() error {
	var err error
	if s.cmd != "" {
		err = s.sess.Start(s.cmd)
	} else {
		err = s.sess.Shell()
	}
	if err != nil {
		return fmt.Errorf("start %q: %w", s.cmd, err)
	}
	go s.wait()
	return nil
}

func (s *Stream) wait() {
	err := s.sess.Wait()
	_, s.waitErr = exitResult(err)
	_ = s.client.Close()
	close(s.done)
}

// Watch returns a channel that receives the time the marker's last byte
// arrived, once, the first time it is seen in output received from now
// on. The channel is never closed: select on Done too.
func (s *Stream) Watch(marker string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if marker == "" {
		ch <- time.Now()
		return ch
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scan.add(&watch{marker: []byte(marker), seen: ch})
	return ch
}

// WaitFor waits until marker arrives (counting output from the call on),
// the session ends, or timeout passes.
func (s *Stream) WaitFor(timeout time.Duration, marker string) error {
	seen := s.Watch(marker)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-seen:
		return nil
	case <-s.done:
		select {
		case <-seen: // arrived with the last bytes
			return nil
		default:
		}
		return fmt.Errorf("wait for %q: %w", marker, ErrEnded)
	case <-timer.C:
		return fmt.Errorf("wait for %q: not seen after %v", marker, timeout)
	}
}

// Run runs command without a PTY in a new session on the stream's own
// connection (no second handshake), like `ssh host command`, and returns
// what it wrote to stdout and stderr and its exit status, as [Run] does.
// ctx ending closes that session only; the stream stays open.
func (s *Stream) Run(ctx context.Context, command string) (stdout, stderr []byte, exitStatus int, err error) {
	sess, err := s.client.NewSession()
	if err != nil {
		return nil, nil, -1, fmt.Errorf("open session for %q: %w", command, err)
	}
	defer sess.Close()
	stop := context.AfterFunc(ctx, func() { _ = sess.Close() })
	defer stop()
	var out, errOut bytes.Buffer
	sess.Stdout, sess.Stderr = &out, &errOut
	exitStatus, err = exitResult(sess.Run(command))
	if err != nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return out.Bytes(), errOut.Bytes(), exitStatus, fmt.Errorf("run %q: %w", command, err)
	}
	return out.Bytes(), errOut.Bytes(), exitStatus, nil
}

// Type sends s as typed text.
func (s *Stream) Type(text string) error {
	select {
	case <-s.done:
		return ErrEnded
	default:
	}
	if _, err := io.WriteString(s.stdin, text); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	return nil
}

// Received is how many bytes of output have arrived so far.
func (s *Stream) Received() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Done is closed once the session has ended (server exit, lost connection
// or Close).
func (s *Stream) Done() <-chan struct{} { return s.done }

// Err tells, once Done is closed, why the session ended: nil for an exit
// status sent by the server, an error otherwise.
func (s *Stream) Err() error {
	<-s.done
	return s.waitErr
}

// Close ends the session and the connection. It is safe to call more than
// once, and before Start.
func (s *Stream) Close() error {
	s.closeOnce.Do(func() {
		if err := s.client.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = fmt.Errorf("close ssh connection: %w", err)
		}
	})
	return s.closeErr
}

// streamWriter receives the session's stdout and stderr.
type streamWriter struct{ s *Stream }

func (w streamWriter) Write(p []byte) (int, error) {
	now := time.Now()
	s := w.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bytes += int64(len(p))
	s.scan.feed(p, now)
	return len(p), nil
}

// watch is one marker looked for.
type watch struct {
	marker []byte
	seen   chan time.Time
}

// scanner finds markers in a byte stream that arrives in chunks of any
// size. It keeps only the last bytes of the stream, enough to match a
// marker split across chunks, so its memory stays small.
type scanner struct {
	watches []*watch
	tail    []byte // last (longest marker - 1) bytes received
	keep    int    // longest marker - 1
}

func (sc *scanner) add(w *watch) {
	sc.watches = append(sc.watches, w)
	sc.keep = max(sc.keep, len(w.marker)-1)
}

// feed scans p, which arrived at now, and fires the watches it completes.
// Only the seam between chunks is copied (at most twice the longest
// marker), never the chunk itself.
func (sc *scanner) feed(p []byte, now time.Time) {
	if len(sc.watches) == 0 {
		sc.tail = sc.tail[:0]
		return
	}
	seam := append(sc.tail, p[:min(len(p), sc.keep)]...)
	kept := sc.watches[:0]
	for _, w := range sc.watches {
		if bytes.Contains(p, w.marker) || bytes.Contains(seam, w.marker) {
			w.seen <- now
			continue
		}
		kept = append(kept, w)
	}
	clear(sc.watches[len(kept):])
	sc.watches = kept
	sc.keep = 0
	for _, w := range kept {
		sc.keep = max(sc.keep, len(w.marker)-1)
	}
	// The new tail is the stream's last keep bytes: from p alone when it
	// is long enough, else from the seam, which then ends with all of p.
	from := seam
	if len(p) >= sc.keep {
		from = p
	}
	sc.tail = append(sc.tail[:0], from[len(from)-min(len(from), sc.keep):]...)
}
