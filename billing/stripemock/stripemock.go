// Package stripemock runs stripe-mock, Stripe's stateless API double, for
// tests. The binary comes from the Go toolchain: go.mod names stripe-mock as
// a tool, so `go tool -n stripe-mock` builds it into the build cache and
// prints its path. Each test gets its own process on loopback ports, killed
// with its process group when the test ends.
//
// May import from this repository: nothing.
package stripemock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvBinary names an environment variable that, when set, points at a
// stripe-mock executable to use instead of building one.
const EnvBinary = "STRIPE_MOCK_BIN"

// modulePath is the tool's package, as named by the tool line in go.mod.
const modulePath = "github.com/stripe/stripe-mock"

// listenPrefix starts the stdout line that carries the chosen HTTP address.
const listenPrefix = "Listening for HTTP at address: "

// startLimit bounds the wait for stripe-mock to say where it listens; it
// usually takes about a second, the limit only stops a hung start.
const startLimit = 2 * time.Minute

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the path of a stripe-mock executable, building it on the
// first call in the process (about 40 s with an empty build cache, about a
// second once cached) and reusing it afterwards.
func Binary() (string, error) {
	buildOnce.Do(func() { binPath, buildErr = locate() })
	return binPath, buildErr
}

// locate finds the binary: $STRIPE_MOCK_BIN, then `go tool -n`, then a plain
// `go build` into a temporary directory.
func locate() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	out, err := exec.Command("go", "tool", "-n", "stripe-mock").Output()
	if p := strings.TrimSpace(string(out)); err == nil && isFile(p) {
		return p, nil
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("wantsms-stripe-mock-%d", os.Getuid()))
	p := filepath.Join(dir, "stripe-mock")
	cmd := exec.Command("go", "build", "-o", p, modulePath)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build stripe-mock: %w: %s", err, msg)
	}
	return p, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Start runs a new stripe-mock bound to 127.0.0.1 only and returns its HTTP
// base URL ("http://127.0.0.1:NNNNN"). The process is killed when tb ends.
// A missing or unbuildable binary fails the test: the tool is pinned in
// go.mod, so its absence is a broken setup, not a reason to skip.
func Start(tb testing.TB) string {
	tb.Helper()
	bin, err := Binary()
	if err != nil {
		tb.Fatalf("stripe-mock: %v", err)
	}
	var stderr strings.Builder
	cmd, stdout, err := startProcess(bin, &limitedWriter{w: &stderr, n: 4096})
	if err != nil {
		tb.Fatalf("start stripe-mock: %v", err)
	}
	tb.Cleanup(func() { stop(cmd) })
	addr, err := waitAddr(stdout)
	if err != nil {
		tb.Fatalf("stripe-mock: %v (stderr: %s)", err, stderr.String())
	}
	return "http://" + addr
}

// startProcess starts the binary, retrying while the system says it is
// busy: with an empty build cache, test binaries of several packages run
// `go tool` at once, and one may still be writing the executable another
// was already told about (ETXTBSY), for a moment.
func startProcess(bin string, stderr io.Writer) (*exec.Cmd, io.Reader, error) {
	deadline := time.Now().Add(startLimit)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
		setGroup(cmd)
		cmd.Stderr = stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		err = cmd.Start()
		if err == nil {
			return cmd, stdout, nil
		}
		if !errors.Is(err, syscall.ETXTBSY) || time.Now().After(deadline) {
			return nil, nil, err
		}
		time.Sleep(wait)
	}
}

// waitAddr reads stdout until the HTTP address line, then keeps draining it
// in the background so stripe-mock never blocks on a full pipe.
func waitAddr(stdout io.Reader) (string, error) {
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), listenPrefix); ok {
				found <- strings.TrimSpace(a)
				break
			}
		}
		close(found)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a, ok := <-found:
		if !ok || a == "" {
			return "", errors.New("exited before printing its HTTP address")
		}
		return a, nil
	case <-time.After(startLimit):
		return "", fmt.Errorf("no HTTP address printed within %v", startLimit)
	}
}

// limitedWriter keeps the first n bytes for an error message and drops the
// rest, so a chatty process cannot grow memory.
type limitedWriter struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := min(len(p), l.n); k > 0 {
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}
