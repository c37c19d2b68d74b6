package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// target is a server under load: one address, or several instances of
// it (on one database) that take the sessions in turn.
type target struct {
	Name   string   // "wantsms" or "openssh"
	Addrs  []string // session i goes to Addrs[i % len(Addrs)]
	User   string
	PIDs   []int                  // roots of the process trees measured, together
	Marker func(a account) string // what is on screen once a session is ready
}

// loadConfig is how one run opens, holds and closes its sessions.
type loadConfig struct {
	Sessions int
	Rate     float64       // new sessions per second
	Baseline time.Duration // measure the idle server this long first
	Settle   time.Duration // after the ramp, before the hold is measured
	Hold     time.Duration // measured time with every session open
	Timeout  time.Duration // per session, dial to marker
	Client   string        // clientStream or clientVT
	Progress io.Writer     // nil: no progress bar
	SMS      smsConfig     // SMS-arrival-to-screen; off when its Rate is 0
}

// latencyConnect names the dial-to-dashboard series.
const latencyConnect = "connect"

// recorder collects what the sessions report; safe for concurrent use.
type recorder struct {
	mu      sync.Mutex
	started int
	ready   int
	failed  int
	dropped int
	// byAddr counts the sessions of each address, for a run spread over
	// several instances.
	byAddr map[string]*instanceCount
	// latencies holds each named series: "connect" (dial to dashboard),
	// and whatever a later probe times (e.g. "sms_to_screen").
	latencies map[string][]time.Duration
	errors    map[string]int
	samples   map[string]error // one error per kind, for the log
}

// instanceCount is what the sessions sent to one address did.
type instanceCount struct {
	started, ready, failed, dropped int
	connect                         []time.Duration
}

func newRecorder() *recorder {
	return &recorder{latencies: map[string][]time.Duration{}, errors: map[string]int{}, samples: map[string]error{},
		byAddr: map[string]*instanceCount{}}
}

// at is the count of addr; r.mu is held.
func (r *recorder) at(addr string) *instanceCount {
	c := r.byAddr[addr]
	if c == nil {
		c = &instanceCount{}
		r.byAddr[addr] = c
	}
	return c
}

// start counts a session dialling addr.
func (r *recorder) start(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started++
	r.at(addr).started++
}

// succeed counts a session to addr whose dashboard is on screen after d.
func (r *recorder) succeed(addr string, d time.Duration) {
	r.mu.Lock()
	r.ready++
	c := r.at(addr)
	c.ready++
	c.connect = append(c.connect, d)
	r.mu.Unlock()
	r.observe(latencyConnect, d)
}

// observe adds one duration to a named latency series of the report.
func (r *recorder) observe(series string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies[series] = append(r.latencies[series], d)
}

// problem counts an error of a session that stays open (a reservation
// refused, an SMS never shown): it is in the errors, not in the failed.
func (r *recorder) problem(kind string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
	if _, ok := r.samples[kind]; !ok && err != nil {
		r.samples[kind] = err
	}
}

