package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to hold the writer lock from outside
	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// hostKeyOf is the host key the SSH server at addr presents to a real
// client, which records it as known_hosts would on first contact.
func hostKeyOf(t *testing.T, addr string) ssh.PublicKey {
	t.Helper()
	var got ssh.PublicKey
	record := func(_ string, _ net.Addr, key ssh.PublicKey) error { got = key; return nil }
	dialWithHostKey(t, addr, record)
	return got
}

// dialWithHostKey connects to addr with a fresh key, checking the host
// key with check (the handshake fails when check refuses), and leaves.
func dialWithHostKey(t *testing.T, addr string, check ssh.HostKeyCallback) {
	t.Helper()
	c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "someone", Timeout: testenv.Wait,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(testenv.NewKey(t))}, HostKeyCallback: check})
	if err != nil {
		t.Fatalf("ssh to %s: %v", addr, err)
	}
	c.Close()
}

func onDatabase(url string) func(*service.Config) {
	return func(c *service.Config) { c.DatabaseURL = url }
}

// Instances sharing one PostgreSQL database present one host key, so a
// person who trusted it on one instance (known_hosts) is let in by every
// other without a warning: two started at the same moment agree on it, and
// one started later, with a data directory of its own, presents it too.
func TestInstancesShareTheHostKey(t *testing.T) {
	_, url := testenv.Postgres(t)
	envs := testenv.StartTogether(t, 2, onDatabase(url))
	known := hostKeyOf(t, envs[0].Svc.SSHAddr())
	strict := ssh.FixedHostKey(known) // known_hosts after the first visit
	dialWithHostKey(t, envs[1].Svc.SSHAddr(), strict)
	later := testenv.Start(t, onDatabase(url))
	dialWithHostKey(t, later.Svc.SSHAddr(), strict)
	// Nothing was written to the data directories: the key is the database's.
	for _, e := range append(envs, later) {
		if _, err := os.Stat(filepath.Join(e.Dir, service.HostKeyFile)); !os.IsNotExist(err) {
			t.Errorf("a host key file was made in %s: %v", e.Dir, err)
		}
	}
	// A restart keeps it.
	later.Restart()
	dialWithHostKey(t, later.Svc.SSHAddr(), strict)
}

// --host-key-file is the key every instance presents, on PostgreSQL (over
// the database's) as on SQLite.
func TestHostKeyFileIsPresented(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "host_key")
	pem, err := os.ReadFile(writeHostKey(t, keyFile))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	strict := ssh.FixedHostKey(signer.PublicKey())
	withFile := func(c *service.Config) { c.HostKeyFile = keyFile }
	dialWithHostKey(t, testenv.Start(t, withFile).Svc.SSHAddr(), strict)
	_, url := testenv.Postgres(t)
	dialWithHostKey(t, testenv.Start(t, withFile, onDatabase(url)).Svc.SSHAddr(), strict)

	// A missing file is refused, with the way to make one.
	cfg := service.Config{DataDir: t.TempDir(), SSHAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		HostKeyFile: filepath.Join(t.TempDir(), "missing")}
	if svc, err := service.Start(cfg); err == nil {
		svc.Shutdown(context.Background())
		t.Fatal("a missing --host-key-file was accepted")
	} else if !strings.Contains(err.Error(), "ssh-keygen") {
		t.Fatalf("missing key file: %v", err)
	}
}

// writeHostKey starts and stops a SQLite service whose data directory
// makes a key, and moves that key to path.
func writeHostKey(t *testing.T, path string) string {
	t.Helper()
	env := testenv.Start(t)
	env.Stop()
	if err := os.Rename(filepath.Join(env.Dir, service.HostKeyFile), path); err != nil {
		t.Fatal(err)
	}
	return path
}

// health is GET /healthz: status and decoded body.
func health(t *testing.T, env *testenv.Env) (int, map[string]string) {
	t.Helper()
	c := http.Client{Timeout: testenv.Wait}
	res, err := c.Get("http://" + env.Svc.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var body map[string]string
	if err := json.Unmarshal(raw, &body); err != nil || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("healthz answered %q (%s): %v", raw, res.Header.Get("Content-Type"), err)
	}
	return res.StatusCode, body
}

// /healthz says whether the instance reaches its database: 200 while it
// does (also while another instance holds the writer lock, so a busy
// neighbour does not take it out of rotation), 503 once PostgreSQL is
// gone.
func TestHealthzSaysWhetherTheDatabaseAnswers(t *testing.T) {
	if status, body := health(t, testenv.Start(t)); status != http.StatusOK || body["database"] != "ok" {
		t.Fatalf("SQLite: %d %v", status, body)
	}
	cluster, url := testenv.Postgres(t)
	env := testenv.Start(t, onDatabase(url))
	if status, body := health(t, env); status != http.StatusOK || body["status"] != "ok" || body["database"] != "ok" {
		t.Fatalf("PostgreSQL: %d %v", status, body)
	}

	// Another instance's write holds the writer lock; this instance's
	// next write waits for it on its writer connection.
	ctx := context.Background()
	other, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	holder, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The key of store/dialect.go's pgWriterLock: the wait below sees this
	// instance queue behind it only if it is the same lock.
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock(6295767051127591201)`); err != nil {
		t.Fatal(err)
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		// Refused after the lock timeout if the test is slow: only the wait matters.
		_, _ = env.Store().CreateUser(ctx, "queued@example.com", "correct horse", store.Origin{})
	}()
	deadline := time.Now().Add(testenv.Wait)
	for waiting := 0; waiting == 0; {
		if err := other.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).
			Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the instance's write never queued behind the writer lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	status, body := health(t, env)
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock(6295767051127591201)`); err != nil {
		t.Fatal(err)
	}
	holder.Close()
	<-wrote
	if status != http.StatusOK {
		t.Fatalf("healthz while another instance writes: %d %v", status, body)
	}

	// PostgreSQL stops: the instance says it cannot reach its database.
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	if status, body := health(t, env); status != http.StatusServiceUnavailable || body["status"] != "unavailable" ||
		body["database"] != "unreachable" {
		t.Fatalf("healthz with PostgreSQL stopped: %d %v", status, body)
	}
}
