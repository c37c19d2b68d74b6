package provider

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(Rate{Every: time.Minute, Burst: 3}, func() time.Time { return now })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for i := range 3 {
		if err := l.Wait(ctx); err != nil {
			t.Fatalf("burst call %d: %v", i, err)
		}
	}
	if err := l.Wait(ctx); !errors.Is(err, errRateLimited) {
		t.Fatalf("4th call: %v", err)
	}
	now = now.Add(time.Minute)
	if err := l.Wait(ctx); err != nil {
		t.Fatalf("after a minute: %v", err)
	}
	if err := l.Wait(ctx); !errors.Is(err, errRateLimited) {
		t.Fatalf("only one token back: %v", err)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if err := l.Wait(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	if err := (*Limiter)(nil).Wait(context.Background()); err != nil {
		t.Fatal("nil limiter limits")
	}
	if err := NewLimiter(Rate{}, nil).Wait(context.Background()); err != nil {
		t.Fatal("zero rate limits")
	}
}

// Three instances sharing one upstream account take a third of its budget
// each: a third of the burst, a request every three periods; back alone,
// the whole of it.
func TestLimiterShare(t *testing.T) {
	now := time.Unix(0, 0)
	l := NewLimiter(Rate{Every: time.Minute, Burst: 6}, func() time.Time { return now })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.Share(3)
	for i := range 2 {
		if err := l.Wait(ctx); err != nil {
			t.Fatalf("burst call %d of a third: %v", i, err)
		}
	}
	if err := l.Wait(ctx); !errors.Is(err, errRateLimited) {
		t.Fatalf("3rd call of a third of a burst of 6: %v", err)
	}
	now = now.Add(time.Minute)
	if err := l.Wait(ctx); !errors.Is(err, errRateLimited) {
		t.Fatalf("a third of the rate gave a request back after one period: %v", err)
	}
	now = now.Add(2 * time.Minute)
	if err := l.Wait(ctx); err != nil {
		t.Fatalf("after three periods: %v", err)
	}
	l.Share(1)
	now = now.Add(time.Hour)
	for i := range 6 {
		if err := l.Wait(ctx); err != nil {
			t.Fatalf("burst call %d alone again: %v", i, err)
		}
	}
	l.Share(0) // as 1
	NewLimiter(Rate{}, nil).Share(2)
}
