package crashtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is the WantSMS child process, started again and again on the
// same data directory and ports.
type server struct {
	command  func(args ...string) *exec.Cmd
	args     []string
	env      []string
	sshAddr  string
	httpAddr string
	logPath  string

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current process has exited
	killed  bool          // the current process was killed by us
	starts  int
	failure string          // set when a process ended on its own
	began   time.Time       // the current process's start
	first   time.Time       // the first process's start
	readyAt bool            // the current process has answered its health check
	ups     []time.Duration // start to health check, per process that got there
	kills   []time.Time     // when each SIGKILL was sent
}

// freeAddr finds a loopback port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs a new server process; it returns once the process exists.
func (s *server) start(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure != "" {
		t.Fatalf("%s\n%s", s.failure, s.logTailLocked())
	}
	log, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s.starts++
	if s.starts == 1 {
		s.first = time.Now()
	}
	fmt.Fprintf(log, "\n===== start %d at %s\n", s.starts, time.Now().Format(time.RFC3339Nano))
	cmd := s.command(s.args...)
	cmd.Env = append(cmd.Environ(), s.env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		t.Fatalf("start server: %v", err)
	}
	s.cmd, s.killed, s.exited = cmd, false, make(chan struct{})
	s.began, s.readyAt = time.Now(), false
	exited, n := s.exited, s.starts
	go func() {
		err := cmd.Wait()
		log.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.killed && s.failure == "" {
			s.failure = fmt.Sprintf("server start %d ended on its own: %v", n, err)
		}
		close(exited)
	}()
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	if s.failure != "" {
		s.mu.Unlock()
		t.Fatalf("%s\n%s", s.failure, s.logTail())
	}
	s.killed = true
	s.kills = append(s.kills, time.Now())
	s.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill server: %v", err)
	}
	<-exited
}

// killedBetween reports whether a SIGKILL was sent between from and to.
func (s *server) killedBetween(from, to time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.kills {
		if !k.Before(from) && !k.After(to) {
			return true
		}
	}
	return false
}

// abandon kills a server still running when the test ends early.
func (s *server) abandon() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.killed = true
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// stop asks the server to shut down (SIGTERM) and reports how it ended.
func (s *server) stop(timeout time.Duration) error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.killed = true // an exit is expected now
	s.mu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM: %w", err)
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("no clean exit within %v after SIGTERM", timeout)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("exit status %d after SIGTERM", code)
	}
	return nil
}

// ready reports whether the server answers its health check now.
func (s *server) ready() bool {
	c := http.Client{Timeout: time.Second}
	res, err := c.Get("http://" + s.httpAddr + "/healthz")
	if err != nil {
		return false
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.readyAt {
		s.readyAt = true
		s.ups = append(s.ups, time.Since(s.began))
	}
	return true
}

// readyTimes are the start-to-health-check times seen so far.
func (s *server) readyTimes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.ups)
}

// waitReady waits for the health check, or for the process to end.
func (s *server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !s.ready() {
		s.mu.Lock()
		failure := s.failure
		s.mu.Unlock()
		if failure != "" {
			return errors.New(failure)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// logTail is the end of the servers' combined output, for failures.
func (s *server) logTail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked()
}

func (s *server) logTailLocked() string {
	b, _ := os.ReadFile(s.logPath)
	const keep = 6000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return "--- server output (" + filepath.Base(s.logPath) + ", end) ---\n" + string(b)
}

// raceReports returns the data races the servers reported, if any (the
// test binary runs them under -race in CI).
func (s *server) raceReports() string {
	b, _ := os.ReadFile(s.logPath)
	i := bytes.Index(b, []byte("WARNING: DATA RACE"))
	if i < 0 {
		return ""
	}
	return string(b[i:min(len(b), i+8000)])
}

// flagArgs turns name/value pairs into --name=value arguments.
func flagArgs(pairs ...string) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, "--"+pairs[i]+"="+pairs[i+1])
	}
	return out
}

// firstStart is when the first server process started.
func (s *server) firstStart() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}
