package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSSHDConfigIsThrowAway(t *testing.T) {
	cfg := sshdConfig("/tmp/x", 40000, "alice")
	for _, want := range []string{
		"Port 40000", "ListenAddress 127.0.0.1", "AllowUsers alice", "UsePAM no", "PasswordAuthentication no",
		"AuthorizedKeysFile /tmp/x/authorized_keys", "HostKey /tmp/x/host_ed25519_key", "SetEnv SHLVL=1",
		"ForceCommand echo '" + opensshMarker + "'",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
}

// With OpenSSH installed, the comparison runs for real: sshd accepts the
// load keys, its forced command shows the marker, its processes are
// measured, and it is gone afterwards.
func TestCompareOpenSSHWhenInstalled(t *testing.T) {
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skip("OpenSSH server not installed (apt-get install openssh-server)")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no shell for the forced command")
	}
	accounts, err := generateAccounts(nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	c := runConfig{SSHD: sshd, OpenSSHCap: 2, Load: loadConfig{Sessions: 3, Rate: 100, Timeout: 20 * time.Second, Client: clientStream}}
	rep, err := compareOpenSSH(t.Context(), c, accounts, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Target != "openssh" || rep.Sessions != 2 || rep.Held != 2 || len(rep.Errors) != 0 {
		t.Errorf("report %+v; want 2 sessions held (the cap), no errors", rep)
	}
	if rep.Memory.Processes < 3 || rep.Memory.PSSPerSession <= 0 {
		t.Errorf("memory %+v; want sshd and its session processes measured", rep.Memory)
	}
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), "wantsms-load-sshd-*"))
	if len(left) != 0 {
		t.Errorf("throw-away files left: %v", left)
	}
}
