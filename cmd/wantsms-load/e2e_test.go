package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// jsonRun is the part of the JSON report the end-to-end tests read.
type jsonRun struct {
	Target    string `json:"target"`
	PID       int    `json:"pid"`
	Sessions  int    `json:"sessions"`
	SMS       int    `json:"sms"`
	Ready     int    `json:"ready"`
	Held      int    `json:"held"`
	Latencies map[string]struct {
		Count int     `json:"count"`
		P50   float64 `json:"p50"`
	} `json:"latency_ms"`
	Memory struct {
		HeldRSS int64 `json:"held_rss"`
	} `json:"memory"`
	Errors   map[string]int `json:"errors"`
	SMSPhase *SMSSummary    `json:"sms_phase"`
}

func runJSON(t *testing.T, args ...string) (runs []jsonRun, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	var decoded struct {
		Runs []jsonRun `json:"runs"`
	}
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, out.String())
		}
	}
	return decoded.Runs, errOut.String(), code
}

// The whole tool against a real WantSMS: seed 20 accounts into its data
// directory while it runs, open 20 sessions that each reach their
// dashboard, hold, report. The server runs in this test process, so the
// discovery by port finds this process.
func TestRunHoldsSessionsOnARealServer(t *testing.T) {
	env := testenv.Start(t)
	keys := filepath.Join(t.TempDir(), "keys")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"seed", "--data", env.Dir, "--accounts", "20", "--keys", keys},
		&out, &errOut); code != exitOK {
		t.Fatalf("seed: exit %d: %s", code, errOut.String())
	}
	runs, stderr, code := runJSON(t, "run", "--addr", env.Svc.SSHAddr(), "--keys", keys, "--sessions", "20",
		"--rate", "200", "--hold", "100ms", "--settle", "0s", "--baseline", "0s", "--json",
		"--compare-openssh", "--sshd", "/nonexistent/sshd")
	if code != exitOK || len(runs) != 1 {
		t.Fatalf("run: exit %d, %d runs; stderr:\n%s", code, len(runs), stderr)
	}
	r := runs[0]
	if r.Target != "wantsms" || r.PID != os.Getpid() || r.Ready != 20 || r.Held != 20 || len(r.Errors) != 0 {
		t.Errorf("report %+v; want 20 ready and held by this process, no errors", r)
	}
	if c := r.Latencies["connect"]; c.Count != 20 || c.P50 <= 0 {
		t.Errorf("connect latency %+v", c)
	}
	if r.Memory.HeldRSS <= 0 {
		t.Errorf("no memory measured: %+v", r.Memory)
	}
	if !strings.Contains(stderr, "OpenSSH comparison skipped") || !strings.Contains(stderr, "openssh-server") {
		t.Errorf("missing sshd not explained:\n%s", stderr)
	}
	// The tool closed every session: the server sees them go.
	deadline := time.Now().Add(testenv.Wait)
	for env.Svc.SSH.Sessions() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still open after the run", env.Svc.SSH.Sessions())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// smsSecret is the webhook secret of startSMSEnv's server.
const smsSecret = "load-test-secret"

// startSMSEnv starts a WantSMS whose simulator never sends by itself and
// takes pushed SMS signed with smsSecret, and seeds accounts for it; it
// returns the server and the keys file.
func startSMSEnv(t *testing.T, accounts int) (*testenv.Env, string) {
	t.Helper()
	env := testenv.Start(t, testenv.SimNumbers(time.Hour, true, time.Hour), func(c *service.Config) {
		c.Numbers.SimWebhookSecret = smsSecret
	})
	keys := filepath.Join(t.TempDir(), "keys")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"seed", "--data", env.Dir, "--accounts", strconv.Itoa(accounts),
		"--keys", keys}, &out, &errOut); code != exitOK {
		t.Fatalf("seed: exit %d: %s", code, errOut.String())
	}
	return env, keys
}

