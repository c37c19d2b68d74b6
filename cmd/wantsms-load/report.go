package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what one run against one server measured.
type Report struct {
	Target      string  `json:"target"` // "wantsms" or "openssh"
	Addr        string  `json:"addr"`   // the addresses, comma-separated, when several
	PID         int     `json:"pid"`
	PIDs        []int   `json:"pids,omitempty"` // the processes measured together, when several
	Client      string  `json:"client"`
	Sessions    int     `json:"sessions"` // asked for
	Ready       int     `json:"ready"`    // reached their dashboard (or marker)
	Held        int     `json:"held"`     // still open when the hold ended
	Rate        float64 `json:"rate_per_s"`
	Interrupted bool    `json:"interrupted,omitempty"`
	SMS         int     `json:"sms,omitempty"` // sessions armed with a number for the SMS phase
	// SMSPhase is what the SMS phase pushed and what became of it.
	SMSPhase *SMSSummary `json:"sms_phase,omitempty"`

	// Latencies by name: "connect" is dial to dashboard on screen.
	Latencies map[string]Latency `json:"latency_ms"`
	Memory    Memory             `json:"memory"`
	CPU       CPU                `json:"cpu"`
	Errors    map[string]int     `json:"errors"`
	Limits    Limits             `json:"limits"`
	Tool      ToolUsage          `json:"load_tool"`
	// Instances is what each address got when sessions were spread over
	// several (round-robin), in the order given.
	Instances []Instance `json:"instances,omitempty"`
}

// Instance is one address's share of a run over several instances.
type Instance struct {
	Addr     string  `json:"addr"`
	Sessions int     `json:"sessions"` // dialled there
	Ready    int     `json:"ready"`
	Failed   int     `json:"failed"`
	Dropped  int     `json:"dropped"`
	Connect  Latency `json:"connect_ms"`
}

// Memory of the server's process tree, in bytes.
type Memory struct {
	Processes     int   `json:"processes"` // at the end of the hold
	BaselineRSS   int64 `json:"baseline_rss"`
	HeldRSS       int64 `json:"held_rss"`
	RSSPerSession int64 `json:"rss_per_session"`
	BaselinePSS   int64 `json:"baseline_pss"`
	HeldPSS       int64 `json:"held_pss"`
	PSSPerSession int64 `json:"pss_per_session"`
	SMSRSS        int64 `json:"sms_rss,omitempty"` // after the SMS phase, every session with a number
}

// CPU of the server's process tree in each phase.
type CPU struct {
	Baseline Phase `json:"baseline"` // before any session
	Ramp     Phase `json:"ramp"`     // first dial to the last session ready
	Hold     Phase `json:"hold"`     // sessions open and idle
	// Numbers: every session on its Inbox with a number open (its
	// countdown ticking), no SMS yet. SMS: while the SMS are pushed.
	Numbers Phase `json:"numbers_open"`
	SMS     Phase `json:"sms"`
}

// Phase is CPU time spent over a wall-clock span: by the server, and by
// every other process except the load tool (how noisy the machine was).
type Phase struct {
	CPU    time.Duration
	Wall   time.Duration
	Others time.Duration
}

// Percent is CPU time as a percentage of one core.
func (p Phase) Percent() float64 {
	if p.Wall <= 0 {
		return 0
	}
	return 100 * p.CPU.Seconds() / p.Wall.Seconds()
}

// MarshalJSON writes seconds and the percentage of one core.
func (p Phase) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		CPU     float64 `json:"cpu_s"`
		Wall    float64 `json:"wall_s"`
		Percent float64 `json:"percent_of_core"`
		Others  float64 `json:"others_cpu_s"`
	}{round3(p.CPU.Seconds()), round3(p.Wall.Seconds()), round3(p.Percent()), round3(p.Others.Seconds())})
}

