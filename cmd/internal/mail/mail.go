// Package mail sends WantSMS's account mail: what each mail says (a
// verification code and link, a reset code, security notices, receipts
// and support notices), the worker that drains the store's outbox with
// retries and backoff, the two ways out (SMTP through go-mail, or a
// maildir under the data directory when no SMTP is configured), and the
// pages behind the mails' links (verify an address, unsubscribe).
//
// The store decides what is mailed, in the transaction of the event that
// causes it; this package only delivers. Mails carry no tracking pixel,
// no remote image and no rewritten link: the only links are our own
// verification and unsubscribe pages.
//
// May import from this repository: provider (the names of services and
// countries), store, store/webpage.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"regexp"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/wantsms/wantsms/store"
)

// Config is how mail goes out. The zero value of each field but From,
// Maildir and Site has a default.
type Config struct {
	// SMTPURL is the mail server (--smtp-url, see newSMTP); empty writes
	// every mail to Maildir instead.
	SMTPURL string
	// From is the sender, "Name <address>" or an address (--mail-from).
	From string
	// Maildir is where mails go without SMTP.
	Maildir string
	Site    Site
	// Timeout bounds one delivery (default 30 s). A mail claimed by a
	// worker that died is sent again once twice that has passed.
	Timeout time.Duration
	// RetryBase is the wait after a first failed attempt, doubled after
	// each further one up to RetryMax (defaults 30 s and 1 h).
	RetryBase, RetryMax time.Duration
	// MaxAttempts is how many attempts a mail gets before it is given up
	// and shown to admins (default 10: about three hours of retries).
	MaxAttempts int
	// Poll is how often the outbox is looked at when nothing woke the
	// worker (mail queued by another process, retries due); default 5 s.
	Poll time.Duration
	// TLS replaces the system's trust roots for the mail server (tests).
	TLS *tls.Config
	Log *slog.Logger
}

// Defaults of Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultRetryBase   = 30 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultMaxAttempts = 10
	DefaultPoll        = 5 * time.Second
)

// delivery is one message on its way out.
type delivery struct {
	id        int64
	createdAt time.Time
	msg       *gomail.Msg
}

// sender is a way out: SMTP or the maildir.
type sender interface {
	deliver(ctx context.Context, d delivery) error
	String() string
}

// Worker drains the outbox: it claims a due mail (a lease, so that another
// process never sends it at the same time), delivers it, and records the
// outcome; failures are tried again with a doubling wait and, past their
// attempts or refused for good, given up and left for admins to see.
type Worker struct {
	st     *store.Store
	cfg    Config
	from   *netmail.Address
	out    sender
	sent   atomic.Int64
	retry  atomic.Int64
	failed atomic.Int64
}

// NewWorker checks cfg and prepares the way out; nothing is sent before
// Run.
func NewWorker(st *store.Store, cfg Config) (*Worker, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("--mail-from %q: want an address or \"Name <address>\": %v", cfg.From, err)
	}
	w := &Worker{st: st, cfg: cfg, from: from}
	if cfg.SMTPURL != "" {
		w.out, err = newSMTP(cfg.SMTPURL, cfg.Timeout, cfg.TLS)
	} else {
		w.out, err = newMaildir(cfg.Maildir)
	}
	if err != nil {
		return nil, err
	}
	return w, nil
}

// Describe says where mail goes, for the log.
func (w *Worker) Describe() string { return w.out.String() }

// Stats are the worker's counts since start, for /metrics.
type Stats struct {
	Sent    int64 // delivered
	Retried int64 // attempts that failed and will be tried again
	Failed  int64 // mails given up
}

// Stats reads the counts.
func (w *Worker) Stats() Stats {
	return Stats{Sent: w.sent.Load(), Retried: w.retry.Load(), Failed: w.failed.Load()}
}

// lease is how long a claimed mail is the worker's: two deliveries' time
// and a margin, so that only a dead worker's mail is taken over.
func (w *Worker) lease() time.Duration { return 2*w.cfg.Timeout + 10*time.Second }

// Run delivers due mail until ctx ends: at once when the store says a
// commit queued some, otherwise every Poll. A delivery under way when ctx
// ends is finished and recorded (bounded by Timeout), so a clean shutdown
// sends nothing twice.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Poll)
	defer t.Stop()
	for {
		w.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.st.MailQueued():
		case <-t.C:
		}
	}
}

// drain delivers every mail due now.
func (w *Worker) drain(ctx context.Context) {
	for ctx.Err() == nil {
		m, ok, err := w.st.ClaimMail(ctx, w.lease())
		if err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, store.ErrNotApplied) {
				w.cfg.Log.Error("mail: claim", "err", err)
			}
			return
		}
		if !ok {
			return
		}
		w.deliver(context.WithoutCancel(ctx), m)
	}
}

// deliver sends one claimed mail and records what became of it.
func (w *Worker) deliver(ctx context.Context, m store.Mail) {
	log := w.cfg.Log.With("mail", m.ID, "kind", m.Kind, "attempt", m.Attempt)
	c, err := Compose(m, w.cfg.Site)
	var msg *gomail.Msg
	if err == nil {
		msg, err = message(m, c, w.from, w.st.Now())
	}
	if err != nil {
		log.Error("mail: cannot be written", "err", unnamed(err, m.To))
		w.record(ctx, log, w.st.GiveUpMail(ctx, m.ID, m.Attempt, err.Error()))
		w.failed.Add(1)
		return
	}
	sctx, cancel := context.WithTimeout(ctx, w.cfg.Timeout)
	err = w.out.deliver(sctx, delivery{id: m.ID, createdAt: m.CreatedAt, msg: msg})
	cancel()
	switch {
	case err == nil:
		w.record(ctx, log, w.st.MailSent(ctx, m.ID, m.Attempt, c.Subject))
		w.sent.Add(1)
		log.Info("mail sent", "via", w.out.String())
	case permanent(err) || m.Attempt >= w.cfg.MaxAttempts:
		w.record(ctx, log, w.st.GiveUpMail(ctx, m.ID, m.Attempt, err.Error()))
		w.failed.Add(1)
		log.Error("mail given up", "err", unnamed(err, m.To))
	default:
		wait := w.backoff(m.Attempt)
		w.record(ctx, log, w.st.RetryMail(ctx, m.ID, m.Attempt, err.Error(), w.st.Now().Add(wait)))
		w.retry.Add(1)
		log.Warn("mail not sent; trying again", "in", wait, "err", unnamed(err, m.To))
	}
}

// record logs a failure to write an outcome: the mail is then taken again
// once its lease ends (sent twice, if it was sent).
func (w *Worker) record(_ context.Context, log *slog.Logger, err error) {
	if err != nil {
		log.Error("mail: record the outcome (the mail will be taken again after its lease)", "err", err)
	}
}

// unnamed is an error's text without the recipient's address, which mail
// servers like to quote: logs hold no email (the outbox row, which names
// the recipient anyway, keeps the whole answer).
func unnamed(err error, addr string) string {
	return regexp.MustCompile(`(?i)`+regexp.QuoteMeta(addr)).ReplaceAllLiteralString(err.Error(), "[recipient]")
}

// backoff is the wait after the attempt-th failed attempt.
func (w *Worker) backoff(attempt int) time.Duration {
	d := w.cfg.RetryBase
	for i := 1; i < attempt && d < w.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, w.cfg.RetryMax)
}