// The SMS phase against a real WantSMS whose simulator never sends by
// itself: every session reserves a number, shows it on its Inbox, and
// gets its code through the signed webhook; the report times each.
func TestRunTimesSMSFromWebhookToScreen(t *testing.T) {
	env, keys := startSMSEnv(t, 4)
	runs, stderr, code := runJSON(t, "run", "--addr", env.Svc.SSHAddr(), "--keys", keys, "--sessions", "4",
		"--rate", "100", "--hold", "0s", "--settle", "0s", "--baseline", "0s", "--json",
		"--sms-rate", "100", "--http", env.Svc.HTTPAddr(), "--data", env.Dir, "--webhook-secret", smsSecret,
		"--sms-measure", "0s")
	if code != exitOK || len(runs) != 1 {
		t.Fatalf("run: exit %d, %d runs; stderr:\n%s", code, len(runs), stderr)
	}
	r := runs[0]
	for _, series := range []string{latencyReserve, latencyInbox, latencySMS} {
		if l := r.Latencies[series]; l.Count != 4 || l.P50 <= 0 {
			t.Errorf("%s latency %+v; want 4 timed", series, l)
		}
	}
	if r.SMS != 4 || len(r.Errors) != 0 {
		t.Errorf("report %+v; want 4 sessions armed, no errors", r)
	}
	// Each account's number got the code the tool pushed, once.
	for _, a := range mustKeys(t, keys) {
		u, err := env.Store().UserByEmail(context.Background(), a.Email)
		if err != nil {
			t.Fatal(err)
		}
		rs := env.Reservations(u.ID)
		if len(rs) != 1 || len(rs[0].Messages) != 1 || !codeShape.MatchString(rs[0].LatestCode()) {
			t.Errorf("%s: reservations %+v; want one with one pushed code", a.Email, rs)
		}
	}
}

// The sustained SMS phase: 20 SMS in a second, round-robin over three
// armed sessions, so each number gets several; every one is timed to its
// screen and stored once, and the report says so.
func TestRunSustainsSMSOverTheSessions(t *testing.T) {
	env, keys := startSMSEnv(t, 3)
	runs, stderr, code := runJSON(t, "run", "--addr", env.Svc.SSHAddr(), "--keys", keys, "--sessions", "3",
		"--rate", "100", "--hold", "0s", "--settle", "0s", "--baseline", "0s", "--json",
		"--sms-rate", "20", "--sms-duration", "1s", "--http", env.Svc.HTTPAddr(), "--data", env.Dir,
		"--webhook-secret", smsSecret, "--sms-measure", "0s")
	if code != exitOK || len(runs) != 1 {
		t.Fatalf("run: exit %d, %d runs; stderr:\n%s", code, len(runs), stderr)
	}
	r := runs[0]
	p := r.SMSPhase
	if p == nil || p.Sessions != 3 || p.Sent != 20 || p.Taken != 20 || p.Shown != 20 || p.Lost != 0 || p.InDB != 20 {
		t.Fatalf("sms phase %+v; want 20 sent, taken, shown and stored on 3 numbers", p)
	}
	if l := r.Latencies[latencySMS]; l.Count != 20 || len(r.Errors) != 0 {
		t.Errorf("SMS latency %+v, errors %v; want 20 timed, none", l, r.Errors)
	}
	var counts []int
	for _, a := range mustKeys(t, keys) {
		u, err := env.Store().UserByEmail(context.Background(), a.Email)
		if err != nil {
			t.Fatal(err)
		}
		rs := env.Reservations(u.ID)
		if len(rs) != 1 {
			t.Fatalf("%s: %d reservations, want 1", a.Email, len(rs))
		}
		counts = append(counts, len(rs[0].Messages))
	}
	slices.Sort(counts)
	if !slices.Equal(counts, []int{6, 7, 7}) {
		t.Errorf("messages per number %v; want 20 round-robin over 3: 6, 7, 7", counts)
	}
}