// fail counts a session to addr that never got ready (dropped false) or
// ended during the hold (dropped true).
func (r *recorder) fail(addr string, err error, dropped bool) {
	kind := kindDropped
	if !dropped {
		kind = errorKind(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if dropped {
		r.dropped++
		r.at(addr).dropped++
	} else {
		r.failed++
		r.at(addr).failed++
	}
	r.errors[kind]++
	if _, ok := r.samples[kind]; !ok && err != nil {
		r.samples[kind] = err
	}
}

func (r *recorder) counts() (started, ready, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started, r.ready, r.failed
}

// open is the number of sessions ready and not dropped.
func (r *recorder) open() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready - r.dropped
}

// runLoad measures tg idle, ramps cfg.Sessions sessions up at cfg.Rate,
// holds them, closes them and reports. Cancelling ctx stops early with a
// partial report.
func runLoad(ctx context.Context, cfg loadConfig, tg target, accounts []account, log io.Writer) (*Report, error) {
	if len(accounts) < cfg.Sessions {
		return nil, fmt.Errorf("%d sessions need %d accounts; the keys file has %d (run seed)",
			cfg.Sessions, cfg.Sessions, len(accounts))
	}
	connect, err := connector(cfg.Client)
	if err != nil {
		return nil, err
	}
	l := &loadRun{cfg: cfg, tg: tg, connect: connect, rec: newRecorder(), release: make(chan struct{}),
		rep: &Report{Target: tg.Name, Addr: strings.Join(tg.Addrs, ", "), PID: tg.PIDs[0], Client: cfg.Client,
			Sessions: cfg.Sessions, Rate: cfg.Rate, Latencies: map[string]Latency{}}}
	if len(tg.PIDs) > 1 {
		l.rep.PIDs = tg.PIDs
	}
	idle, err := l.measureIdle(ctx)
	if err != nil {
		return nil, err
	}
	l.ramp(ctx, accounts)
	ramped, err := takeSnapshot(tg.PIDs...)
	if err == nil {
		l.rep.CPU.Ramp = phase(idle, ramped)
		l.measureHold(ctx, ramped)
		if cfg.SMS.Rate > 0 && ctx.Err() == nil {
			l.smsPhase(ctx)
		}
	}
	close(l.release)
	l.running.Wait()
	if err != nil {
		return nil, fmt.Errorf("measure %s after the ramp: %w", tg.Name, err)
	}
	finish(l.rep, l.rec, log)
	if len(tg.Addrs) > 1 {
		l.rep.Instances = instances(tg.Addrs, l.rec)
	}
	return l.rep, nil
}

// loadRun is one run's state while it goes on.
type loadRun struct {
	cfg     loadConfig
	tg      target
	connect connectFunc
	rec     *recorder
	rep     *Report
	first   snapshot
	release chan struct{} // closed when the hold is over
	running sync.WaitGroup

	mu   sync.Mutex
	live []held // sessions that reached their dashboard, for the SMS phase
}

// held is a session that reached its dashboard and is being held.
type held struct {
	index int // in the keys file
	acct  account
	s     session
}

// keep records a session that reached its dashboard.
func (l *loadRun) keep(h held) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live = append(l.live, h)
}

// held lists the sessions kept that are still open, in keys-file order.
func (l *loadRun) held() []held {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]held, 0, len(l.live))
	for _, h := range l.live {
		select {
		case <-h.s.Done():
		default:
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b held) int { return a.index - b.index })
	return out
}

// measureIdle reads the server before any session and after the baseline
// pause, and returns the second reading.
func (l *loadRun) measureIdle(ctx context.Context) (snapshot, error) {
	var err error
	if l.first, err = takeSnapshot(l.tg.PIDs...); err != nil {
		return snapshot{}, fmt.Errorf("measure %s: %w", l.tg.Name, err)
	}
	pause(ctx, l.cfg.Baseline)
	idle, err := takeSnapshot(l.tg.PIDs...)
	if err != nil {
		return snapshot{}, fmt.Errorf("measure %s: %w", l.tg.Name, err)
	}
	l.rep.CPU.Baseline = phase(l.first, idle)
	l.rep.Memory.BaselineRSS, l.rep.Memory.BaselinePSS = idle.Server.RSS, idle.Server.PSS
	return idle, nil
}

// ramp starts the sessions on schedule and returns once every one has
// either reached its dashboard or failed.
func (l *loadRun) ramp(ctx context.Context, accounts []account) {
	var connecting sync.WaitGroup
	bar := startProgress(l.cfg.Progress, l.tg.Name, l.cfg.Sessions, l.rec.counts)
	start := time.Now()
	for i := range l.cfg.Sessions {
		at := start.Add(time.Duration(float64(i) / l.cfg.Rate * float64(time.Second)))
		if !pause(ctx, time.Until(at)) {
			l.rep.Interrupted = true
			break
		}
		d := dialSpec{Addr: l.tg.Addrs[i%len(l.tg.Addrs)], User: l.tg.User, Signer: accounts[i].Signer,
			Marker: l.tg.Marker(accounts[i]), Timeout: l.cfg.Timeout}
		connecting.Add(1)
		l.running.Add(1)
		l.rec.start(d.Addr)
		keep := func(s session) { l.keep(held{index: i, acct: accounts[i], s: s}) }
		go func() {
			defer l.running.Done()
			hold(ctx, l.connect, d, l.rec, keep, connecting.Done, l.release)
		}()
	}
	connecting.Wait()
	bar.Stop()
}

