// Package store is WantSMS's system of record: the schema and its
// numbered migrations, the domain types, every transaction that moves money
// or state, and the hub that tells live sessions what changed (published
// after commit, never before; on PostgreSQL also what other instances
// committed, notify.go).
//
// It runs on SQLite (a file, the default) or PostgreSQL (a database
// several instances share); dialect.go holds what differs between them.
//
// One writer connection takes every write in an immediate transaction, so
// writers queue in Go instead of failing with SQLITE_BUSY; a pool of
// read-only connections serves queries concurrently thanks to WAL. On
// PostgreSQL the writers of all instances also queue on one lock.
//
// The store is the bottom layer: every other package may use it, and it
// uses none of them.
//
// May import from this repository: store/netaddr.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/wantsms/wantsms/store/netaddr"
)

// Options tune a Store. The zero value is ready for production use.
type Options struct {
	// Clock returns the current time; tests use a controllable one.
	Clock func() time.Time
	// Readers is the size of the read-only connection pool
	// (default: 2 × GOMAXPROCS, at least 4).
	Readers int
	// BusyTimeout bounds how long a connection waits for a lock held by
	// another process (default 5 s), e.g. `wantsms credit` while serving.
	BusyTimeout time.Duration
	// Relay makes this store write its events to the database too, for a
	// serving process to pass on to live sessions. Command-line tools that
	// change data while the server runs set it. On PostgreSQL every store
	// sends its events to the other instances anyway (notify.go).
	Relay bool
	// MaxConcurrentHashes bounds password hashing, which costs 19 MiB and
	// tens of milliseconds each (default GOMAXPROCS).
	MaxConcurrentHashes int
	// Rand draws order numbers (default crypto/rand); view tests pass a
	// fixed source so that screens, QR codes included, are reproducible.
	Rand io.Reader
	// Log receives what goes wrong after a change is committed, which
	// the caller can no longer be told about (default: discarded).
	Log *slog.Logger
	// WebhookAllowPrivate lets webhooks point at addresses that are not
	// public (loopback, private networks, link-local): for an operator
	// whose people's systems share its network, and tests. The delivery
	// worker is told the same.
	WebhookAllowPrivate bool
	// LeaseRetry is how often a lease not held is asked for and one held
	// is checked (default DefaultLeaseRetry; see lease.go).
	LeaseRetry time.Duration
}

// Store is the database handle shared by the whole process.
type Store struct {
	path    string // the SQLite file, or the PostgreSQL URL without its password
	dialect *dialect
	w       *sql.DB   // exactly one connection: all writes
	r       *readPool // read-only pool, its reads prepared
	hub     *Hub
	now     func() time.Time
	hashSem chan struct{}
	relay   bool // write events to event_relay (SQLite only)
	rand    io.Reader
	log     *slog.Logger

	instance      string          // names this store in its notifications (PostgreSQL)
	listenCfg     *pgx.ConnConfig // how to open the listening connection (PostgreSQL)
	listenerPID   atomic.Uint32   // the listening connection's backend, while it listens
	listenIdle    time.Duration   // how long it may stay silent before a ping (listenIdle)
	listenerPings atomic.Int64    // pings it answered

	releaser       atomic.Pointer[Releaser]       // gives numbers back upstream before an erasure
	rentalReleaser atomic.Pointer[RentalReleaser] // gives rentals back upstream before an erasure

	counters counters // events since open, for /metrics

	rates rateCache // the success rates every session reads

	apiKeys apiKeyCache // API keys resolved a moment ago
	writes  statements  // the writer's prepared statements (prepareWrites)

	mailQueued chan struct{} // a committed write queued mail (MailQueued)

	hookGuard   netaddr.Guard // where webhooks may point (AddWebhook)
	hooksQueued chan struct{} // a committed write queued webhook deliveries (WebhooksQueued)

	// leaseConfig connects the connection of each lease (PostgreSQL only:
	// nil on SQLite, where every lease is held); see lease.go.
	leaseConfig *pgx.ConnConfig
	leasesHeld  sync.Map // lease name → whether this instance holds it now
	leaseRetry  time.Duration

	wmu     sync.Mutex // guards queue and leading
	queue   []writeReq // writes waiting for the writer
	leading bool       // a caller is running batches
}