// `run --addr A --addr B` against two instances on one PostgreSQL
// database: the sessions go to them in turn, each reaches its dashboard
// on the instance it dialled, and the report has a line per instance.
func TestRunSpreadsSessionsOverInstances(t *testing.T) {
	_, url := testenv.Postgres(t)
	envs := testenv.StartTogether(t, 2, func(c *service.Config) { c.DatabaseURL = url })
	keys := filepath.Join(t.TempDir(), "keys")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"seed", "--data", envs[0].Dir, "--database-url", url,
		"--accounts", "5", "--keys", keys}, &out, &errOut); code != exitOK {
		t.Fatalf("seed: exit %d: %s", code, errOut.String())
	}
	a, b := envs[0].Svc.SSHAddr(), envs[1].Svc.SSHAddr()
	var decoded struct {
		Runs []struct {
			Ready     int   `json:"ready"`
			PIDs      []int `json:"pids"`
			Instances []struct {
				Addr     string `json:"addr"`
				Sessions int    `json:"sessions"`
				Ready    int    `json:"ready"`
				Connect  struct {
					Count int     `json:"count"`
					P50   float64 `json:"p50"`
				} `json:"connect_ms"`
			} `json:"instances"`
		} `json:"runs"`
	}
	out.Reset()
	errOut.Reset()
	code := run(context.Background(), []string{"run", "--addr", a, "--addr", b, "--keys", keys, "--sessions", "5",
		"--rate", "200", "--hold", "0s", "--settle", "0s", "--baseline", "0s", "--json"}, &out, &errOut)
	if err := json.Unmarshal(out.Bytes(), &decoded); code != exitOK || err != nil || len(decoded.Runs) != 1 {
		t.Fatalf("run: exit %d (%v)\n%s\n%s", code, err, out.String(), errOut.String())
	}
	r := decoded.Runs[0]
	if r.Ready != 5 || len(r.Instances) != 2 || len(r.PIDs) != 0 { // both instances are this process
		t.Fatalf("report %s", out.String())
	}
	for i, want := range []struct {
		addr     string
		sessions int
	}{{a, 3}, {b, 2}} {
		in := r.Instances[i]
		if in.Addr != want.addr || in.Sessions != want.sessions || in.Ready != want.sessions ||
			in.Connect.Count != want.sessions || in.Connect.P50 <= 0 {
			t.Errorf("instance %d: %+v; want %s with %d sessions ready", i+1, in, want.addr, want.sessions)
		}
		if n := envs[i].Svc.SSH.SessionsStarted(); n != int64(want.sessions) {
			t.Errorf("instance %s saw %d sessions, want %d", want.addr, n, want.sessions)
		}
	}

	// The table names each instance.
	out.Reset()
	if code := run(context.Background(), []string{"run", "--addr", a, "--addr", b, "--keys", keys, "--sessions", "2",
		"--hold", "0s", "--settle", "0s", "--baseline", "0s"}, &out, &errOut); code != exitOK ||
		!strings.Contains(out.String(), "instance 1") || !strings.Contains(out.String(), a+": 1 of 1 ready, connect p50") ||
		!strings.Contains(out.String(), b+": 1 of 1 ready") {
		t.Fatalf("table: exit %d\n%s", code, out.String())
	}
}

// A wrong secret is refused by the server: every SMS counts as refused.
func TestRunCountsRefusedWebhooks(t *testing.T) {
	env, keys := startSMSEnv(t, 2)
	runs, stderr, code := runJSON(t, "run", "--addr", env.Svc.SSHAddr(), "--keys", keys, "--sessions", "2",
		"--hold", "0s", "--settle", "0s", "--baseline", "0s", "--json", "--sms-rate", "100",
		"--http", env.Svc.HTTPAddr(), "--data", env.Dir, "--webhook-secret", "wrong", "--sms-measure", "0s")
	if code != exitFail || len(runs) != 1 || runs[0].Errors[kindWebhook] != 2 {
		t.Fatalf("exit %d, runs %+v; want 2 refused webhooks:\n%s", code, runs, stderr)
	}
	if !strings.Contains(stderr, "401") {
		t.Errorf("the refusal is not shown:\n%s", stderr)
	}
}

