package sshterm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/charmbracelet/x/vt"
	"golang.org/x/crypto/ssh"
)

// Term is one interactive SSH session with a PTY, rendered into a virtual
// terminal. Its methods are safe for concurrent use.
type Term struct {
	client  *ssh.Client
	sess    *ssh.Session
	stdin   io.Writer
	hostKey ssh.PublicKey

	emu *vt.SafeEmulator
	// replies is the writing end of the emulator's input pipe; closing it
	// ends forwardInput.
	replies io.Closer

	outMu sync.Mutex // keeps raw and emulator in the same byte order
	mu    sync.Mutex // guards the fields below
	// changed is closed, and replaced, each time the screen may have changed.
	changed   chan struct{}
	lastOut   time.Time // when output last arrived (Screen waits for a pause)
	raw       []byte
	clipboard string
	bells     int

	done       chan struct{} // closed once the session has ended
	exitStatus int           // valid after done
	exitErr    error         // valid after done

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Dial connects to o.Addr, requests a PTY of o.Width x o.Height and starts
// a shell (or o.Command). ctx bounds only the connection set-up; end the
// session with Close.
func Dial(ctx context.Context, o Options) (*Term, error) {
	o = o.withDefaults()
	client, hostKey, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	t, err := start(client, hostKey, o)
	if err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("start terminal session on %s: %w", o.Addr, err)
	}
	return t, nil
}

// ptyModes are the tty modes a cooked local terminal would report.
var ptyModes = ssh.TerminalModes{
	ssh.ECHO:          1,
	ssh.TTY_OP_ISPEED: 38400,
	ssh.TTY_OP_OSPEED: 38400,
}

func start(client *ssh.Client, hostKey ssh.PublicKey, o Options) (*Term, error) {
	emu := vt.NewSafeEmulator(o.Width, o.Height)
	replies, ok := emu.InputPipe().(io.Closer)
	if !ok {
		return nil, errors.New("emulator input pipe cannot be closed")
	}
	sess, err := client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	t := &Term{
		client: client, sess: sess, hostKey: hostKey,
		emu: emu, replies: replies,
		changed: make(chan struct{}), done: make(chan struct{}),
	}
	t.hookEmulator()
	if err := t.startShell(o); err != nil {
		_ = sess.Close()
		return nil, err
	}
	t.wg.Add(2)
	go t.forwardInput()
	go t.waitSession()
	return t, nil
}

func (t *Term) startShell(o Options) error {
	if err := setEnv(t.sess, o.Env); err != nil {
		return err
	}
	// Note the order: RequestPty takes the height first.
	if err := t.sess.RequestPty(o.Term, o.Height, o.Width, ptyModes); err != nil {
		return fmt.Errorf("request pty %s %dx%d: %w", o.Term, o.Width, o.Height, err)
	}
	stdin, err := t.sess.StdinPipe()
	if err != nil {
		return fmt.Errorf("stdin pipe: %w", err)
	}
	t.stdin = stdin
	// A real terminal shows stderr too; both streams go to the screen.
	t.sess.Stdout = screenWriter{t}
	t.sess.Stderr = screenWriter{t}
	if o.Command != "" {
		err = t.sess.Start(o.Command)
	} else {
		err = t.sess.Shell()
	}
	if err != nil {
		return fmt.Errorf("start %q: %w", o.Command, err)
	}
	return nil
}

// forwardInput copies what the emulator produces (typed keys and its
// answers to terminal queries) to the session's stdin, in order. It ends
// when the emulator's input pipe is closed. After a write error it keeps
// draining, so the emulator never blocks on an answer nobody reads.
func (t *Term) forwardInput() {
	defer t.wg.Done()
	buf := make([]byte, 4096)
	stdinOK := true
	for {
		n, err := t.emu.Read(buf)
		if n > 0 && stdinOK {
			_, werr := t.stdin.Write(buf[:n])
			stdinOK = werr == nil
		}
		if err != nil {
			return
		}
	}
}

// waitSession records how the session ended, then releases the connection
// and the emulator pipe: nothing is left for them to carry.
func (t *Term) waitSession() {
	defer t.wg.Done()
	err := t.sess.Wait()
	t.exitStatus, t.exitErr = exitResult(err)
	_ = t.client.Close()
	_ = t.replies.Close()
	close(t.done)
	t.notify()
}

// ended reports whether the session is over.
func (t *Term) ended() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// Wait blocks until the session ends and returns the remote exit status:
// 0, or N when the server exited with N. Other ends (connection lost,
// closed by Close, no exit status sent) return -1 and an error.
func (t *Term) Wait() (exitStatus int, err error) {
	<-t.done
	if t.exitErr != nil {
		return t.exitStatus, fmt.Errorf("ssh session: %w", t.exitErr)
	}
	return t.exitStatus, nil
}

// Close ends the session and the connection and waits for the Term's
// goroutines to finish. It is safe to call more than once.
func (t *Term) Close() error {
	t.closeOnce.Do(func() {
		err := t.client.Close()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			t.closeErr = fmt.Errorf("close ssh connection: %w", err)
		}
	})
	<-t.done
	t.wg.Wait()
	return t.closeErr
}

// HostKey returns the host key the server presented.
func (t *Term) HostKey() ssh.PublicKey {
	return t.hostKey
}

// Resize resizes the emulator and tells the server (window-change).
func (t *Term) Resize(width, height int) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("resize to %dx%d: size must be positive", width, height)
	}
	if t.ended() {
		return ErrEnded
	}
	// Emulator first, so output drawn for the new size lands in a screen
	// of that size.
	t.emu.Resize(width, height)
	t.notify()
	if err := t.sess.WindowChange(height, width); err != nil {
		return fmt.Errorf("window-change %dx%d: %w", width, height, err)
	}
	return nil
}
