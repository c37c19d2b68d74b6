package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/store"
)

// `wantsms-load api`: many programs using the SMS-Activate-compatible
// endpoint at once. Each client is one seeded account with an API key of
// its own and runs an activation after another, as a bot does: getNumber,
// then getStatus every --poll until STATUS_OK:, then setStatus 6, then the
// next number. The report gives requests per second, latency per action,
// the server's CPU and errors by answer.

// apiKeyName names the key each load account gets; a run revokes the
// previous run's key of that name first.
const apiKeyName = "wantsms-load"

// apiConfig is what `wantsms-load api` was asked to do.
type apiConfig struct {
	HTTP        string
	Data        string
	DB          string // the server's --database-url, if it runs on PostgreSQL
	KeysFile    string
	APIKeysFile string
	Clients     int
	Poll        time.Duration
	Warmup      time.Duration
	Duration    time.Duration
	Service     string
	Country     string
	ServerPID   int
	JSON        bool
	Timeout     time.Duration
}

func parseAPI(args []string, stderr io.Writer) (apiConfig, error) {
	fs := flag.NewFlagSet("api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c apiConfig
	fs.StringVar(&c.HTTP, "http", "127.0.0.1:8080", "the server's HTTP address")
	fs.StringVar(&c.Data, "data", "data", "the server's data directory: each client's account gets an API key there")
	fs.StringVar(&c.DB, "database-url", os.Getenv("WANTSMS_DATABASE_URL"),
		"the server's PostgreSQL database, if it runs on one (default: $WANTSMS_DATABASE_URL)")
	fs.StringVar(&c.KeysFile, "keys", "wantsms-load.keys", "keys file written by seed (names the accounts)")
	fs.StringVar(&c.APIKeysFile, "api-keys", "", "file of the clients' API keys, reused by later runs (default: --keys with .api)")
	fs.IntVar(&c.Clients, "clients", 200, "API clients, each with an account and a key of its own")
	fs.DurationVar(&c.Poll, "poll", 100*time.Millisecond, "each client's getStatus interval")
	fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "run before measuring (connections, first numbers)")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "how long the load is measured")
	fs.StringVar(&c.Service, "service", "tg", "service code the clients reserve")
	fs.StringVar(&c.Country, "country", "16", "SMS-Activate country id the clients reserve in")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "process to measure (default: the one listening on --http's port)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "longest wait for one answer")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if c.APIKeysFile == "" {
		c.APIKeysFile = c.KeysFile + ".api"
	}
	switch {
	case c.Clients < 1:
		return c, usagef("--clients must be at least 1")
	case c.Poll <= 0 || c.Duration <= 0 || c.Warmup < 0 || c.Timeout <= 0:
		return c, usagef("--poll, --duration and --timeout must be positive (--warmup not negative)")
	}
	return c, nil
}

// APIReport is what `api` measured.
type APIReport struct {
	Machine     Machine            `json:"machine"`
	Addr        string             `json:"addr"`
	PID         int                `json:"pid"`
	Clients     int                `json:"clients"`
	PollMS      float64            `json:"poll_ms"`
	Seconds     float64            `json:"seconds"` // measured
	Requests    map[string]int     `json:"requests"`
	PerSecond   map[string]float64 `json:"per_second"`
	Latencies   map[string]Latency `json:"latency_ms"`
	Answers     map[string]int     `json:"answers"` // words that were not a success, by word
	Errors      map[string]int     `json:"errors"`  // transport failures and HTTP errors
	Activations int                `json:"activations"`
	CPU         Phase              `json:"cpu"`
	Tool        ToolUsage          `json:"load_tool"`
}

func runAPI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseAPI(args, stderr)
	if err != nil {
		return err
	}
	rep, err := apiLoad(ctx, c, stderr)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeAPITable(stdout, rep)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if len(rep.Errors) > 0 {
		return errors.New("some requests failed (see the report)")
	}
	return nil
}

// apiKeysHeader opens the file of the API keys a run made, which later
// runs reuse (a new key is a security mail, and mails cost the server CPU
// while it is measured).
const apiKeysHeader = "# wantsms-load API keys v1: one account per line, EMAIL KEY. Secret: keep this file to yourself."

