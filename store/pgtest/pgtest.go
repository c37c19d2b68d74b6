// Package pgtest starts a throw-away PostgreSQL cluster for tests: initdb
// in a temporary directory, then postgres itself listening only on a Unix
// socket in that directory (no port to collide with another test run),
// with settings that trade durability for speed. Tests get a fresh
// database each, copied from a template (CREATE DATABASE … TEMPLATE).
//
// The binaries are Debian's PostgreSQL 15 (initdb, postgres) found in
// /usr/local/bin, /usr/lib/postgresql/15/bin or on PATH. Start fails with
// ErrNoBinaries when they are absent, for a caller to skip with a clear
// message; WANTSMS_REQUIRE_POSTGRES=1 (CI) turns that skip into a failure.
// Run as root (CI containers), the cluster belongs to the "postgres"
// account, as initdb refuses root.
//
// The postgres process dies with the test process (it is its child, and
// is told so by the kernel), so a test binary killed half-way leaves no
// server running; its directory is removed by Stop.
//
// May import from this repository: nothing.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// ErrNoBinaries is Start's error when PostgreSQL is not installed.
var ErrNoBinaries = errors.New("PostgreSQL 15 binaries (initdb, postgres) not found in /usr/local/bin, " +
	"/usr/lib/postgresql/15/bin or PATH: install Debian's postgresql-15 package to run the PostgreSQL tests")

// Required reports whether a missing PostgreSQL must fail the tests rather
// than skip them (WANTSMS_REQUIRE_POSTGRES=1, set by CI).
func Required() bool { return os.Getenv("WANTSMS_REQUIRE_POSTGRES") == "1" }

var binDirs = []string{"/usr/local/bin", "/usr/lib/postgresql/15/bin"}

// binaries finds the directory holding initdb and postgres.
func binaries() (string, error) {
	for _, d := range binDirs {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && isExec(filepath.Join(filepath.Dir(p), "postgres")) {
		return filepath.Dir(p), nil
	}
	return "", ErrNoBinaries
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Cluster is a running throw-away PostgreSQL.
type Cluster struct {
	dir    string // data/ and the socket
	server *exec.Cmd
	exited chan struct{}
	admin  *sql.DB // to the "postgres" database, for CREATE and DROP DATABASE
	n      atomic.Int64
}

// Start creates and starts a cluster in a new temporary directory.
func Start() (*Cluster, error) {
	bin, err := binaries()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "wantsms-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &Cluster{dir: dir, exited: make(chan struct{})}
	cred, err := c.owner()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "--pgdata", data, "--username", "postgres",
		"--auth", "trust", "--encoding", "UTF8", "--locale", "C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	c.server = exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=", "-c", "unix_socket_directories="+dir, "-c", "port=5432",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200", "-c", "shared_buffers=32MB", "-c", "log_min_messages=fatal",
		"-c", "logging_collector=off")
	log, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	defer log.Close()
	c.server.Stdout, c.server.Stderr = log, log
	// SIGINT is PostgreSQL's fast shutdown: it ends with the test process.
	c.server.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT}
	if err := c.server.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: start postgres: %w", err)
	}
	go func() { c.server.Wait(); close(c.exited) }()
	if err := c.waitReady(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// owner makes the directory the "postgres" account's when running as root
// and returns the credential to run the binaries with (nil otherwise).
func (c *Cluster) owner() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, and initdb refuses root: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(c.dir, uid, gid); err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// waitReady waits until the server answers (at most a minute).
func (c *Cluster) waitReady() error {
	db, err := sql.Open("pgx", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			c.admin = db
			return nil
		}
		select {
		case <-c.exited:
			db.Close()
			return fmt.Errorf("pgtest: postgres exited: %s", c.serverLog())
		default:
		}
		if time.Now().After(deadline) {
			db.Close()
			return fmt.Errorf("pgtest: postgres not ready after a minute: %w\n%s", err, c.serverLog())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *Cluster) serverLog() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return strings.TrimSpace(string(b))
}

// URL is the database's postgres:// URL (over the cluster's socket).
func (c *Cluster) URL(database string) string {
	return "postgres://postgres@/" + database + "?host=" + c.dir + "&sslmode=disable"
}

// CreateDatabase creates an empty database, or a copy of template when it
// is not "", and returns its name.
func (c *Cluster) CreateDatabase(template string) (string, error) {
	name := fmt.Sprintf("t%d", c.n.Add(1))
	q := `CREATE DATABASE ` + name
	if template != "" {
		q += ` TEMPLATE ` + template
	}
	if _, err := c.admin.Exec(q); err != nil {
		return "", fmt.Errorf("pgtest: %s: %w", q, err)
	}
	return name, nil
}

// DropDatabase drops a database, ending whatever still uses it.
func (c *Cluster) DropDatabase(name string) error {
	if _, err := c.admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
		return fmt.Errorf("pgtest: drop database %s: %w", name, err)
	}
	return nil
}

// Stop shuts the server down and removes its directory.
func (c *Cluster) Stop() error {
	if c.admin != nil {
		c.admin.Close()
	}
	var err error
	if c.server != nil && c.server.Process != nil {
		_ = c.server.Process.Signal(syscall.SIGINT)
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			_ = c.server.Process.Kill()
			<-c.exited
			err = errors.New("pgtest: postgres did not stop within 30 s; killed")
		}
	}
	return errors.Join(err, os.RemoveAll(c.dir))
}
