package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleOutput() Output {
	wantsms := &Report{Target: "wantsms", Addr: "127.0.0.1:2222", PID: 100, Client: clientStream,
		Sessions: 1000, Ready: 1000, Held: 1000, Rate: 100,
		Latencies: map[string]Latency{
			"connect":       {Count: 1000, P50: 12500 * time.Microsecond, P95: 40 * time.Millisecond, P99: 80 * time.Millisecond, Max: time.Second},
			"sms_to_screen": {Count: 10, P50: 3 * time.Millisecond, P95: 4 * time.Millisecond, P99: 5 * time.Millisecond},
		},
		Memory: Memory{Processes: 1, BaselineRSS: 15 << 20, HeldRSS: 15<<20 + 1000*200<<10, RSSPerSession: 200 << 10,
			PSSPerSession: 199 << 10},
		CPU:    CPU{Hold: Phase{CPU: 300 * time.Millisecond, Wall: 30 * time.Second, Others: 3 * time.Second}},
		Errors: map[string]int{}, Limits: Limits{ServerOpenFiles: 20000, ToolOpenFiles: 20000}}
	openssh := &Report{Target: "openssh", Addr: "127.0.0.1:40000", Sessions: 1000, Held: 997, Rate: 100,
		Latencies: map[string]Latency{"connect": {Count: 997, P50: 8 * time.Second}},
		Errors:    map[string]int{kindNotReady: 3}, Interrupted: true}
	return Output{Machine: Machine{CPUs: 2, MemBytes: 24 << 30, Kernel: "6.1", Go: "go1.26"},
		Runs: []*Report{wantsms, openssh}}
}

func TestTableShowsRunsSideBySide(t *testing.T) {
	var buf bytes.Buffer
	if err := writeTable(&buf, sampleOutput()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"machine: 2 CPUs, 24 GiB memory, Linux 6.1, go1.26",
		"wantsms", "openssh",
		"1000 of 1000", "997 of 1000 (interrupted)",
		"12 / 40 / 80 ms", "8000 / 0.0 / 0.0 ms",
		"sms_to_screen p50/p95/p99   3.0 / 4.0 / 5.0 ms",
		"200 KiB", "199 KiB",
		"0.30 s in 30 s (1.0 % of a core; other processes 10 %)",
		"dashboard timeout 3", "none",
		"server 20000, tool 20000", "server -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// "connect" comes before other latencies.
	if strings.Index(out, "connect p50") > strings.Index(out, "sms_to_screen p50") {
		t.Errorf("connect latency is not first:\n%s", out)
	}
}

func TestJSONHasMillisecondsAndPercentages(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, sampleOutput()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Machine Machine `json:"machine"`
		Runs    []struct {
			Target    string `json:"target"`
			Held      int    `json:"held"`
			Latencies map[string]struct {
				Count int     `json:"count"`
				P50   float64 `json:"p50"`
				Max   float64 `json:"max"`
			} `json:"latency_ms"`
			Memory struct {
				RSSPerSession int64 `json:"rss_per_session"`
			} `json:"memory"`
			CPU struct {
				Hold struct {
					Percent float64 `json:"percent_of_core"`
					Others  float64 `json:"others_cpu_s"`
				} `json:"hold"`
			} `json:"cpu"`
			Errors map[string]int `json:"errors"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, buf.String())
	}
	r := got.Runs[0]
	if got.Machine.CPUs != 2 || len(got.Runs) != 2 || r.Target != "wantsms" || r.Held != 1000 {
		t.Fatalf("decoded %+v", got)
	}
	if c := r.Latencies["connect"]; c.Count != 1000 || c.P50 != 12.5 || c.Max != 1000 {
		t.Errorf("connect latency %+v; want count 1000, p50 12.5 ms, max 1000 ms", c)
	}
	if r.Memory.RSSPerSession != 200<<10 || r.CPU.Hold.Percent != 1 || r.CPU.Hold.Others != 3 {
		t.Errorf("memory/cpu %+v %+v", r.Memory, r.CPU)
	}
	if got.Runs[1].Errors[kindNotReady] != 3 {
		t.Errorf("errors %v", got.Runs[1].Errors)
	}
}

func TestBytesIEC(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.00 KiB", 200 << 10: "200 KiB",
		1536 << 20: "1.50 GiB", -2048: "-2.00 KiB",
	} {
		if got := bytesIEC(n); got != want {
			t.Errorf("bytesIEC(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestProgressLineAndLogMode(t *testing.T) {
	line := progressLine(60, 50, 5, 100, 1500*time.Millisecond)
	want := "[################..............] 50/100 ready, 5 failed, 5 in flight, 1.5 s"
	if line != want {
		t.Errorf("progressLine =\n%q, want\n%q", line, want)
	}
	// Not a terminal: a line per tenth of the way, and the final state.
	var buf bytes.Buffer
	done := 0
	p := &progress{w: &buf, total: 10, counts: func() (int, int, int) { return done, done, 0 }, start: time.Now()}
	for done = 0; done <= 10; done++ {
		p.draw(false)
	}
	p.draw(true)
	if n := strings.Count(buf.String(), "\n"); n != 11 {
		t.Errorf("%d lines for 10 steps and the end, want 11:\n%s", n, buf.String())
	}
}
