package main

import (
	"context"
	"errors"
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
	Addrs          addrList // one, or several instances taking sessions in turn
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
	fs.Var(&c.Addrs, "addr", "SSH address of the running WantSMS (default 127.0.0.1:2222); give it again for each "+
		"instance on one database: sessions go to them in turn, and the report has a line for each")
	fs.StringVar(&c.User, "user", "load", "SSH user name (WantSMS ignores it)")
	fs.StringVar(&c.KeysFile, "keys", "wantsms-load.keys", "keys file written by seed")
	fs.IntVar(&c.ServerPID, "server-pid", 0,
		"process to measure (default: the ones listening on the --addr ports, measured together)")
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
	if len(c.Addrs) == 0 {
		c.Addrs = addrList{defaultAddr}
	}
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
	pids, share, err := serverPIDs(c)
	if err != nil {
		return out, err
	}
	tg := target{Name: "wantsms", Addrs: c.Addrs, User: c.User, PIDs: pids,
		Marker: func(a account) string { return a.Email }}
	var serverFiles int64
	for i, pid := range pids {
		files := checkServerLimit(pid, share[i], log)
		if i == 0 || files > 0 && (serverFiles <= 0 || files < serverFiles) {
			serverFiles = files // the tightest known
		}
	}
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

// defaultAddr is where `run` finds WantSMS when no --addr is given.
const defaultAddr = "127.0.0.1:2222"

// addrList is --addr, which may be given several times.
type addrList []string

func (a *addrList) String() string { return strings.Join(*a, ",") }

func (a *addrList) Set(v string) error {
	if v == "" {
		return errors.New("empty address")
	}
	*a = append(*a, v)
	return nil
}

// serverPIDs finds the processes to measure: --server-pid, or the one
// behind each address (several addresses may be one process's), with the
// number of sessions each will hold.
func serverPIDs(c runConfig) (pids, share []int, err error) {
	if c.ServerPID != 0 {
		return []int{c.ServerPID}, []int{c.Load.Sessions}, nil
	}
	index := map[int]int{}
	for i, addr := range c.Addrs {
		pid, err := findListener(addr)
		if err != nil {
			return nil, nil, fmt.Errorf("find the server at %s: %w", addr, err)
		}
		if _, ok := index[pid]; !ok {
			index[pid] = len(pids)
			pids, share = append(pids, pid), append(share, 0)
		}
		// Sessions i, i+n, i+2n… go to address i.
		share[index[pid]] += (c.Load.Sessions + len(c.Addrs) - 1 - i) / len(c.Addrs)
	}
	return pids, share, nil
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
