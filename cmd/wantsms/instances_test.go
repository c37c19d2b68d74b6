package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
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

// logLines keeps what an instance logs, one "message k=v …" a line.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool {
		line += " " + a.String()
		return true
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	return nil
}

// count counts the lines that start with prefix.
func (l *logLines) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}

// wait waits until at least n lines start with prefix.
func (l *logLines) wait(t *testing.T, prefix string, n int) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for l.count(prefix) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d lines %q logged, want %d", l.count(prefix), prefix, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two instances on one PostgreSQL purge as one: while the first runs, the
// second never purges; once the first stops, the second takes over. Each
// takes its share of the upstream budgets while both run.
func TestInstancesPurgeOnce(t *testing.T) {
	url := postgresURL(t)
	start := func(l *logLines) *testenv.Env {
		return testenv.Start(t, func(cfg *service.Config) {
			cfg.DatabaseURL, cfg.PurgeInterval, cfg.Log = url, 20*time.Millisecond, slog.New(l)
		})
	}
	var la, lb logLines
	a := start(&la)
	la.wait(t, "purge ", 1)
	start(&lb)
	la.wait(t, "purge ", la.count("purge ")+5)
	if n := lb.count("purge "); n != 0 {
		t.Fatalf("b purged %d times while a was purging", n)
	}
	// Meanwhile each took half the upstream request budgets.
	la.wait(t, "upstream request budgets shared instances=2", 1)
	lb.wait(t, "upstream request budgets shared instances=2", 1)
	a.Stop()
	lb.wait(t, "purge ", 1)
	lb.wait(t, "upstream request budgets shared instances=1", 1)
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