// apiKeys gives each of the first n seeded accounts an API key: the one
// in the API keys file while it still works, else a fresh one made in
// the server's database (also while it runs), revoking an earlier one.
func apiKeys(ctx context.Context, c apiConfig) ([]string, error) {
	accounts, err := readKeys(c.KeysFile)
	if err != nil {
		return nil, err
	}
	if len(accounts) < c.Clients {
		return nil, fmt.Errorf("%d clients need %d accounts; %s has %d (run seed)", c.Clients, c.Clients,
			c.KeysFile, len(accounts))
	}
	known, err := readAPIKeys(c.APIKeysFile)
	if err != nil {
		return nil, err
	}
	st, err := service.OpenStore(c.Data, c.DB, store.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	o := store.Origin{RemoteAddr: "wantsms-load"}
	keys := make([]string, 0, c.Clients)
	made := 0
	for _, a := range accounts[:c.Clients] {
		u, err := st.UserByEmail(ctx, a.Email)
		if err != nil {
			return nil, fmt.Errorf("account %s in %s: %w (run seed)", a.Email, c.Data, err)
		}
		if k, ok := known[a.Email]; ok {
			if got, err := st.ResolveAPIKey(ctx, k); err == nil && got.UserID == u.ID {
				keys = append(keys, k)
				continue
			}
		}
		if _, err := st.RevokeAPIKey(ctx, u.ID, apiKeyName, o); err != nil && !errors.Is(err, store.ErrNoAPIKey) {
			return nil, err
		}
		_, key, err := st.CreateAPIKey(ctx, u.ID, apiKeyName, o)
		if err != nil {
			return nil, fmt.Errorf("API key of %s: %w", a.Email, err)
		}
		keys, known[a.Email] = append(keys, key), key
		made++
	}
	if made > 0 {
		return keys, writeAPIKeys(c.APIKeysFile, known)
	}
	return keys, nil
}

func readAPIKeys(path string) (map[string]string, error) {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	if lines[0] != apiKeysHeader {
		return nil, fmt.Errorf("%s is not a wantsms-load API keys file", path)
	}
	for _, l := range lines[1:] {
		if email, key, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
			out[email] = key
		}
	}
	return out, nil
}

func writeAPIKeys(path string, keys map[string]string) error {
	var b strings.Builder
	b.WriteString(apiKeysHeader + "\n")
	for _, email := range slices.Sorted(maps.Keys(keys)) {
		b.WriteString(email + " " + keys[email] + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// apiRecorder collects what the clients saw while measuring.
type apiRecorder struct {
	measuring atomic.Bool
	mu        sync.Mutex
	lat       map[string][]time.Duration
	answers   map[string]int
	errors    map[string]int
	example   map[string]string
	done      int
}

func (r *apiRecorder) observe(action string, d time.Duration, answer string, ok bool) {
	if !r.measuring.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat[action] = append(r.lat[action], d)
	if !ok {
		word, _, _ := strings.Cut(answer, ":")
		r.answers[action+" "+word]++
	}
}

func (r *apiRecorder) fail(kind string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
	if r.example[kind] == "" {
		r.example[kind] = err.Error()
	}
}

func (r *apiRecorder) activation() {
	if r.measuring.Load() {
		r.mu.Lock()
		r.done++
		r.mu.Unlock()
	}
}

func apiLoad(ctx context.Context, c apiConfig, log io.Writer) (*APIReport, error) {
	keys, err := apiKeys(ctx, c)
	if err != nil {
		return nil, err
	}
	pid := c.ServerPID
	if pid == 0 {
		if pid, err = findListener(c.HTTP); err != nil {
			return nil, fmt.Errorf("find the server: %w", err)
		}
	}
	if _, err := raiseOpenFiles(uint64(c.Clients + fdMargin)); err != nil {
		return nil, err
	}
	tr := &http.Transport{MaxIdleConns: c.Clients * 2, MaxIdleConnsPerHost: c.Clients * 2,
		DialContext: (&net.Dialer{Timeout: c.Timeout}).DialContext}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: c.Timeout}
	base := "http://" + c.HTTP + "/stubs/handler_api.php"
	rec := &apiRecorder{lat: map[string][]time.Duration{}, answers: map[string]int{}, errors: map[string]int{},
		example: map[string]string{}}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for _, key := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			apiClient(runCtx, hc, base, key, c, rec)
		}()
	}
	fmt.Fprintf(log, "%d clients running; warming up %s\n", c.Clients, c.Warmup)
	if !pause(ctx, c.Warmup) {
		stop()
		wg.Wait()
		return nil, ctx.Err()
	}
	from, err := takeSnapshot(pid)
	if err != nil {
		stop()
		wg.Wait()
		return nil, err
	}
	rec.measuring.Store(true)
	fmt.Fprintf(log, "measuring %s\n", c.Duration)
	interrupted := !pause(ctx, c.Duration)
	rec.measuring.Store(false)
	to, err := takeSnapshot(pid)
	stop()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if interrupted {
		fmt.Fprintln(log, "interrupted: the report covers the time measured")
	}
	rep := &APIReport{Machine: describeMachine(), Addr: c.HTTP, PID: pid, Clients: c.Clients,
		PollMS: float64(c.Poll) / float64(time.Millisecond), CPU: phase(from, to), Requests: map[string]int{},
		PerSecond: map[string]float64{}, Latencies: map[string]Latency{}}
	rep.Seconds = round3(rep.CPU.Wall.Seconds())
	rec.mu.Lock()
	defer rec.mu.Unlock()
	total := 0
	for action, ds := range rec.lat {
		rep.Requests[action] = len(ds)
		rep.PerSecond[action] = round3(float64(len(ds)) / rep.CPU.Wall.Seconds())
		rep.Latencies[action] = summarise(ds)
		total += len(ds)
	}
	rep.Requests["all"] = total
	rep.PerSecond["all"] = round3(float64(total) / rep.CPU.Wall.Seconds())
	rep.Answers, rep.Errors, rep.Activations = rec.answers, rec.errors, rec.done
	for kind, ex := range rec.example {
		fmt.Fprintf(log, "%s: e.g. %s\n", kind, ex)
	}
	rep.Tool = ToolUsage{CPUSeconds: round3((to.Self - from.Self).Seconds())}
	return rep, nil
}

