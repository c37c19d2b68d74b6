package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/webhook"
)

// errHelp is returned when -h was asked for: usage was printed, exit 0.
var errHelp = flag.ErrHelp

// defaultHTTPAddr is where serve listens for HTTP unless told otherwise;
// the dev commands look for it there too.
const defaultHTTPAddr = ":8080"

// shutdownGrace is how long open sessions get to leave on SIGINT/SIGTERM.
const shutdownGrace = 10 * time.Second

func dataFlag(f *flags, dir *string) {
	f.String(dir, "data", "WANTSMS_DATA", "data", "data directory: database and SSH host key")
}

// storeFlags are dataFlag and the database URL, for what opens the store.
func storeFlags(f *flags, dir, databaseURL *string) {
	dataFlag(f, dir)
	f.Secret(databaseURL, "database-url", "WANTSMS_DATABASE_URL",
		"PostgreSQL database to use instead of the SQLite file in the data directory: postgres://user:password@host:port/db")
}

func runServe(ctx context.Context, args []string, _, stderr io.Writer) error {
	f := newFlags("serve", stderr)
	var cfg service.Config
	var level, format, pprofAddr string
	storeFlags(f, &cfg.DataDir, &cfg.DatabaseURL)
	f.String(&cfg.SSHAddr, "ssh-addr", "WANTSMS_SSH_ADDR", ":2222", "SSH listen address")
	f.String(&cfg.HostKeyFile, "host-key-file", "WANTSMS_HOST_KEY_FILE", "",
		"SSH host key (a private key file without passphrase) to present, the same on every instance "+
			"(default: on PostgreSQL one kept in the database, made by the first instance; else DATA/"+
			service.HostKeyFile+", made on the first start)")
	f.String(&cfg.SSHPublic, "ssh-public", "WANTSMS_SSH_PUBLIC", "",
		"host:port people use to reach the SSH server, shown in commands (default localhost and the SSH port)")
	f.String(&cfg.HTTPAddr, "http-addr", "WANTSMS_HTTP_ADDR", defaultHTTPAddr, "HTTP listen address (the HTTP API, health, metrics, webhooks)")
	f.String(&level, "log-level", "WANTSMS_LOG_LEVEL", "info", "log level: debug, info, warn or error")
	f.String(&format, "log-format", "WANTSMS_LOG_FORMAT", "text", "log format: text or json")
	f.Duration(&cfg.SSH.HandshakeTimeout, "handshake-timeout", "WANTSMS_HANDSHAKE_TIMEOUT", 30*time.Second,
		"cut connections not authenticated with a session open in this time")
	f.Int(&cfg.SSH.MaxAuthTries, "max-auth-tries", "WANTSMS_MAX_AUTH_TRIES", 6, "authentication attempts per connection")
	f.Int(&cfg.SSH.MaxConns, "max-conns", "WANTSMS_MAX_CONNS", 15000,
		"open SSH connections in total (a connection with N sessions counts N)")
	f.Int(&cfg.SSH.MaxConnsPerIP, "max-conns-per-ip", "WANTSMS_MAX_CONNS_PER_IP", 32,
		"open SSH connections per IPv4 address or IPv6 /64, sessions counted as in max-conns (0: no cap)")
	f.Int(&cfg.SSH.MaxSessionsPerConn, "max-sessions-per-conn", "WANTSMS_MAX_SESSIONS_PER_CONN", 10,
		"sessions (dashboards or commands) open at once on one SSH connection")
	f.Duration(&cfg.SSH.MaxSession, "max-session", "WANTSMS_MAX_SESSION", 12*time.Hour, "longest session")
	f.Duration(&cfg.SSH.InputIdle, "idle-timeout", "WANTSMS_IDLE_TIMEOUT", 30*time.Minute,
		"end sessions after this long without a key press")
	f.Duration(&cfg.PurgeInterval, "purge-interval", "WANTSMS_PURGE_INTERVAL", time.Hour,
		"how often records past their retention period are removed")
	f.Int(&cfg.SSH.FPS, "fps", "WANTSMS_FPS", 30, "most screen redraws per second per session")
	f.String(&pprofAddr, "pprof-addr", "WANTSMS_PPROF_ADDR", "",
		"debugging: serve Go profiles (/debug/pprof/) on this loopback address (default off)")
	f.String(&cfg.MetricsToken, "metrics-token", "WANTSMS_METRICS_TOKEN", "",
		"bearer token GET /metrics must bring (default: /metrics answers loopback only)")
	f.Secret(&cfg.Mail.SMTPURL, "smtp-url", "WANTSMS_SMTP_URL", "mail server: smtp://user:password@host:587 "+
		"(STARTTLS), smtps://… (TLS) or smtp://host:25?tls=none (default: mails go to DATA/mail, a maildir)")
	f.String(&cfg.Mail.From, "mail-from", "WANTSMS_MAIL_FROM", "",
		"sender of account mails, e.g. 'WantSMS <no-reply@example.com>' (needed with --smtp-url)")
	f.Duration(&cfg.Mail.Timeout, "smtp-timeout", "WANTSMS_SMTP_TIMEOUT", 30*time.Second,
		"longest delivery of one mail; a mail a killed server was sending goes again after twice this")
	var apiPerKey, apiPerAddr int
	f.Int(&apiPerKey, "api-rate", "WANTSMS_API_RATE", apiauth.DefaultPerKey,
		"HTTP API requests per second per API key (bursts of twice as many)")
	f.Int(&apiPerAddr, "api-rate-per-ip", "WANTSMS_API_RATE_PER_IP", apiauth.DefaultPerAddr,
		"HTTP API requests per second per IPv4 address or IPv6 /64 (bursts of twice as many)")
	f.Bool(&cfg.Webhooks.AllowPrivate, "webhook-allow-private", "WANTSMS_WEBHOOK_ALLOW_PRIVATE", false,
		"let people's webhooks point at loopback, private and link-local addresses (default: public addresses only)")
	f.Duration(&cfg.Webhooks.Timeout, "webhook-timeout", "WANTSMS_WEBHOOK_TIMEOUT", webhook.DefaultTimeout,
		"longest post to a webhook; a post a killed server was making goes again after twice this and 5 s")
	pay := addPayFlags(f)
	finishNumbers := numbersFlags(f, &cfg.Numbers)
	pos, err := f.parse(args)
	if err != nil {
		return flagError(err)
	}
	if err := finishNumbers(); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if cfg.Log, err = newLogger(stderr, level, format); err != nil {
		return usagef("%v", err)
	}
	if cfg.Webhooks.Timeout < time.Second || cfg.Webhooks.Timeout > time.Minute {
		return usagef("--webhook-timeout %s: from 1s to 1m", cfg.Webhooks.Timeout)
	}
	if cfg.SSH.MaxConnsPerIP < 0 || cfg.SSH.MaxConns < 1 || cfg.SSH.MaxAuthTries < 1 || cfg.SSH.FPS < 1 ||
		cfg.SSH.MaxSessionsPerConn < 1 {
		return usagef("limits must be positive (max-conns-per-ip may be 0)")
	}
	if apiPerKey < 1 || apiPerAddr < 1 {
		return usagef("--api-rate and --api-rate-per-ip must be at least 1")
	}
	cfg.API = apiauth.Config{PerKey: float64(apiPerKey), KeyBurst: 2 * apiPerKey,
		PerAddr: float64(apiPerAddr), AddrBurst: 2 * apiPerAddr}
	if cfg.Payments, err = pay.finish(cfg.HTTPAddr); err != nil {
		return usagef("%v", err)
	}
	// The simulator must not run next to live card payments.
	cfg.Numbers.StripeSecretKey = cfg.Payments.Stripe.SecretKey
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if pprofAddr != "" {
		if err := startPprof(ctx, pprofAddr, cfg.Log); err != nil {
			return err
		}
	}
	svc, err := service.Start(cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	cfg.Log.Info("shutting down", "sessions", svc.SSH.Sessions())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := svc.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	cfg.Log.Info("stopped cleanly")
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// flagError turns a flag-parsing failure into a usage error (or help).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	return usageError{err.Error()}
}
