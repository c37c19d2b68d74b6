package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Rate is a request budget: one request per Every, with bursts of up to
// Burst at once. The zero Rate is unlimited.
type Rate struct {
	Every time.Duration
	Burst int
}

// errRateLimited: waiting for the budget would outlast the caller's
// deadline.
var errRateLimited = errors.New("rate limit: would wait past the deadline")

// Limiter is a token bucket (in its GCRA form: one "theoretical arrival
// time" instead of a token count). Safe for concurrent use.
type Limiter struct {
	base Rate // the whole budget
	now  func() time.Time
	mu   sync.Mutex
	rate Rate      // this process's share of base (Share)
	tat  time.Time // when the bucket is next full again
}

// NewLimiter makes a Limiter; now is the clock (time.Now when nil).
func NewLimiter(r Rate, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	if r.Burst < 1 {
		r.Burst = 1
	}
	return &Limiter{base: r, rate: r, now: now}
}

// Share makes the limiter allow one n-th of its budget, bursts included
// (at least one request): n processes spend one upstream account's budget
// together, each its share. n below 1 counts as 1.
func (l *Limiter) Share(n int) {
	if l == nil || l.base.Every <= 0 {
		return
	}
	n = max(n, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rate = Rate{Every: l.base.Every * time.Duration(n), Burst: max(1, l.base.Burst/n)}
}

// Wait blocks until a request may go, or fails at once when that would
// be after ctx's deadline, or when ctx ends first.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil || l.base.Every <= 0 {
		return ctx.Err()
	}
	wait, err := l.reserve(ctx)
	if err != nil || wait <= 0 {
		return err
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reserve takes the next slot and says how long until it comes.
func (l *Limiter) reserve(ctx context.Context) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tat := l.tat
	if tat.Before(now) {
		tat = now
	}
	tolerance := time.Duration(l.rate.Burst-1) * l.rate.Every
	wait := tat.Sub(now) - tolerance
	// the deadline is wall-clock time even when l.now is not
	if dl, ok := ctx.Deadline(); ok && wait > 0 && wait > time.Until(dl) {
		return 0, fmt.Errorf("%w (%v)", errRateLimited, wait.Round(time.Millisecond))
	}
	l.tat = tat.Add(l.rate.Every)
	return wait, nil
}
