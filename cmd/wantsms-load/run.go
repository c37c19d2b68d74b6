package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Defaults of `run`. The rate is the aim (100 new connections a
// second); the hold is long enough to catch timers that fire every few
// seconds, short enough for a quick look (use 5m for the headline runs).
const (
	defaultRate     = 100
	defaultHold     = 30 * time.Second
	defaultSettle   = 5 * time.Second
	defaultBaseline = 3 * time.Second
	defaultTimeout  = 30 * time.Second
	// defaultOpenSSHCap bounds the OpenSSH comparison: every OpenSSH
	// session is three processes and a kernel PTY, and kernel.pty.max is
	// 4096 here, so comparing at 10,000 is not possible.
	defaultOpenSSHCap = 1000
)

// runConfig is what `wantsms-load run` was asked to do.
type runConfig struct {
	Addr           string
	User           string
	KeysFile       string
	ServerPID      int
	JSON           bool
	CompareOpenSSH bool
	OpenSSHCap     int
	SSHD           string
	Load           loadConfig
}

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseRun(args, stderr)
	if err != nil {
		return err
	}
	c.Load.Progress = stderr
	out, err := execute(ctx, c, stderr)
	if err != nil {
		return err
	}
	if c.JSON {
		err = writeJSON(stdout, out)
	} else {
		err = writeTable(stdout, out)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	for _, r := range out.Runs {
		if len(r.Errors) > 0 || r.Interrupted {
			return errHadErrors
		}
	}
	return nil
}

func parseRun(args []string, stderr io.Writer) (runConfig, error) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c runConfig
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:2222", "SSH address of the running WantSMS")
	fs.StringVar(&c.User, "user", "load", "SSH user name (WantSMS ignores it)")
	fs.StringVar(&c.KeysFile, "keys", "wantsms-load.keys", "keys file written by seed")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "process to measure (default: the one listening on --addr's port)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&c.CompareOpenSSH, "compare-openssh", false,
		"then run the same load against a throw-away OpenSSH server on loopback")
	fs.IntVar(&c.OpenSSHCap, "openssh-sessions", defaultOpenSSHCap, "most sessions for the OpenSSH comparison")
	fs.StringVar(&c.SSHD, "sshd", "/usr/sbin/sshd", "OpenSSH server binary for --compare-openssh")
	l := &c.Load
	fs.IntVar(&l.Sessions, "sessions", 100, "concurrent sessions to open and hold")
	fs.Float64Var(&l.Rate, "rate", defaultRate, "new sessions per second while ramping up")
	fs.DurationVar(&l.Hold, "hold", defaultHold, "how long all sessions are held (and idle CPU measured)")
	fs.DurationVar(&l.Settle, "settle", defaultSettle, "pause after the ramp before the hold is measured")
	fs.DurationVar(&l.Baseline, "baseline", defaultBaseline, "how long the server is measured before any session")
	fs.DurationVar(&l.Timeout, "timeout", defaultTimeout, "per session, longest time from dialling to the dashboard")
	fs.StringVar(&l.Client, "client", clientStream,
		"stream: scan the output for the dashboard (light); vt: a terminal emulator per session (heavy)")
	smsFlags(fs, &l.SMS)
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	l.SMS.Secret = webhookSecret(l.SMS.Secret)
	switch {
	case l.Sessions < 1:
		return c, usagef("--sessions must be at least 1")
	case l.Rate <= 0:
		return c, usagef("--rate must be positive")
	case l.Hold < 0 || l.Settle < 0 || l.Baseline < 0 || l.Timeout <= 0:
		return c, usagef("durations must not be negative (and --timeout positive)")
	case l.Client != clientStream && l.Client != clientVT:
		return c, usagef("--client must be %s or %s", clientStream, clientVT)
	}
	return c, checkSMS(l)
}

// execute runs the load against WantSMS and, if asked, OpenSSH.
func execute(ctx context.Context, c runConfig, log io.Writer) (Output, error) {
	out := Output{Machine: describeMachine()}
	accounts, err := readKeys(c.KeysFile)
	if err != nil {
		return out, err
	}
	if len(accounts) < c.Load.Sessions {
		return out, fmt.Errorf("%d sessions need %d accounts; %s has %d (run seed)",
			c.Load.Sessions, c.Load.Sessions, c.KeysFile, len(accounts))
	}
	toolFiles, err := raiseOpenFiles(uint64(c.Load.Sessions + fdMargin))
	if err != nil {
		return out, err
	}
	if toolFiles < uint64(c.Load.Sessions+fdMargin) {
		return out, fmt.Errorf("%d sessions need %d open files; this process may hold %d (raise ulimit -Hn)",
			c.Load.Sessions, c.Load.Sessions+fdMargin, toolFiles)
	}
	pid := c.ServerPID
	if pid == 0 {
		if pid, err = findListener(c.Addr); err != nil {
			return out, fmt.Errorf("find the server: %w", err)
		}
	}
	tg := target{Name: "wantsms", Addr: c.Addr, User: c.User, PID: pid,
		Marker: func(a account) string { return a.Email }}
	serverFiles := checkServerLimit(pid, c.Load.Sessions, log)
	rep, err := runLoad(ctx, c.Load, tg, accounts, log)
	if err != nil {
		return out, err
	}
	rep.Limits = Limits{ServerOpenFiles: serverFiles, ToolOpenFiles: int64(toolFiles)}
	out.Runs = append(out.Runs, rep)
	if c.CompareOpenSSH && ctx.Err() == nil {
		if rep, err := compareOpenSSH(ctx, c, accounts, log); err != nil {
			fmt.Fprintf(log, "OpenSSH comparison skipped: %v\n", err)
		} else {
			rep.Limits.ToolOpenFiles = int64(toolFiles)
			out.Runs = append(out.Runs, rep)
		}
	}
	return out, nil
}

// checkServerLimit reads the server's open-files limit and warns when the
// sessions asked for cannot fit; it returns the soft limit (0 unknown).
func checkServerLimit(pid, sessions int, log io.Writer) int64 {
	text, err := readProc(pid, "limits")
	if err != nil {
		fmt.Fprintf(log, "cannot read the server's limits: %v\n", err)
		return 0
	}
	soft, _, err := openFilesLimit(text)
	if err != nil {
		fmt.Fprintf(log, "cannot read the server's limits: %v\n", err)
		return 0
	}
	if soft >= 0 && int64(sessions+fdMargin) > soft {
		fmt.Fprintf(log, "warning: the server may hold %d open files, fewer than %d sessions need\n",
			soft, sessions+fdMargin)
	}
	return soft
}

func describeMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile(procRoot + "/meminfo"); err == nil {
		m.MemBytes, _ = kBField(string(b), "MemTotal")
	}
	if b, err := os.ReadFile(procRoot + "/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
