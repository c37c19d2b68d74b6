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