// measureHold waits for the sessions to settle, measures the hold and
// records what the load tool itself cost.
func (l *loadRun) measureHold(ctx context.Context, last snapshot) {
	if pause(ctx, l.cfg.Settle) {
		h0, err0 := takeSnapshot(l.tg.PIDs...)
		l.rep.Interrupted = l.rep.Interrupted || !pause(ctx, l.cfg.Hold)
		h1, err1 := takeSnapshot(l.tg.PIDs...)
		if err0 == nil && err1 == nil {
			l.rep.CPU.Hold = phase(h0, h1)
			m := &l.rep.Memory
			m.HeldRSS, m.HeldPSS, m.Processes = h1.Server.RSS, h1.Server.PSS, h1.Server.Procs
			last = h1
		}
	} else {
		l.rep.Interrupted = true
	}
	l.rep.Held = l.rec.open()
	l.rep.Tool.CPUSeconds = (last.Self - l.first.Self).Seconds()
	if status, err := readProc(os.Getpid(), "status"); err == nil {
		l.rep.Tool.RSS, _ = kBField(status, "VmRSS") // this process alone, not the sshd it may run
	}
}

// hold runs one session: connect, report, hand it to keep (the SMS
// phase works on it from there), then keep it open until release.
func hold(ctx context.Context, connect connectFunc, d dialSpec, rec *recorder, keep func(session), connected func(),
	release <-chan struct{}) {
	s, took, err := connect(ctx, d)
	if err != nil {
		rec.fail(d.Addr, err, false)
		connected()
		return
	}
	rec.succeed(d.Addr, took)
	keep(s)
	connected()
	select {
	case <-release:
	case <-ctx.Done():
	case <-s.Done():
		rec.fail(d.Addr, nil, true)
	}
	s.Close()
}

// finish fills in what the recorder saw and logs one example per error kind.
func finish(rep *Report, rec *recorder, log io.Writer) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rep.Ready = rec.ready
	for name, series := range rec.latencies {
		rep.Latencies[name] = summarise(series)
	}
	if _, ok := rep.Latencies[latencyConnect]; !ok {
		rep.Latencies[latencyConnect] = Latency{}
	}
	rep.Errors = rec.errors
	if rep.Held > 0 && rep.Memory.HeldRSS > 0 {
		rep.Memory.RSSPerSession = (rep.Memory.HeldRSS - rep.Memory.BaselineRSS) / int64(rep.Held)
		rep.Memory.PSSPerSession = (rep.Memory.HeldPSS - rep.Memory.BaselinePSS) / int64(rep.Held)
	}
	for kind, err := range rec.samples {
		fmt.Fprintf(log, "%s: %s, e.g. %v\n", rep.Target, kind, err)
	}
}

// instances is what each address got, in the order given.
func instances(addrs []string, rec *recorder) []Instance {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := make([]Instance, len(addrs))
	for i, a := range addrs {
		c := rec.at(a)
		out[i] = Instance{Addr: a, Sessions: c.started, Ready: c.ready, Failed: c.failed, Dropped: c.dropped,
			Connect: summarise(c.connect)}
	}
	return out
}

// phase is what the server used between two snapshots, and what every
// other process (not the server, not this tool) used meanwhile.
func phase(from, to snapshot) Phase {
	server := to.Server.CPU - from.Server.CPU
	others := (to.Busy - from.Busy) - server - (to.Self - from.Self)
	return Phase{CPU: server, Wall: to.Server.At.Sub(from.Server.At), Others: max(0, others)}
}

// pause sleeps d; false if ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
