package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// opensshMarker is what the throw-away sshd's forced command prints: the
// OpenSSH session's "dashboard".
const opensshMarker = "wantsms-load: openssh session ready"

// sshdStartWait bounds how long sshd may take to listen.
const sshdStartWait = 10 * time.Second

// errNoSSHD is the OpenSSH comparison's skip reason when sshd is missing.
var errNoSSHD = errors.New("no OpenSSH server binary")

// privsepDir is where a root sshd chroots its pre-authentication child;
// Debian's service creates it at boot, a throw-away run may have to.
const privsepDir = "/run/sshd"

// compareOpenSSH runs the same load against a throw-away OpenSSH server.
func compareOpenSSH(ctx context.Context, c runConfig, accounts []account, log io.Writer) (*Report, error) {
	n := min(c.Load.Sessions, c.OpenSSHCap)
	if n < c.Load.Sessions {
		fmt.Fprintf(log, "OpenSSH comparison at %d sessions (--openssh-sessions)\n", n)
	}
	sshd, err := startSSHD(ctx, c.SSHD, accounts[:min(n, len(accounts))])
	if err != nil {
		return nil, err
	}
	defer sshd.stop()
	cfg := c.Load
	cfg.Sessions = n
	cfg.SMS = smsConfig{} // a forced command has no numbers
	tg := target{Name: "openssh", Addrs: []string{sshd.addr}, User: sshd.user, PIDs: []int{sshd.cmd.Process.Pid},
		Marker: func(account) string { return opensshMarker }}
	rep, err := runLoad(ctx, cfg, tg, accounts, log)
	if err != nil {
		return nil, fmt.Errorf("%w (sshd said: %s)", err, strings.TrimSpace(sshd.stderr.String()))
	}
	return rep, nil
}

// sshdProcess is a running throw-away sshd.
type sshdProcess struct {
	cmd    *exec.Cmd
	dir    string
	addr   string
	user   string
	stderr *lockedBuffer
	exited chan struct{}
}

// startSSHD writes a throw-away configuration (host key, authorized keys,
// forced command) to a temporary directory and starts sshd in the
// foreground on a free loopback port.
func startSSHD(ctx context.Context, bin string, accounts []account) (*sshdProcess, error) {
	if st, err := os.Stat(bin); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%w at %s (Debian: apt-get install openssh-server)", errNoSSHD, bin)
	}
	me, err := user.Current()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	if os.Geteuid() == 0 {
		if err := os.MkdirAll(privsepDir, 0o755); err != nil {
			return nil, fmt.Errorf("sshd privilege separation directory: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "wantsms-load-sshd-")
	if err != nil {
		return nil, fmt.Errorf("sshd directory: %w", err)
	}
	p := &sshdProcess{dir: dir, user: me.Username, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	if err := p.start(ctx, bin, accounts); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

func (p *sshdProcess) start(ctx context.Context, bin string, accounts []account) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	p.addr = net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	if err := writeSSHDFiles(p.dir, port, p.user, accounts); err != nil {
		return err
	}
	config := filepath.Join(p.dir, "sshd_config")
	if out, err := exec.CommandContext(ctx, bin, "-t", "-f", config).CombinedOutput(); err != nil {
		return fmt.Errorf("sshd refuses the throw-away configuration: %v: %s", err, bytes.TrimSpace(out))
	}
	// -D: stay in the foreground as our child; -e: log to stderr.
	p.cmd = exec.Command(bin, "-D", "-e", "-f", config)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start sshd: %w", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitListening(); err != nil {
		p.stop()
		return err
	}
	return nil
}

// waitListening waits until sshd answers with an SSH banner.
func (p *sshdProcess) waitListening() error {
	deadline := time.Now().Add(sshdStartWait)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("sshd exited at start: %s", strings.TrimSpace(p.stderr.String()))
		default:
		}
		if conn, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("sshd not listening on %s after %v", p.addr, sshdStartWait)
}

// stop ends sshd (its sessions are closed by then) and removes its files.
func (p *sshdProcess) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	os.RemoveAll(p.dir)
}

// sshdConfig is the throw-away server's configuration: key-only login of
// the current user from the load keys, a forced command that prints the
// marker and then waits for the connection to close, no PAM (nothing of
// the host's login stack), no limit on connections still in
// authentication (MaxStartups), logs to stderr at ERROR. SHLVL=1 keeps
// Debian's bash from sourcing ~/.bashrc for the forced command (it does
// for shells run by sshd at level 1): a user's shell start-up files
// (pyenv, nvm…) cost hundreds of milliseconds that are not sshd's.
func sshdConfig(dir string, port int, user string) string {
	lines := []string{
		fmt.Sprintf("Port %d", port),
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host_ed25519_key"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"AllowUsers " + user,
		"StrictModes no",
		"UsePAM no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"PermitTTY yes",
		"ForceCommand echo '" + opensshMarker + "'; exec cat >/dev/null",
		"SetEnv SHLVL=1",
		"MaxStartups 100000",
		"LoginGraceTime 60",
		"UseDNS no",
		"PrintMotd no",
		"PrintLastLog no",
		"X11Forwarding no",
		"AllowTcpForwarding no",
		"AllowAgentForwarding no",
		"LogLevel ERROR",
	}
	return strings.Join(lines, "\n") + "\n"
}

func writeSSHDFiles(dir string, port int, user string, accounts []account) error {
	_, host, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("host key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(host, "")
	if err != nil {
		return fmt.Errorf("host key: %w", err)
	}
	var keys bytes.Buffer
	for _, a := range accounts {
		keys.Write(ssh.MarshalAuthorizedKey(a.Signer.PublicKey()))
	}
	files := map[string][]byte{
		"host_ed25519_key": pem.EncodeToMemory(block),
		"authorized_keys":  keys.Bytes(),
		"sshd_config":      []byte(sshdConfig(dir, port, user)),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return fmt.Errorf("sshd file: %w", err)
		}
	}
	return nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer collects a child's stderr while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 {
		return len(p), nil // enough to explain a failure
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
