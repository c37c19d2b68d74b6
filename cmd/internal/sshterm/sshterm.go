// Package sshterm is a scripted SSH terminal user: it dials an SSH server
// with golang.org/x/crypto/ssh, asks for a PTY and a shell, feeds
// everything the server writes into a virtual terminal emulator
// (charmbracelet/x/vt) and lets a test or a load tool read the screen as
// plain text and type keys, the way a person at an xterm would.
//
// The emulator answers the server's terminal queries (device attributes,
// background colour, cursor position) on the session's stdin, as a real
// terminal does; servers that query the terminal therefore start at once
// instead of waiting for their query timeout.
//
// It also runs commands without a PTY ([Run]) for `ssh host cmd` style
// calls. Host keys are accepted blindly: this is a test client.
//
// May import from this repository: nothing.
package sshterm

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"
)

// Defaults applied when the matching [Options] field is zero.
const (
	// DefaultWidth and DefaultHeight are the classic 80x24 terminal.
	DefaultWidth  = 80
	DefaultHeight = 24
	// DefaultTerm is what most desktop terminals announce today.
	DefaultTerm = "xterm-256color"
	// DefaultTimeout bounds TCP dial plus SSH handshake and auth; generous
	// because the test machine is shared and noisy.
	DefaultTimeout = 10 * time.Second
)

// ErrEnded is returned by input methods once the session has ended.
var ErrEnded = errors.New("sshterm: session ended")

// Options says where to connect and how to present the terminal.
type Options struct {
	// Addr is the server's host:port.
	Addr string
	// User is the SSH user name.
	User string
	// Signers are offered for public-key authentication, in order.
	Signers []ssh.Signer
	// KeyboardInteractive offers keyboard-interactive authentication that
	// answers every prompt with an empty answer, like a client without keys.
	KeyboardInteractive bool
	// AuthMethods are tried before Signers and KeyboardInteractive; for tests
	// that craft their own methods.
	AuthMethods []ssh.AuthMethod
	// AuthCallback, if set, picks each next authentication method after a
	// failure (ssh.ClientConfig.AuthCallback): for tests that play an
	// attacker offering one key and then authenticating with another.
	AuthCallback func(*ssh.ClientAuthContext) (ssh.AuthMethod, error)
	// Width and Height are the terminal size in cells (default 80x24).
	Width, Height int
	// Term is the TERM announced in the pty request (default xterm-256color).
	Term string
	// Env is sent as "env" requests before the shell or command starts.
	Env map[string]string
	// Command, if set, runs in the PTY instead of a login shell
	// (like `ssh -t host command`). Ignored by [Run].
	Command string
	// Timeout bounds dial, handshake and authentication (default 10s).
	Timeout time.Duration
	// LocalAddr, if set, is the client's own address ("127.0.0.2:0"), so a
	// test can tell the client's address apart from the server's.
	LocalAddr string
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 {
		o.Width = DefaultWidth
	}
	if o.Height <= 0 {
		o.Height = DefaultHeight
	}
	if o.Term == "" {
		o.Term = DefaultTerm
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

func (o Options) authMethods() []ssh.AuthMethod {
	methods := slices.Clone(o.AuthMethods)
	if len(o.Signers) > 0 {
		methods = append(methods, ssh.PublicKeys(o.Signers...))
	}
	if o.KeyboardInteractive {
		methods = append(methods, ssh.KeyboardInteractive(emptyAnswers))
	}
	return methods
}

// emptyAnswers answers every keyboard-interactive question with "".
func emptyAnswers(_, _ string, questions []string, _ []bool) ([]string, error) {
	return make([]string, len(questions)), nil
}

// connect dials o.Addr and completes the SSH handshake within o.Timeout
// and ctx. It returns the client and the host key the server presented.
func connect(ctx context.Context, o Options) (*ssh.Client, ssh.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var d net.Dialer
	if o.LocalAddr != "" {
		local, err := net.ResolveTCPAddr("tcp", o.LocalAddr)
		if err != nil {
			return nil, nil, fmt.Errorf("local address %s: %w", o.LocalAddr, err)
		}
		d.LocalAddr = local
	}
	conn, err := d.DialContext(ctx, "tcp", o.Addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dial %s: %w", o.Addr, err)
	}
	// The handshake has no context of its own: when ctx ends (cancelled or
	// timed out) the connection's deadline is moved to the past, which
	// aborts it. Only this path, so a failed handshake can be blamed on ctx.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	var hostKey ssh.PublicKey
	cfg := &ssh.ClientConfig{
		User:         o.User,
		Auth:         o.authMethods(),
		AuthCallback: o.AuthCallback,
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			hostKey = key
			return nil
		},
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, o.Addr, cfg)
	if !stop() {
		// ctx ended during the handshake, which failed (or would be
		// abandoned) because of it: report the cause.
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("ssh handshake with %s as %q: %w", o.Addr, o.User, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), hostKey, nil
}

// setEnv sends o.Env in key order, so runs are reproducible.
func setEnv(s *ssh.Session, env map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		if err := s.Setenv(k, env[k]); err != nil {
			return fmt.Errorf("setenv %s: %w", k, err)
		}
	}
	return nil
}

// exitResult turns the error of ssh.Session.Wait or Run into an exit
// status: 0 on success, N for a remote exit N, -1 with an error otherwise.
func exitResult(err error) (int, error) {
	var exitErr *ssh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exitErr) && exitErr.Signal() == "":
		return exitErr.ExitStatus(), nil
	default:
		return -1, err
	}
}
