package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseStatCountsFieldsAfterTheName(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields.
	stat := "4242 (we(i)rd ) name) S 17 4242 4242 0 -1 4194560 500 0 0 0 250 150 30 20 20 0 9 0 100 2000000 900 ..."
	st, err := parseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if st.PPID != 17 {
		t.Errorf("ppid %d, want 17", st.PPID)
	}
	// utime 250 + stime 150 + cutime 30 + cstime 20 = 450 ticks = 4.5 s.
	if want := 4500 * time.Millisecond; st.CPU != want {
		t.Errorf("cpu %v, want %v", st.CPU, want)
	}
	for _, bad := range []string{"no parenthesis", "1 (x) S 1 2", "1 (x) S notanumber 1 1 0 -1 0 0 0 0 0 1 1 1 1"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestKBFieldAndLimits(t *testing.T) {
	status := "Name:\twantsms\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nThreads:\t7\n"
	if v, err := kBField(status, "VmRSS"); err != nil || v != 123456*1024 {
		t.Errorf("VmRSS = %d, %v", v, err)
	}
	if _, err := kBField(status, "Pss"); err == nil {
		t.Error("missing field accepted")
	}
	if _, err := kBField("VmRSS:\t12 MB\n", "VmRSS"); err == nil {
		t.Error("unit other than kB accepted")
	}
	limits := "Limit                     Soft Limit           Hard Limit           Units\n" +
		"Max processes             192729               192729               processes\n" +
		"Max open files            20000                40000                files\n"
	if soft, hard, err := openFilesLimit(limits); err != nil || soft != 20000 || hard != 40000 {
		t.Errorf("open files = %d/%d, %v", soft, hard, err)
	}
	if soft, _, err := openFilesLimit("Max open files  unlimited unlimited files\n"); err != nil || soft != -1 {
		t.Errorf("unlimited = %d, %v", soft, err)
	}
}

func TestCPUBusyLeavesOutIdleAndIOWait(t *testing.T) {
	stat := "cpu  100 5 50 10000 300 7 8 30 0 0\ncpu0 50 2 25 5000 150 3 4 15 0 0\n"
	// user+nice+system+irq+softirq+steal = 100+5+50+7+8+30 = 200 ticks.
	if d, err := cpuBusy(stat); err != nil || d != 2*time.Second {
		t.Errorf("cpuBusy = %v, %v; want 2s", d, err)
	}
	if _, err := cpuBusy("intr 1 2 3\n"); err == nil {
		t.Error("a file without a cpu line accepted")
	}
}

func TestTreeFindsDescendants(t *testing.T) {
	all := map[int]procStat{1: {PPID: 0}, 10: {PPID: 1}, 11: {PPID: 10}, 12: {PPID: 11}, 20: {PPID: 1}}
	got := tree(all, 10)
	if len(got) != 3 || got[0] != 10 {
		t.Errorf("tree(10) = %v, want 10, 11, 12", got)
	}
}

// The real /proc: this test process and a child it starts.
func TestSampleTreeReadsThisProcessAndItsChild(t *testing.T) {
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Skipf("cannot start a child: %v", err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	u, err := sampleTree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.Procs < 2 || u.RSS <= 0 || u.PSS <= 0 || u.PSS > u.RSS {
		t.Errorf("sample = %+v; want this process and its child, RSS >= PSS > 0", u)
	}
	if _, err := sampleTree(1 << 30); err == nil {
		t.Error("a missing process was measured")
	}
	s, err := takeSnapshot(os.Getpid())
	if err != nil || s.Busy <= 0 || s.Self < 0 {
		t.Errorf("snapshot = %+v, %v", s, err)
	}
}
