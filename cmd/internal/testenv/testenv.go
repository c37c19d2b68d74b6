// Package testenv starts a real WantSMS for end-to-end tests: the whole
// service on loopback ports with a temporary data directory, reached by a
// real SSH client through cmd/internal/sshterm. It is the one place where
// tests get a running server. Several services may share one PostgreSQL
// database (PostgresURL, OnDatabase) as instances behind one address do.
//
// May import from this repository: billing, billing/blockonomicsfake,
// billing/stripemock, billing/stripetest, cmd/internal/service,
// cmd/internal/mail, cmd/internal/mail/smtptest, cmd/internal/sshterm, store,
// store/pgtest, store/testdb.
package testenv

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

// Wait is how long a test waits for something to appear on a screen: long
// enough for a loaded CI machine running -race, never part of an assertion
// about speed.
const Wait = 20 * time.Second

// MarketAt is the moment whose simulated prices and stock every test
// server sells at: the simulator's market drifts every 10 minutes, and a
// test that reads a price and then reserves must not straddle a drift.
// Tests of drift itself set Numbers.SimMarketAt back to zero.
var MarketAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Env is one running WantSMS.
type Env struct {
	t   testing.TB
	Svc *service.Service
	Dir string
	cfg service.Config
}

// Start runs the service with a fresh data directory; options adjust the
// configuration before it starts. It shuts down when the test ends.
func Start(t testing.TB, options ...func(*service.Config)) *Env {
	t.Helper()
	e := newEnv(t, options)
	e.start()
	t.Cleanup(e.Stop)
	return e
}

// StartTogether starts n services at the same moment, each with a data
// directory of its own, as instances sharing one database (options set
// DatabaseURL) start behind a load balancer. They shut down when the test
// ends.
func StartTogether(t testing.TB, n int, options ...func(*service.Config)) []*Env {
	t.Helper()
	envs := make([]*Env, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range envs {
		envs[i] = newEnv(t, options)
		wg.Add(1)
		go func() {
			defer wg.Done()
			envs[i].Svc, errs[i] = service.Start(envs[i].cfg)
		}()
	}
	wg.Wait()
	for _, e := range envs {
		t.Cleanup(e.Stop)
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start service %d of %d: %v", i+1, n, err)
		}
	}
	return envs
}

// newEnv is a service's configuration and, on SQLite, its database.
func newEnv(t testing.TB, options []func(*service.Config)) *Env {
	t.Helper()
	cfg := service.Config{DataDir: t.TempDir(), SSHAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Log: testLogger(), RelayInterval: 50 * time.Millisecond}
	cfg.Numbers.SimMarketAt = MarketAt
	for _, o := range options {
		o(&cfg)
	}
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, service.DatabaseFile)); errors.Is(err, fs.ErrNotExist) {
			testdb.CopyTo(t, filepath.Join(cfg.DataDir, service.DatabaseFile))
		}
	}
	return &Env{t: t, Dir: cfg.DataDir, cfg: cfg}
}

func (e *Env) start() {
	e.t.Helper()
	svc, err := service.Start(e.cfg)
	if err != nil {
		e.t.Fatalf("start service: %v", err)
	}
	e.Svc = svc
}

// Stop shuts the service down (idempotent).
func (e *Env) Stop() {
	if e.Svc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Svc.Shutdown(ctx); err != nil {
		e.t.Errorf("shutdown: %v", err)
	}
	e.Svc = nil
}

// Restart stops the service and starts it again on the same data
// directory (new ports).
func (e *Env) Restart() {
	e.t.Helper()
	e.Stop()
	e.start()
}

// Store is the running service's store.
func (e *Env) Store() *store.Store { return e.Svc.Store }

// testLogger discards logs unless WANTSMS_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("WANTSMS_TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// NewKey makes a fresh ed25519 client key.
func NewKey(t testing.TB) ssh.Signer {
	t.Helper()
	k, err := sshterm.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Options returns sshterm options for this server; key may be nil for a
// key-less client.
func (e *Env) Options(key ssh.Signer) sshterm.Options {
	o := sshterm.Options{Addr: e.Svc.SSHAddr(), User: "someone"}
	if key != nil {
		o.Signers = []ssh.Signer{key}
	} else {
		o.KeyboardInteractive = true
	}
	return o
}

// Dial opens an interactive session (PTY, 80×24) closed when the test ends.
func (e *Env) Dial(t testing.TB, key ssh.Signer) *sshterm.Term {
	t.Helper()
	return e.DialWith(t, e.Options(key))
}

// DialWith opens an interactive session with explicit options.
func (e *Env) DialWith(t testing.TB, o sshterm.Options) *sshterm.Term {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	term, err := sshterm.Dial(ctx, o)
	if err != nil {
		t.Fatalf("dial %s: %v", o.Addr, err)
	}
	t.Cleanup(func() { term.Close() })
	return term
}

// Run runs a command without a PTY.
func (e *Env) Run(t testing.TB, key ssh.Signer, command string) (stdout, stderr string, status int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	out, errOut, status, err := sshterm.Run(ctx, e.Options(key), command, nil)
	if err != nil {
		t.Fatalf("run %q: %v", command, err)
	}
	return string(out), string(errOut), status
}

// Password is the password NewUser gives accounts.
const Password = "correct horse battery"

// NewUser creates an account straight in the store, verifies its address
// and links a fresh key to it, for tests that start from a signed-in
// person (NewUnverifiedUser for one who has not verified the address).
func (e *Env) NewUser(email string) (store.User, ssh.Signer) {
	e.t.Helper()
	u, key := e.NewUnverifiedUser(email)
	e.Verify(email)
	u, err := e.Store().UserByID(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u, key
}

// Verify marks an account's address verified, as `wantsms admin verify`
// does on the server host.
func (e *Env) Verify(email string) {
	e.t.Helper()
	if _, err := e.Store().MarkEmailVerified(context.Background(), email, "test"); err != nil {
		e.t.Fatalf("verify %s: %v", email, err)
	}
}

// NewUnverifiedUser is NewUser for a person who has not verified the
// address yet (the verification mail is in the outbox).
func (e *Env) NewUnverifiedUser(email string) (store.User, ssh.Signer) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.Store().CreateUser(ctx, email, Password, store.Origin{RemoteAddr: "test"})
	if err != nil {
		e.t.Fatalf("create %s: %v", email, err)
	}
	key := NewKey(e.t)
	if _, err := e.Store().LinkKey(ctx, u.ID, store.SpecOf(key.PublicKey()), "test key", store.Origin{}); err != nil {
		e.t.Fatalf("link key: %v", err)
	}
	return u, key
}

// Credit gives an account credits through the ledger.
func (e *Env) Credit(userID, cents int64, ref string) {
	e.t.Helper()
	_, err := e.Store().Move(context.Background(), store.Movement{UserID: userID, AmountCents: cents,
		Kind: store.LedgerGrant, Reference: ref, Note: "test"})
	if err != nil {
		e.t.Fatalf("credit: %v", err)
	}
}

// Expect waits for text on a terminal's screen or fails the test with the
// screen.
func Expect(t testing.TB, term *sshterm.Term, text string) {
	t.Helper()
	if err := term.WaitFor(Wait, text); err != nil {
		t.Fatal(err)
	}
}
