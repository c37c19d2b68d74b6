package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/netaddr"
)

// Config tunes the worker. The zero value is ready for production use:
// public addresses only.
type Config struct {
	// AllowPrivate lets deliveries reach addresses that are not public
	// (--webhook-allow-private): loopback, private networks, link-local.
	AllowPrivate bool
	// Timeout bounds one post, from dialling to the answer's end (default
	// 10 s). A delivery claimed by a worker that died is posted again
	// once twice that and 5 s have passed.
	Timeout time.Duration
	// RetryBase is the wait after a first failed attempt, doubled after
	// each further one up to RetryMax (defaults 30 s and 1 h); no attempt
	// is scheduled later than Window after the event (default
	// store.WebhookRetryWindow): then the delivery is given up.
	RetryBase, RetryMax, Window time.Duration
	// Poll is how often the queue is looked at when nothing woke the
	// worker (retries coming due); default 2 s.
	Poll time.Duration
	// Posts is how many deliveries are under way at once (default 4): a
	// slow receiver holds one, not everyone's.
	Posts int
	Log   *slog.Logger
}

// Defaults of Config.
const (
	DefaultTimeout   = 10 * time.Second
	DefaultRetryBase = 30 * time.Second
	DefaultRetryMax  = time.Hour
	DefaultPoll      = 2 * time.Second
	DefaultPosts     = 4
)

// Worker drains the store's webhook queue: it claims a due delivery (a
// lease, so that no other process posts it meanwhile), posts it, and
// records the answer; a failure is tried again on a doubling wait until
// the window after the event closes, then given up and shown to the
// person with the last answer.
type Worker struct {
	st     *store.Store
	cfg    Config
	client *http.Client

	delivered atomic.Int64
	retried   atomic.Int64
	failed    atomic.Int64
}

// New prepares the worker; nothing is posted before Run or DeliverDue.
func New(st *store.Store, cfg Config) *Worker {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.Window <= 0 {
		cfg.Window = store.WebhookRetryWindow
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Posts <= 0 {
		cfg.Posts = DefaultPosts
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Worker{st: st, cfg: cfg, client: newClient(netaddr.Guard{AllowPrivate: cfg.AllowPrivate}, cfg.Timeout)}
}

// Stats are the worker's counts since start, for /metrics.
type Stats struct {
	Delivered int64 // attempts answered with a 2xx
	Retried   int64 // attempts that failed and will be tried again
	Failed    int64 // deliveries given up
}

// Stats reads the counts.
func (w *Worker) Stats() Stats {
	return Stats{Delivered: w.delivered.Load(), Retried: w.retried.Load(), Failed: w.failed.Load()}
}

// lease is how long a claimed delivery is the worker's: two posts' time
// and a margin, so that only a dead worker's delivery is taken over.
func (w *Worker) lease() time.Duration { return 2*w.cfg.Timeout + 5*time.Second }

// Run delivers until ctx ends: at once when the store says a commit
// queued deliveries, otherwise every Poll, up to Posts at a time. Posts
// under way when ctx ends are finished and recorded (each bounded by
// Timeout), so a clean shutdown posts nothing twice.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	slots := make(chan struct{}, w.cfg.Posts)
	freed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		w.drain(ctx, slots, freed, &wg)
		select {
		case <-ctx.Done():
			return
		case <-w.st.WebhooksQueued():
		case <-freed:
		case <-t.C:
		}
	}
}

// drain starts a post for each delivery due now while a slot is free.
func (w *Worker) drain(ctx context.Context, slots chan struct{}, freed chan struct{}, wg *sync.WaitGroup) {
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		default:
			return // every slot busy: a post ending says so on freed
		}
		d, ok := w.claim(ctx)
		if !ok {
			<-slots
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.deliver(context.WithoutCancel(ctx), d)
			<-slots
			select {
			case freed <- struct{}{}:
			default:
			}
		}()
	}
}

// DeliverDue posts, one after the other, every delivery due now and
// reports how many attempts it made: what Run does, without waiting for
// anything (tests, on the store's clock).
func (w *Worker) DeliverDue(ctx context.Context) int {
	n := 0
	for ctx.Err() == nil {
		d, ok := w.claim(ctx)
		if !ok {
			return n
		}
		w.deliver(ctx, d)
		n++
	}
	return n
}

func (w *Worker) claim(ctx context.Context) (store.Delivery, bool) {
	d, ok, err := w.st.ClaimDelivery(ctx, w.lease())
	if err != nil {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, store.ErrNotApplied) {
			w.cfg.Log.Error("webhook: claim", "err", err)
		}
		return d, false
	}
	return d, ok
}

// deliver posts one claimed delivery and records what became of it.
func (w *Worker) deliver(ctx context.Context, d store.Delivery) {
	log := w.cfg.Log.With("webhook", d.WebhookID, "event", d.EventID, "type", d.Event, "attempt", d.Attempt)
	var a store.Attempt
	body, err := Body(d)
	switch {
	case d.Secret == "":
		a.Answer = "not sent: the account has no signing secret"
	case err != nil:
		a.Answer = "not sent: " + err.Error()
	default:
		pctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
		a = w.post(pctx, d, body, w.st.Now())
		cancel()
	}
	switch {
	case a.Delivered:
		w.delivered.Add(1)
		log.Debug("webhook delivered", "status", a.HTTPStatus)
	case d.Secret != "" && err == nil:
		next := w.st.Now().Add(w.backoff(d.Attempt))
		if !next.After(d.CreatedAt.Add(w.cfg.Window)) {
			a.RetryAt = next
			w.retried.Add(1)
			log.Info("webhook not delivered; trying again", "status", a.HTTPStatus, "at", next.UTC())
			break
		}
		fallthrough
	default:
		w.failed.Add(1)
		log.Warn("webhook given up", "status", a.HTTPStatus, "answer", a.Answer)
	}
	if err := w.st.RecordAttempt(ctx, d.ID, d.Attempt, a); err != nil {
		log.Error("webhook: record the outcome (the delivery is taken again after its lease)", "err", err)
	}
}

// backoff is the wait after the attempt-th failed attempt.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.cfg.RetryBase
	for i := 1; i < attempt && d < w.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, w.cfg.RetryMax)
}