// codeShape is what newCode makes.
var codeShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{4}$`)

func mustKeys(t *testing.T, path string) []account {
	t.Helper()
	a, err := readKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Keys nobody linked land on the sign-in screen, never on a dashboard:
// the run counts them by kind and exits 1. The vt client is used here.
func TestRunCountsSessionsThatNeverReachTheDashboard(t *testing.T) {
	env := testenv.Start(t)
	keys := filepath.Join(t.TempDir(), "keys")
	accounts, err := generateAccounts(nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeKeys(keys, accounts); err != nil {
		t.Fatal(err)
	}
	runs, stderr, code := runJSON(t, "run", "--addr", env.Svc.SSHAddr(), "--keys", keys, "--sessions", "3",
		"--rate", "100", "--hold", "0s", "--settle", "0s", "--baseline", "0s", "--timeout", "1s",
		"--client", clientVT, "--server-pid", strconv.Itoa(os.Getpid()), "--json")
	if code != exitFail || len(runs) != 1 {
		t.Fatalf("exit %d, %d runs; want 1 and a report:\n%s", code, len(runs), stderr)
	}
	if r := runs[0]; r.Ready != 0 || r.Held != 0 || r.Errors[kindNotReady] != 3 {
		t.Errorf("report %+v; want 3 dashboard timeouts", r)
	}
	if !strings.Contains(stderr, "not on screen in time") {
		t.Errorf("no example error logged:\n%s", stderr)
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--sessions", "0"},
		{"run", "--rate", "0"},
		{"run", "--client", "telnet"},
		{"run", "--timeout", "0s"},
		{"run", "--sms-rate", "10"}, // no --data
		{"run", "--sms-rate", "10", "--data", "d", "--webhook-secret", "s", "--client", clientVT},
		{"run", "--sms-rate", "-1"},
		{"nosuch"},
	} {
		if _, _, code := runJSON(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
	if _, stderr, code := runJSON(t, "run", "--keys", filepath.Join(t.TempDir(), "none"), "--sessions", "2"); code != exitFail ||
		!strings.Contains(stderr, "run seed") {
		t.Errorf("no keys: exit %d, %s", code, stderr)
	}
}

// `api` against a real WantSMS: each client gets an API key in the
// server's database, reserves a number and polls its status; the report
// counts the requests and their latencies, with no errors. A second run
// reuses the first run's keys; one revoked meanwhile is replaced.
func TestAPIModeOnARealServer(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Hour, false, time.Hour), func(c *service.Config) {
		c.API.PerAddr, c.API.AddrBurst = 10_000, 10_000
	})
	keys := filepath.Join(t.TempDir(), "keys")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"seed", "--data", env.Dir, "--accounts", "4", "--keys", keys},
		&out, &errOut); code != exitOK {
		t.Fatalf("seed: exit %d: %s", code, errOut.String())
	}
	u, err := env.Store().UserByEmail(context.Background(), "load-00000@wantsms.invalid")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if i == 2 {
			if _, err := env.Store().RevokeAPIKey(context.Background(), u.ID, "wantsms-load", store.Origin{}); err != nil {
				t.Fatal(err)
			}
		}
		out.Reset()
		errOut.Reset()
		code := run(context.Background(), []string{"api", "--http", env.Svc.HTTPAddr(), "--data", env.Dir, "--keys", keys,
			"--clients", "4", "--poll", "100ms", "--warmup", "300ms", "--duration", "1s", "--json"}, &out, &errOut)
		var rep struct {
			PID       int                `json:"pid"`
			Clients   int                `json:"clients"`
			Requests  map[string]int     `json:"requests"`
			PerSecond map[string]float64 `json:"per_second"`
			Latencies map[string]struct {
				P50 float64 `json:"p50"`
				P99 float64 `json:"p99"`
			} `json:"latency_ms"`
			Answers map[string]int `json:"answers"`
			Errors  map[string]int `json:"errors"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); code != exitOK || err != nil {
			t.Fatalf("api: exit %d (%v)\n%s\n%s", code, err, out.String(), errOut.String())
		}
		if rep.PID != os.Getpid() || rep.Clients != 4 || rep.Requests["getStatus"] == 0 || rep.PerSecond["all"] <= 0 ||
			rep.Latencies["getStatus"].P50 <= 0 || len(rep.Errors) != 0 || len(rep.Answers) != 0 {
			t.Fatalf("report: %s", out.String())
		}
	}
	if ks, _ := env.Store().APIKeys(context.Background(), u.ID); len(ks) != 2 || !ks[0].Revoked() || ks[1].Revoked() {
		t.Fatalf("keys after two runs: %+v", ks)
	}
}