// apiClient runs activations one after another until ctx ends: a
// number, its status every poll until the code, finish, the next.
func apiClient(ctx context.Context, hc *http.Client, base, key string, c apiConfig, rec *apiRecorder) {
	// Clients start spread over one poll interval, as independent
	// programs would.
	if !pause(ctx, time.Duration(rand.Int64N(int64(c.Poll)))) {
		return
	}
	t := time.NewTicker(c.Poll)
	defer t.Stop()
	id := ""
	for {
		switch {
		case id == "":
			ans, ok := apiCall(ctx, hc, base, key, rec, "getNumber", "service", c.Service, "country", c.Country)
			if ok {
				if f := strings.Split(ans, ":"); len(f) == 3 && f[0] == "ACCESS_NUMBER" {
					id = f[1]
				}
			}
		default:
			ans, _ := apiCall(ctx, hc, base, key, rec, "getStatus", "id", id)
			switch {
			case strings.HasPrefix(ans, "STATUS_OK:"):
				apiCall(ctx, hc, base, key, rec, "setStatus", "id", id, "status", "6")
				rec.activation()
				id = ""
			case ans == "STATUS_CANCEL", ans == "NO_ACTIVATION":
				id = ""
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// apiCall makes one GET and records its latency and answer; ok is true
// for the protocol's success words.
func apiCall(ctx context.Context, hc *http.Client, base, key string, rec *apiRecorder, action string, kv ...string) (string, bool) {
	q := url.Values{"api_key": {key}, "action": {action}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?"+q.Encode(), nil)
	if err != nil {
		rec.fail("request", err)
		return "", false
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			rec.fail("transport", err)
		}
		return "", false
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	d := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		if ctx.Err() == nil {
			rec.fail(fmt.Sprintf("HTTP %d", resp.StatusCode), fmt.Errorf("%s: %v %.80q", action, err, body))
		}
		return "", false
	}
	ans := string(body)
	ok := strings.HasPrefix(ans, "ACCESS_") || strings.HasPrefix(ans, "STATUS_")
	rec.observe(action, d, ans, ok)
	return ans, ok
}

func writeAPITable(w io.Writer, r *APIReport) error {
	m := r.Machine
	fmt.Fprintf(w, "machine: %d CPUs, %s memory, Linux %s, %s\n", m.CPUs, bytesIEC(m.MemBytes), m.Kernel, m.Go)
	fmt.Fprintf(w, "server %s (pid %d): %d clients, getStatus every %s, measured %.1f s, %d activations done\n\n",
		r.Addr, r.PID, r.Clients, time.Duration(r.PollMS*float64(time.Millisecond)), r.Seconds, r.Activations)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tREQUESTS\tPER SECOND\tP50\tP95\tP99\tMAX")
	actions := make([]string, 0, len(r.Latencies))
	for a := range r.Latencies {
		actions = append(actions, a)
	}
	slices.Sort(actions)
	for _, a := range actions {
		l := r.Latencies[a]
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\n", a, r.Requests[a], r.PerSecond[a], msText(l.P50),
			msText(l.P95), msText(l.P99), msText(l.Max))
	}
	fmt.Fprintf(tw, "all\t%d\t%.1f\t\t\t\t\n", r.Requests["all"], r.PerSecond["all"])
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nserver CPU: %s\n", phaseCell(r.CPU))
	fmt.Fprintf(w, "load tool CPU: %.1f s\n", r.Tool.CPUSeconds)
	fmt.Fprintf(w, "answers other than success: %s\n", errorsCell(r.Answers))
	_, err := fmt.Fprintf(w, "errors: %s\n", errorsCell(r.Errors))
	return err
}
