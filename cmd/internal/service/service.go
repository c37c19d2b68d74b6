// Package service assembles the running WantSMS process: the store, the
// SSH server with the dashboard, and the HTTP listener. cmd/wantsms runs it;
// end-to-end tests start it on loopback ports with a temporary data
// directory, exactly as a person would run it.
//
// It owns the wiring and nothing else: which provider adapters run, the
// engine's, the payment desk's, the mail and webhook workers' settings,
// the HTTP routes, the hourly purge, and the order of start and shutdown.
// Everything it starts lives in the packages below it.
//
// May import from this repository: billing, cmd/internal/apiauth, cmd/internal/mail,
// cmd/internal/saapi, cmd/internal/v1api, cmd/internal/webhook, provider,
// provider/engine, provider/fivesim, provider/sim, provider/smsactivate,
// store, store/logctx, store/metrics, tui, tui/commands, tui/sshserver.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/cmd/internal/mail"
	"github.com/wantsms/wantsms/cmd/internal/v1api"
	"github.com/wantsms/wantsms/cmd/internal/webhook"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/logctx"
	"github.com/wantsms/wantsms/tui"
	"github.com/wantsms/wantsms/tui/commands"
	"github.com/wantsms/wantsms/tui/sshserver"
)

// Config is everything the process needs; cmd/wantsms fills it from flags
// and environment variables.
type Config struct {
	DataDir string // SQLite file and SSH host key live here
	// DatabaseURL, when set (postgres://…), is the PostgreSQL database
	// used instead of the data directory's SQLite file.
	DatabaseURL string
	// HostKeyFile, when set, is the SSH host key every instance presents
	// (else: the database's on PostgreSQL, the data directory's on SQLite).
	HostKeyFile string
	SSHAddr     string
	HTTPAddr    string
	SSH         sshserver.Config
	// SSHPublic is "host:port" as people reach the SSH server; the
	// dashboard shows it in commands to copy (default localhost and the
	// port of SSHAddr).
	SSHPublic string
	Log       *slog.Logger
	// Clock overrides the store's clock (tests only).
	Clock func() time.Time
	// RelayInterval is how often events written by command-line tools are
	// passed on to live sessions (default 1 s). On PostgreSQL events of
	// other instances and tools come as they commit, with no polling.
	RelayInterval time.Duration
	// Numbers chooses the number providers and the reservation rules.
	Numbers NumbersConfig
	// PurgeInterval is how often records past their retention period are
	// removed (default 1 h).
	PurgeInterval time.Duration
	// Payments configures top-ups; the zero value offers no payment method.
	// An empty PublicURL means http://<the HTTP listener's address>.
	Payments billing.Config
	// SweepInterval is how often expired orders are closed (default 1 min).
	SweepInterval time.Duration
	// MetricsToken, when set, must come as "Authorization: Bearer TOKEN"
	// with every GET /metrics; empty opens /metrics to loopback only.
	MetricsToken string
	// Mail is how account mail goes out: SMTPURL and From, or nothing for
	// the maildir under DataDir; the maildir, the links and the log are
	// filled in by Start.
	Mail mail.Config
	// API sets the HTTP API's rate limits (per key, per address); the zero
	// value takes apiauth's defaults.
	API apiauth.Config
	// Webhooks is how people's webhooks are posted; its AllowPrivate
	// also lets them be added pointing at private addresses. The log is
	// filled in by Start.
	Webhooks webhook.Config
}

// DatabaseFile is the SQLite file's name inside the data directory.
const DatabaseFile = "wantsms.db"

// HostKeyFile is the SSH host key's name inside the data directory.
const HostKeyFile = "ssh_host_ed25519_key"

// Service is a running WantSMS.
type Service struct {
	cfg    Config
	Store  *store.Store
	SSH    *sshserver.Server
	http   *http.Server
	pay    *billing.Payments
	sshL   net.Listener
	httpL  net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger
	nums   *numbers
	mail   *mail.Worker
	// api authenticates and limits every HTTP API request (api_key,
	// X-ApiKey, Authorization: Bearer) and counts them for /metrics.
	api *apiauth.Guard
	v1  *v1api.API
	// hooks posts people's webhooks from the durable queue.
	hooks *webhook.Worker
}

// OpenStore opens the store: the PostgreSQL database at databaseURL when
// it is set (postgres://…), else the data directory's SQLite file. The
// data directory is created if needed either way (it holds the SSH host
// key and the maildir).
func OpenStore(dataDir, databaseURL string, opts store.Options) (*store.Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	if databaseURL != "" {
		if !store.IsPostgresURL(databaseURL) {
			return nil, fmt.Errorf("database URL %q: want postgres://user:password@host:port/database?sslmode=… "+
				"(leave it empty for the SQLite file in the data directory)", store.RedactURL(databaseURL))
		}
		return store.Open(databaseURL, opts)
	}
	return store.Open(filepath.Join(dataDir, DatabaseFile), opts)
}

