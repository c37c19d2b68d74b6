// Package sshserver is WantSMS's SSH front door: it listens, hardens the
// connection (handshake timeout, connection caps, session length,
// inactivity on key input), accepts any key or none at the SSH level, and
// then resolves the account only from the key the session proved. A
// session with a PTY gets the dashboard; one without gets the command
// interface.
//
// May import from this repository: store, store/logctx, store/netaddr, tui, tui/kit,
// tui/screen.
package sshserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/recover"
	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/store/netaddr"
	"github.com/wantsms/wantsms/tui"
)

// Config holds the SSH server's addresses and limits. Zero values take the
// defaults documented on each field.
type Config struct {
	Addr        string // listen address (default ":2222")
	HostKeyPath string // created if missing (ed25519), reused across restarts
	// HostKeyPEM, when set, is the host key itself (a PEM private key) and
	// HostKeyPath is not used: instances sharing one database present one
	// key kept there.
	HostKeyPEM []byte

	// HandshakeTimeout cuts connections that have not authenticated and
	// opened a session in time (default 30 s; OpenSSH allows 120 s for
	// people typing passwords, but our SSH-level auth never prompts).
	// Every key authenticates here, so a connection that never opens a
	// session would otherwise hold its slot for as long as it likes.
	HandshakeTimeout time.Duration
	// MaxAuthTries caps authentication attempts per connection (default 6,
	// OpenSSH's default).
	MaxAuthTries int
	// MaxConns caps open connections in total (default 15,000: below the
	// ~20,000 open files a process may hold here, leaving room for the
	// database and HTTP). MaxConnsPerIP caps them per client: an IPv4
	// address, or an IPv6 /64 (0: no cap; the command line's default is
	// 32). Both count sessions too: a connection with N sessions open
	// counts N (connLimits).
	MaxConns      int
	MaxConnsPerIP int
	// MaxSessionsPerConn caps the sessions (channels, each a dashboard or
	// a command) open at once on one connection (default 10, OpenSSH's
	// MaxSessions).
	MaxSessionsPerConn int
	// MaxSession ends any session after this long (default 12 h).
	MaxSession time.Duration
	// InputIdle ends a session after this long without a key press
	// (default 30 min). Screen updates do not count as activity.
	InputIdle time.Duration
	// FPS caps how often a session's screen is redrawn (default 30); an
	// idle session is not redrawn at all.
	FPS int
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Addr == "" {
		c.Addr = ":2222"
	}
	def(&c.HandshakeTimeout, 30*time.Second)
	def(&c.MaxSession, 12*time.Hour)
	def(&c.InputIdle, 30*time.Minute)
	if c.MaxAuthTries <= 0 {
		c.MaxAuthTries = 6
	}
	if c.MaxConns <= 0 {
		c.MaxConns = 15000
	}
	if c.MaxSessionsPerConn <= 0 {
		c.MaxSessionsPerConn = 10
	}
	if c.FPS <= 0 {
		c.FPS = 30
	}
	return c
}

// Server is the SSH server.
type Server struct {
	cfg      Config
	deps     tui.Deps
	log      *slog.Logger
	srv      *ssh.Server
	limits   *connLimits
	sessions *registry
	commands CommandHandler
	// handlers counts session handlers still running: the library's
	// Shutdown waits for connections only, and a handler may outlive its
	// connection by the moment it takes to finish (log, close the model).
	handlers handlerGate
}

// CommandHandler runs a command for a session without a PTY and returns
// its exit status. ctx ends when the client leaves, the session reaches
// its maximum length or the server shuts down; in the last two cases
// context.Cause(ctx) is the goodbye to show.
type CommandHandler func(ctx context.Context, sess ssh.Session, args []string) int