// Open opens the database at path and applies pending migrations: a
// SQLite file (created if missing), or a PostgreSQL database when path is
// a postgres:// URL (IsPostgresURL).
func Open(path string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if IsPostgresURL(path) {
		return openPostgres(path, opts)
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open store: path %q must not contain '?' or '#'", path)
	}
	if err := restrictFiles(path); err != nil {
		return nil, err
	}
	busy := opts.BusyTimeout.Milliseconds()
	common := url.Values{}
	common.Set("_busy_timeout", fmt.Sprint(busy))
	common.Set("_foreign_keys", "on")
	common.Add("_pragma", "secure_delete(on)") // purged personal data must not linger in free pages

	wq := cloneValues(common)
	wq.Set("_journal_mode", "wal")
	wq.Set("_synchronous", "full") // a credit acknowledged is a credit on disk
	wq.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)

	s := newStore(path, sqliteDialect, w, opts)
	if err := s.migrate(context.Background()); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.prepareWrites(context.Background()); err != nil {
		_ = s.writes.close()
		w.Close()
		return nil, err
	}

	rq := cloneValues(common)
	rq.Set("_query_only", "on")
	r, err := sql.Open("sqlite", path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store readers %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	s.r = &readPool{DB: r, cache: true}
	return s, nil
}

func newStore(path string, d *dialect, w *sql.DB, opts Options) *Store {
	return &Store{path: path, dialect: d, w: w, hub: NewHub(), now: opts.Clock,
		hashSem: make(chan struct{}, opts.MaxConcurrentHashes), relay: opts.Relay && d == sqliteDialect,
		rand: opts.Rand, log: opts.Log, instance: newInstanceID(), listenIdle: listenIdle,
		mailQueued: make(chan struct{}, 1), hooksQueued: make(chan struct{}, 1),
		hookGuard: netaddr.Guard{AllowPrivate: opts.WebhookAllowPrivate}, leaseRetry: opts.LeaseRetry}
}

