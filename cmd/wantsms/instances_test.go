package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/crashtest"
	"github.com/wantsms/wantsms/cmd/internal/mail/smtptest"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

// crashChild is the command that runs this test binary as `wantsms ARGS`.
func crashChild(t *testing.T) func(args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) *exec.Cmd {
		cmd := exec.Command(exe, args...)
		cmd.Env = append(os.Environ(), crashChildEnv+"=1")
		return cmd
	}
}

// Two instances on one PostgreSQL: a number reserved on the one that
// watches the open numbers, that one killed with SIGKILL; the other takes
// over and refunds the number at its end, exactly once.
func TestInstancesTakeOverAfterSIGKILL(t *testing.T) {
	rep := crashtest.KillLeader(t, crashChild(t), postgresURL(t))
	t.Logf("reservation %d ended %s, %v after the kill, %d refund", rep.Reservation, rep.State,
		rep.Ended.Round(time.Millisecond), rep.Refunds)
}

// purgeCount counts an instance's purges from its log.
type purgeCount struct{ n atomic.Int64 }

func (p *purgeCount) Enabled(context.Context, slog.Level) bool { return true }
func (p *purgeCount) WithAttrs([]slog.Attr) slog.Handler       { return p }
func (p *purgeCount) WithGroup(string) slog.Handler            { return p }
func (p *purgeCount) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "purge" {
		p.n.Add(1)
	}
	return nil
}

// waitCount waits until c reaches n.
func waitCount(t *testing.T, what string, c *atomic.Int64, n int64) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for c.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d", what, c.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two instances on one PostgreSQL purge as one: while the first runs, the
// second never purges; once the first stops, the second takes over.
func TestInstancesPurgeOnce(t *testing.T) {
	url := postgresURL(t)
	start := func(c *purgeCount) *testenv.Env {
		return testenv.Start(t, func(cfg *service.Config) {
			cfg.DatabaseURL, cfg.PurgeInterval, cfg.Log = url, 20*time.Millisecond, slog.New(c)
		})
	}
	var ca, cb purgeCount
	a := start(&ca)
	waitCount(t, "a's purges", &ca.n, 1)
	start(&cb)
	waitCount(t, "a's purges with b running", &ca.n, ca.n.Load()+5)
	if n := cb.n.Load(); n != 0 {
		t.Fatalf("b purged %d times while a was purging", n)
	}
	a.Stop()
	waitCount(t, "b's purges once a stopped", &cb.n, 1)
}

// Two instances on one PostgreSQL, both sending mail to one SMTP server,
// mails queued on both at once: each mail is delivered exactly once.
func TestInstancesSendEachMailOnce(t *testing.T) {
	url := postgresURL(t)
	srv := smtptest.Start(t)
	withDB := func(cfg *service.Config) { cfg.DatabaseURL = url }
	envs := []*testenv.Env{testenv.Start(t, withDB, testenv.WithSMTP(srv)), testenv.Start(t, withDB, testenv.WithSMTP(srv))}
	const people = 16
	const mails = 2 * people // each: the address to verify, the key linked
	var wg sync.WaitGroup
	for i := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			envs[i%2].NewUnverifiedUser(fmt.Sprintf("once%d@example.com", i))
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(testenv.Wait)
	for len(srv.Messages()) < mails && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, e := range envs {
		e.Stop() // waits for every delivery under way
	}
	got := map[string]int{}
	for _, m := range srv.Messages() {
		got[m.Header.Get("Message-Id")]++
	}
	if len(got) != mails {
		t.Errorf("%d mails delivered, want %d", len(got), mails)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("mail %s delivered %d times, want once", id, n)
		}
	}
}