// New prepares a server; commands may be nil.
func New(cfg Config, deps tui.Deps, commands CommandHandler) (*Server, error) {
	cfg = cfg.withDefaults()
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Log, commands: commands,
		limits: newConnLimits(cfg.MaxConns, cfg.MaxConnsPerIP), sessions: newRegistry()}
	hostKey := wish.WithHostKeyPEM(cfg.HostKeyPEM)
	if cfg.HostKeyPEM == nil {
		if cfg.HostKeyPath != "" {
			if err := os.MkdirAll(filepath.Dir(cfg.HostKeyPath), 0o700); err != nil {
				return nil, fmt.Errorf("host key directory: %w", err)
			}
		}
		hostKey = wish.WithHostKeyPath(cfg.HostKeyPath) // creates the key file when missing
	}
	srv, err := wish.NewServer(
		wish.WithAddress(cfg.Addr),
		hostKey,
		wish.WithVersion("WantSMS"),
		// Any key is welcome at the SSH level: the account is resolved
		// afterwards from the key the session proved. The callbacks store
		// nothing.
		wish.WithPublicKeyAuth(func(ssh.Context, ssh.PublicKey) bool { return true }),
		// Clients without a key get in too, and sign in with email and
		// password inside the dashboard.
		wish.WithKeyboardInteractiveAuth(func(ssh.Context, gossh.KeyboardInteractiveChallenge) bool { return true }),
		wish.WithMaxTimeout(cfg.MaxSession+time.Minute), // backstop behind the polite goodbye
		wish.WithMiddleware(recover.MiddlewareWithLogger(slogPrintf{s.log}, s.middleware)),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w", err)
	}
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
	srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
		return &gossh.ServerConfig{MaxAuthTries: cfg.MaxAuthTries}
	}
	srv.ConnCallback = s.onConn
	srv.ConnectionFailedCallback = func(conn net.Conn, err error) {
		s.log.Debug("ssh handshake failed", "remote", conn.RemoteAddr().String(), "err", err)
	}
	s.srv = srv
	return s, nil
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on the configured address.
func (s *Server) ListenAndServe() error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen ssh %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(l)
}

// Sessions counts open sessions (for metrics and tests).
func (s *Server) Sessions() int { return s.sessions.count() }

// SessionsStarted counts the sessions (dashboards and commands) started
// since the server was made, for /metrics.
func (s *Server) SessionsStarted() int64 { return s.sessions.started.Load() }

// shutdownGoodbye is what every session hears when the server stops.
const shutdownGoodbye = "The WantSMS server is restarting. Please reconnect in a minute."

// Shutdown says goodbye to every open session, lets no new one start and
// waits for every session handler to return (or ctx to expire): only then
// may the caller close what the handlers use (the store). It then gives
// the clients connCloseGrace to close their connections, as they do once
// their sessions ended (closing first could reset a connection before a
// goodbye reached its client), and closes those left: a connection kept
// without a session (a client's ControlMaster) would otherwise hold the
// shutdown until ctx expires.
func (s *Server) Shutdown(ctx context.Context) error {
	idle := s.handlers.close()
	s.sessions.endAll(shutdownGoodbye)
	var err error
	select {
	case <-idle:
	case <-ctx.Done():
		err = fmt.Errorf("session handlers still running: %w", ctx.Err())
	}
	grace, cancel := context.WithTimeout(ctx, connCloseGrace)
	defer cancel()
	if s.srv.Shutdown(grace) != nil {
		return errors.Join(err, s.srv.Close())
	}
	return err
}

// connCloseGrace is how long Shutdown waits for clients to close their
// connections once their sessions ended: a round trip, on any network.
const connCloseGrace = 2 * time.Second

// onConn enforces the connection caps and the handshake timeout.
func (s *Server) onConn(ctx ssh.Context, conn net.Conn) net.Conn {
	group := netaddr.Group(conn.RemoteAddr().String())
	if !s.limits.acquire(group) {
		s.log.Warn("connection refused: too many connections", "remote", conn.RemoteAddr().String())
		return nil
	}
	// One context value for all the server keeps on a connection: the
	// library's context map holds a dozen already, and each more may grow it.
	cs := &connSessions{group: group}
	ctx.SetValue(connSessionsKey{}, cs)
	tc := &trackedConn{Conn: conn, release: func() { s.limits.release(group) }}
	// The library resets deadlines on every read, so a deadline cannot
	// bound the handshake: a timer closes the connection unless a session
	// has started on it by then (stopHandshakeTimer).
	tc.timer = time.AfterFunc(s.cfg.HandshakeTimeout, func() {
		if !cs.hasStarted() {
			s.log.Info("handshake timeout", "remote", conn.RemoteAddr().String(),
				"authenticated", ctx.Value(ssh.ContextKeyConn) != nil)
			_ = tc.Close()
		}
	})
	cs.mu.Lock()
	cs.handshake = tc.timer
	cs.mu.Unlock()
	return tc
}

// stopHandshakeTimer is called when a session starts: the handshake is over.
func stopHandshakeTimer(ctx ssh.Context) {
	cs, _ := ctx.Value(connSessionsKey{}).(*connSessions)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	cs.started = true
	t := cs.handshake
	cs.mu.Unlock()
	if t != nil {
		t.Stop()
	}
}

// trackedConn gives back its connection slot when closed.
type trackedConn struct {
	net.Conn
	once    sync.Once
	release func()
	timer   *time.Timer
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.timer.Stop()
		c.release()
	})
	return err
}

// slogPrintf lets the recover middleware log through slog.
type slogPrintf struct{ l *slog.Logger }

func (p slogPrintf) Printf(format string, v ...any) { p.l.Error(fmt.Sprintf(format, v...)) }