func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Readers <= 0 {
		o.Readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.MaxConcurrentHashes <= 0 {
		o.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.LeaseRetry <= 0 {
		o.LeaseRetry = DefaultLeaseRetry
	}
	return o
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Close closes the database cleanly (checkpointing the WAL). database/sql
// closes a connection still in use only once its user lets go of it, and
// one being opened only once it is open: a dashboard's last command can
// outlive its session by a moment. So Close waits, readers first, until
// every connection is closed, the writer's last; only then are the files
// at rest (no log left, nothing reopened) for whoever comes next: a copy,
// a test removing the data directory.
func (s *Store) Close() error {
	s.hub.Close()
	errs := []error{s.writes.close()}
	if s.r != nil {
		errs = append(errs, s.r.Close(), waitClosed(s.r.DB, "readers"))
	}
	errs = append(errs, s.w.Close(), waitClosed(s.w, "writer"))
	return errors.Join(errs...)
}

// closeWait bounds how long Close waits for connections in use: reads and
// writes take milliseconds, or at most the busy timeout when another
// process holds the database.
const closeWait = 10 * time.Second

// waitClosed waits until the closed db has no connection left.
func waitClosed(db *sql.DB, what string) error {
	deadline := time.Now().Add(closeWait)
	for db.Stats().OpenConnections > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("close store: %d %s connections still in use after %s",
				db.Stats().OpenConnections, what, closeWait)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// Path is the database file's path, or the PostgreSQL database's URL
// without its password.
func (s *Store) Path() string { return s.path }

// Backend is "SQLite" or "PostgreSQL".
func (s *Store) Backend() string { return s.dialect.name }

// OnPostgres reports whether the store is a PostgreSQL database.
func (s *Store) OnPostgres() bool { return s.dialect == postgresDialect }

// Hub is where live sessions subscribe to changes.
func (s *Store) Hub() *Hub { return s.hub }

// Now is the store's clock, so callers stamp times the same way.
func (s *Store) Now() time.Time { return s.now() }

func (s *Store) unixNow() int64 { return s.now().Unix() }

// write runs fn in an immediate transaction and, only after it committed,
// publishes the events fn queued. fn's changes are all or nothing.
//
// Writes that wait for the writer together share one commit (group
// commit): with synchronous=FULL every commit waits for the disk, so a
// busy server would otherwise spend its writer on fsync. The first writer
// to find the writer free runs its batch on its own goroutine (an
// uncontended write runs at once on its caller); writes that queued
// meanwhile are run batch by batch by a goroutine that lives only while
// there is a backlog. Each fn of a batch runs in its own savepoint, so
// one that fails leaves the others untouched.
//
// ctx decides only whether fn starts: a caller that gives up while
// queued gets ErrNotApplied, and once fn has started it runs to its end
// whatever becomes of ctx (see Tx). The answer is nil exactly when fn's
// work is committed.
func (s *Store) write(ctx context.Context, fn func(tx *Tx) error) error {
	req := writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.wmu.Lock()
	s.queue = append(s.queue, req)
	if s.leading {
		s.wmu.Unlock()
		return <-req.done
	}
	s.leading = true
	s.wmu.Unlock()
	// No leader means the queue held nothing before this write, so the
	// first batch contains it. Later arrivals are served by a goroutine
	// that lives only while there is a backlog: a caller is never held
	// serving other people's writes.
	if s.leadOnce() {
		go s.lead()
	}
	return <-req.done
}

// lead runs batches until the queue is empty.
func (s *Store) lead() {
	for s.leadOnce() {
	}
}

// leadOnce runs one batch and reports whether more writes are waiting;
// when none are, it gives up the lead.
func (s *Store) leadOnce() (more bool) {
	s.wmu.Lock()
	batch := s.queue
	if len(batch) > maxBatch {
		batch = batch[:maxBatch]
	}
	s.queue = s.queue[len(batch):]
	s.wmu.Unlock()
	s.runBatch(batch)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if len(s.queue) == 0 {
		s.leading, s.queue = false, nil
		return false
	}
	return true
}

// maxBatch bounds how many writes share one commit, so one commit never
// holds up a write for long.
const maxBatch = 64

// writeReq is a transaction function waiting for the writer.
type writeReq struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan error // buffered: the leader never waits on it
}

// runBatch runs writes in one transaction, each in a savepoint when there
// are several, commits once and answers each with its true outcome: nil
// only for work that is committed. Should the transaction itself be lost
// half-way (SQLite rolls a whole transaction back on some errors), the
// batch stops there: the work already run went with it and the work not
// yet run is not started, for it would run outside any transaction; all
// of them are told they were not applied.
func (s *Store) runBatch(batch []writeReq) {
	errs := make([]error, len(batch))
	txs := make([]*Tx, len(batch))
	answer := func() {
		for i, r := range batch {
			if errs[i] == nil {
				for _, e := range txs[i].events {
					s.publish(e)
				}
				if txs[i].mailQueued {
					s.wakeMailer()
				}
				if txs[i].hooksQueued {
					s.wakeHooks()
				}
			}
			r.done <- errs[i]
		}
	}
	defer answer()
	sqlTx, err := s.w.BeginTx(context.Background(), nil)
	if err != nil {
		fill(errs, notApplied(fmt.Errorf("begin: %w", err)))
		return
	}
	if s.dialect.beginWrite != "" {
		if _, err := sqlTx.ExecContext(context.Background(), s.dialect.beginWrite); err != nil {
			_ = sqlTx.Rollback()
			fill(errs, notApplied(fmt.Errorf("take the writer lock: %w", err)))
			return
		}
	}
	saves := len(batch) > 1
	for i, r := range batch {
		txs[i] = &Tx{Tx: sqlTx, now: s.unixNow(), writes: s.writes}
		var lost error
		errs[i], lost = s.runOne(r, txs[i], saves)
		if lost != nil {
			_ = sqlTx.Rollback() // whatever is left of it
			lost = notApplied(fmt.Errorf("the shared transaction was lost: %w", lost))
			for j := range errs[:i] {
				if errs[j] == nil {
					errs[j] = lost
				}
			}
			errs[i] = errors.Join(errs[i], lost)
			fill(errs[i+1:], lost)
			return
		}
	}
	if !saves && errs[0] != nil {
		_ = sqlTx.Rollback()
		return
	}
	if s.OnPostgres() {
		if err := s.notifyCommitted(&Tx{Tx: sqlTx}, txs, errs); err != nil {
			_ = sqlTx.Rollback()
			err = notApplied(err)
			for i := range errs {
				if errs[i] == nil {
					errs[i] = err
				}
			}
			return
		}
	}
	if err := sqlTx.Commit(); err != nil {
		err = notApplied(fmt.Errorf("commit: %w", err))
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
}

// runOne runs one write inside the shared transaction. err is the write's
// own outcome; lost reports that the transaction itself is gone (its
// savepoint can be neither rolled back to nor released), so nothing more
// may run in it.
func (s *Store) runOne(r writeReq, tx *Tx, savepoint bool) (err, lost error) {
	if err := r.ctx.Err(); err != nil {
		return notApplied(err), nil // given up before it started
	}
	if savepoint {
		if _, err := tx.execPrepared(r.ctx, qSavepoint); err != nil {
			return notApplied(fmt.Errorf("savepoint: %w", err)), err
		}
	}
	err = r.fn(tx)
	if err == nil && s.relay {
		err = tx.relayEvents(r.ctx)
	}
	if !savepoint {
		return err, nil // the commit says whether the transaction held
	}
	if err != nil {
		if _, rerr := tx.execPrepared(r.ctx, qRollbackTo); rerr != nil {
			return err, fmt.Errorf("rollback to savepoint: %w", rerr)
		}
	}
	if _, rerr := tx.execPrepared(r.ctx, qReleaseSave); rerr != nil {
		return err, fmt.Errorf("release savepoint: %w", rerr)
	}
	return err, nil
}

// ErrNotApplied marks a write that left no trace in the database: it was
// given up before it started, or the transaction it shared was lost. Any
// other error of a write is the write's own refusal or failure, which
// leaves no trace either.
var ErrNotApplied = errors.New("not applied")

func notApplied(err error) error { return fmt.Errorf("%w: %w", ErrNotApplied, err) }

func fill(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}

// Tx is a write transaction that collects events to publish after commit.
//
// Its statements ignore the cancellation of the context they are given:
// the transaction is shared by a batch of callers (runBatch), and SQLite
// answers an interrupted write by rolling back the whole transaction, so
// one caller that hangs up would undo the work of others. A caller that
// gives up before its turn is not run at all; once its work started, it
// completes (or fails) on its own merits.
type Tx struct {
	*sql.Tx
	now int64 // one timestamp for everything written in the transaction
	// writes are the writer's prepared statements (stmt); nil: none.
	writes statements
	events []Event
	// mailQueued: the transaction queued mail, and the mailer is woken
	// once it commits.
	mailQueued bool
	// hooksQueued: the transaction queued webhook deliveries, and their
	// worker is woken once it commits.
	hooksQueued bool
}

// ExecContext runs a statement in the transaction, whatever becomes of ctx.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(context.WithoutCancel(ctx), query, args...)
}

// QueryContext runs a query in the transaction, whatever becomes of ctx.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(context.WithoutCancel(ctx), query, args...)
}

// QueryRowContext runs a one-row query in the transaction, whatever
// becomes of ctx.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// PrepareContext prepares a statement for the transaction, whatever
// becomes of ctx (the statement's own calls take the context given them:
// use the Tx's methods instead).
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return tx.Tx.PrepareContext(context.WithoutCancel(ctx), query)
}

// notify queues an event for publication once the transaction commits.
func (tx *Tx) notify(e Event) { tx.events = append(tx.events, e) }

// timeOrZero turns a nullable Unix time into a time.Time (zero when NULL).
func timeOrZero(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.Unix(v.Int64, 0)
}