// Start opens everything and starts serving. Listen failures and store
// errors are returned before anything is left running.
func Start(cfg Config) (*Service, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// Lines logged with a session's context carry its id and address.
	cfg.Log = slog.New(logctx.Handler(cfg.Log.Handler()))
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = time.Second
	}
	if cfg.PurgeInterval <= 0 {
		cfg.PurgeInterval = time.Hour
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = time.Minute
	}
	st, err := OpenStore(cfg.DataDir, cfg.DatabaseURL, store.Options{Clock: cfg.Clock, Log: cfg.Log,
		WebhookAllowPrivate: cfg.Webhooks.AllowPrivate})
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, Store: st, log: cfg.Log}
	if err := s.start(); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Service) start() error {
	var err error
	if s.sshL, err = net.Listen("tcp", s.cfg.SSHAddr); err != nil {
		return fmt.Errorf("listen ssh on %s: %w", s.cfg.SSHAddr, err)
	}
	if s.httpL, err = net.Listen("tcp", s.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen http on %s: %w", s.cfg.HTTPAddr, err)
	}
	if err := s.startPayments(); err != nil {
		return err
	}
	if err := s.startMail(); err != nil {
		return err
	}
	s.startWebhooks()
	if s.nums, err = s.buildNumbers(); err != nil {
		return err
	}
	if err := s.nums.engine.Start(context.Background()); err != nil {
		return err
	}
	sshCfg := s.cfg.SSH
	sshCfg.Addr = s.sshL.Addr().String()
	if err := s.hostKey(&sshCfg); err != nil {
		return err
	}
	ssh := sshCommand(s.cfg.SSHPublic, s.SSHAddr())
	deps := tui.Deps{Store: s.Store, Log: s.log, SSHCommand: ssh, Payments: s.pay,
		Numbers: s.nums.engine, Operations: s.nums.engine, Rentals: s.nums.engine}
	cmds, err := commands.New(commands.Deps{Store: s.Store, Log: s.log, SSHCommand: ssh, Payments: s.pay,
		Numbers: s.nums.engine, Rentals: s.nums.engine})
	if err != nil {
		return err
	}
	if s.SSH, err = sshserver.New(sshCfg, deps, cmds.Serve); err != nil {
		return err
	}
	s.api = apiauth.New(s.Store, s.cfg.API)
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	// Long polls of the JSON API answer at once at shutdown, rather than
	// hold it up.
	s.http.RegisterOnShutdown(s.v1.Close)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	relay, err := s.Store.StartRelay(ctx, s.cfg.RelayInterval)
	if err != nil {
		return err
	}
	s.goRun(relay)
	s.runJobs(ctx) // jobs.go
	s.goRun(func() {
		if err := s.SSH.Serve(s.sshL); err != nil && !errors.Is(err, net.ErrClosed) {
			s.log.Error("ssh server stopped", "err", err)
		}
	})
	s.goRun(func() {
		if err := s.http.Serve(s.httpL); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	})
	s.log.Info("wantsms serving", "ssh", s.SSHAddr(), "http", s.HTTPAddr(), "data", s.cfg.DataDir)
	if s.cfg.MetricsToken == "" {
		s.log.Info("GET /metrics answers only this machine (loopback); set --metrics-token to scrape it from elsewhere")
	}
	return nil
}

func (s *Service) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// SSHAddr is the address the SSH server listens on.
func (s *Service) SSHAddr() string { return s.sshL.Addr().String() }

// HTTPAddr is the address the HTTP server listens on.
func (s *Service) HTTPAddr() string { return s.httpL.Addr().String() }

// Shutdown says goodbye to every session, stops the listeners and closes
// the database cleanly. Sessions still open when ctx ends are cut.
func (s *Service) Shutdown(ctx context.Context) error {
	var errs []error
	if s.SSH != nil {
		// Closing the listener first ends a Serve that had not started
		// yet when Shutdown came: the library would otherwise track it
		// afterwards and wait for it for ever.
		_ = s.sshL.Close()
		if err := s.SSH.Shutdown(ctx); !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.nums != nil {
		s.nums.close()
	}
	errs = append(errs, s.Store.Close())
	return errors.Join(errs...)
}

// closeAll releases what a failed start opened.
func (s *Service) closeAll() {
	for _, l := range []net.Listener{s.sshL, s.httpL} {
		if l != nil {
			l.Close()
		}
	}
	if s.nums != nil {
		s.nums.close()
	}
	s.Store.Close()
}

// sshCommand is the command people type to reach the server: "ssh HOST"
// on port 22, "ssh -p PORT HOST" otherwise.
func sshCommand(public, listen string) string {
	host, port, err := net.SplitHostPort(public)
	if err != nil {
		host = "localhost"
		if _, p, err := net.SplitHostPort(listen); err == nil {
			port = p
		}
	}
	if port == "" || port == "22" || port == "0" {
		return "ssh " + host
	}
	return "ssh -p " + port + " " + host
}

func (s *Service) logPurge(rep store.PurgeReport, err error) {
	if err != nil {
		s.log.Error("purge failed", "err", err)
		return
	}
	args := []any{"total", rep.Total()}
	for what, n := range rep.Removed {
		if n > 0 {
			args = append(args, what, n)
		}
	}
	s.log.Info("purge", args...)
}