// MarshalJSON writes the percentiles in milliseconds.
func (l Latency) MarshalJSON() ([]byte, error) {
	ms := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
	return json.Marshal(struct {
		Count int     `json:"count"`
		P50   float64 `json:"p50"`
		P95   float64 `json:"p95"`
		P99   float64 `json:"p99"`
		Max   float64 `json:"max"`
	}{l.Count, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max)})
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// Limits that bound how many sessions a run can hold.
type Limits struct {
	ServerOpenFiles int64 `json:"server_open_files"` // soft RLIMIT_NOFILE of the server; -1 unlimited
	ToolOpenFiles   int64 `json:"tool_open_files"`
}

// ToolUsage is the load tool's own cost, to show it was not the bottleneck.
type ToolUsage struct {
	CPUSeconds float64 `json:"cpu_s"`
	RSS        int64   `json:"rss"`
}

// Machine describes where the figures were taken.
type Machine struct {
	CPUs     int    `json:"cpus"`
	MemBytes int64  `json:"mem_bytes"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
}

// Output is everything `run --json` prints.
type Output struct {
	Machine Machine   `json:"machine"`
	Runs    []*Report `json:"runs"`
}

func writeJSON(w io.Writer, out Output) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeTable prints the runs side by side, one column per server.
func writeTable(w io.Writer, out Output) error {
	m := out.Machine
	fmt.Fprintf(w, "machine: %d CPUs, %s memory, Linux %s, %s\n\n", m.CPUs, bytesIEC(m.MemBytes), m.Kernel, m.Go)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	row := func(label string, cell func(r *Report) string) {
		cells := []string{label}
		for _, r := range out.Runs {
			cells = append(cells, cell(r))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	row("", func(r *Report) string { return r.Target })
	row("address (pid)", func(r *Report) string { return fmt.Sprintf("%s (%s)", r.Addr, pidsText(r)) })
	row("sessions held", func(r *Report) string {
		s := fmt.Sprintf("%d of %d", r.Held, r.Sessions)
		if r.Interrupted {
			s += " (interrupted)"
		}
		return s
	})
	row("ramp rate", func(r *Report) string { return fmt.Sprintf("%g/s, %s client", r.Rate, r.Client) })
	for i := range maxInstances(out.Runs) {
		row(fmt.Sprintf("instance %d", i+1), func(r *Report) string { return instanceCell(r, i) })
	}
	for _, name := range latencyNames(out.Runs) {
		row(name+" p50/p95/p99", func(r *Report) string { return latencyCell(r.Latencies[name]) })
	}
	row("RSS idle → held", func(r *Report) string {
		return bytesIEC(r.Memory.BaselineRSS) + " → " + bytesIEC(r.Memory.HeldRSS)
	})
	row("RSS per session", func(r *Report) string { return bytesIEC(r.Memory.RSSPerSession) })
	row("PSS per session", func(r *Report) string { return bytesIEC(r.Memory.PSSPerSession) })
	row("processes", func(r *Report) string { return fmt.Sprint(r.Memory.Processes) })
	row("CPU before sessions", func(r *Report) string { return phaseCell(r.CPU.Baseline) })
	row("CPU during ramp", func(r *Report) string { return phaseCell(r.CPU.Ramp) })
	row("CPU during hold", func(r *Report) string { return phaseCell(r.CPU.Hold) })
	if anySMS(out.Runs) {
		row("sessions with a number", func(r *Report) string { return fmt.Sprint(r.SMS) })
		row("CPU, numbers open", func(r *Report) string { return phaseCell(r.CPU.Numbers) })
		row("SMS sent / taken / shown", func(r *Report) string { return smsCell(r.SMSPhase) })
		row("SMS lost / refused", func(r *Report) string { return smsLossCell(r.SMSPhase) })
		row("SMS rate achieved", func(r *Report) string { return smsRateCell(r.SMSPhase) })
		row("SMS in the database", func(r *Report) string { return smsStoredCell(r.SMSPhase) })
		row("CPU during SMS", func(r *Report) string { return phaseCell(r.CPU.SMS) })
		row("RSS after SMS", func(r *Report) string { return bytesIEC(r.Memory.SMSRSS) })
	}
	row("errors", func(r *Report) string { return errorsCell(r.Errors) })
	row("open files limit", func(r *Report) string {
		return fmt.Sprintf("server %s, tool %d", limitCell(r.Limits.ServerOpenFiles), r.Limits.ToolOpenFiles)
	})
	row("load tool", func(r *Report) string {
		return fmt.Sprintf("%.1f s CPU, %s RSS", r.Tool.CPUSeconds, bytesIEC(r.Tool.RSS))
	})
	return tw.Flush()
}

func smsCell(s *SMSSummary) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%d / %d / %d", s.Sent, s.Taken, s.Shown)
}

func smsLossCell(s *SMSSummary) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%d / %d", s.Lost, s.Refused)
}

func smsRateCell(s *SMSSummary) string {
	if s == nil || s.Rate == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f/s", s.Rate)
}

// smsStoredCell is the messages the numbers gained against the SMS taken.
func smsStoredCell(s *SMSSummary) string {
	switch {
	case s == nil || s.InDB < 0:
		return "-"
	case s.InDB == s.Taken:
		return fmt.Sprintf("%d (as taken)", s.InDB)
	case s.storedAsTaken():
		return fmt.Sprintf("%d (%d taken, the rest refused but stored)", s.InDB, s.Taken)
	}
	return fmt.Sprintf("%d, but %d taken of %d sent", s.InDB, s.Taken, s.Sent)
}

func pidsText(r *Report) string {
	if len(r.PIDs) == 0 {
		return fmt.Sprint(r.PID)
	}
	s := make([]string, len(r.PIDs))
	for i, p := range r.PIDs {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

func maxInstances(runs []*Report) int {
	n := 0
	for _, r := range runs {
		n = max(n, len(r.Instances))
	}
	return n
}

// instanceCell is one instance's sessions and connect p50.
func instanceCell(r *Report, i int) string {
	if i >= len(r.Instances) {
		return "-"
	}
	in := r.Instances[i]
	s := fmt.Sprintf("%s: %d of %d ready", in.Addr, in.Ready, in.Sessions)
	if in.Connect.Count > 0 {
		s += ", connect p50 " + msText(in.Connect.P50) + " ms"
	}
	return s
}

func anySMS(runs []*Report) bool {
	return slices.ContainsFunc(runs, func(r *Report) bool { return r.SMS > 0 })
}

// latencyNames lists every latency series of the runs, "connect" first.
func latencyNames(runs []*Report) []string {
	set := map[string]bool{}
	for _, r := range runs {
		for name := range r.Latencies {
			set[name] = true
		}
	}
	names := slices.Sorted(maps.Keys(set))
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == latencyConnect && b != latencyConnect:
			return -1
		case b == latencyConnect && a != latencyConnect:
			return 1
		}
		return 0
	})
	return names
}

func latencyCell(l Latency) string {
	if l.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("%s / %s / %s ms", msText(l.P50), msText(l.P95), msText(l.P99))
}

func msText(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func phaseCell(p Phase) string {
	if p.Wall <= 0 {
		return "-"
	}
	others := Phase{CPU: p.Others, Wall: p.Wall}.Percent()
	return fmt.Sprintf("%.2f s in %.0f s (%.1f %% of a core; other processes %.0f %%)",
		p.CPU.Seconds(), p.Wall.Seconds(), p.Percent(), others)
}

func errorsCell(errs map[string]int) string {
	if len(errs) == 0 {
		return "none"
	}
	kinds := slices.Sorted(maps.Keys(errs))
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, errs[k])
	}
	return strings.Join(parts, ", ")
}

func limitCell(v int64) string {
	switch {
	case v < 0:
		return "unlimited"
	case v == 0:
		return "-"
	}
	return fmt.Sprint(v)
}

// bytesIEC formats a byte count with binary units (KiB, MiB, GiB).
func bytesIEC(n int64) string {
	const unit = 1024
	if n < 0 {
		return "-" + bytesIEC(-n)
	}
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	if v < 10 {
		return fmt.Sprintf("%.2f %s", v, suffix)
	}
	return fmt.Sprintf("%.0f %s", v, suffix)
}
