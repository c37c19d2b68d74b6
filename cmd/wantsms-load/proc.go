package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat.
// The kernel reports 100 per second to user space on every architecture
// Go supports, whatever its internal tick rate (see proc(5), "sysconf(_SC_CLK_TCK)").
const clockTicks = 100

// procRoot is where the proc filesystem is mounted; tests point it at
// fixtures.
var procRoot = "/proc"

// procStat is what the load tool reads from /proc/PID/stat.
type procStat struct {
	PPID int
	// CPU is user plus system time of the process and of its children it
	// has waited for (utime+stime+cutime+cstime).
	CPU time.Duration
}

// parseStat reads /proc/PID/stat. The command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStat(stat string) (procStat, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return procStat{}, errors.New("stat: no ')' after the command name")
	}
	// After ") ": state ppid pgrp session tty tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime ... (fields 3 to 17).
	f := strings.Fields(stat[i+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("stat: %d fields after the name, want at least 15", len(f))
	}
	ppid, err := strconv.Atoi(f[1])
	if err != nil {
		return procStat{}, fmt.Errorf("stat ppid %q: %w", f[1], err)
	}
	var ticks int64
	for _, s := range f[11:15] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("stat cpu field %q: %w", s, err)
		}
		ticks += v
	}
	return procStat{PPID: ppid, CPU: time.Duration(ticks) * time.Second / clockTicks}, nil
}

// kBField returns the value of a "Name:   123 kB" line in bytes, as in
// /proc/PID/status (VmRSS) and /proc/PID/smaps_rollup (Pss).
func kBField(text, name string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s: unexpected %q", name, rest)
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return v * 1024, nil
	}
	return 0, fmt.Errorf("no %s line", name)
}

// openFilesLimit returns the soft and hard "Max open files" of
// /proc/PID/limits; -1 stands for unlimited.
func openFilesLimit(limits string) (soft, hard int64, err error) {
	sc := bufio.NewScanner(strings.NewReader(limits))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "Max open files")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			return 0, 0, fmt.Errorf("limits: unexpected %q", rest)
		}
		if soft, err = limitValue(f[0]); err == nil {
			hard, err = limitValue(f[1])
		}
		return soft, hard, err
	}
	return 0, 0, errors.New("limits: no \"Max open files\" line")
}

func limitValue(s string) (int64, error) {
	if s == "unlimited" {
		return -1, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("limit %q: %w", s, err)
	}
	return v, nil
}

func readProc(pid int, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), name))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// processes reads the stat of every process visible in /proc.
func processes() (map[int]procStat, error) {
	dirs, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	out := make(map[int]procStat, len(dirs))
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		text, err := readProc(pid, "stat")
		if err != nil {
			continue // it ended meanwhile
		}
		if st, err := parseStat(text); err == nil {
			out[pid] = st
		}
	}
	return out, nil
}

// tree returns root and its descendants, root first.
func tree(all map[int]procStat, root int) []int {
	children := map[int][]int{}
	for pid, st := range all {
		children[st.PPID] = append(children[st.PPID], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// reading is one measurement of a process tree's CPU and memory.
type reading struct {
	At    time.Time
	CPU   time.Duration // summed over the tree
	RSS   int64         // bytes, summed over the tree (shared pages counted in each)
	PSS   int64         // bytes, proportional set size summed over the tree
	Procs int
}

// sampleTree reads CPU and memory of the roots (instances of the server)
// and all their descendants, each process once. Processes that end while
// being read are skipped.
func sampleTree(roots ...int) (reading, error) {
	all, err := processes()
	if err != nil {
		return reading{}, err
	}
	seen := map[int]bool{}
	var pids []int
	for _, root := range roots {
		if _, ok := all[root]; !ok {
			return reading{}, fmt.Errorf("process %d is gone", root)
		}
		for _, pid := range tree(all, root) {
			if !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
	}
	u := reading{At: time.Now()}
	for _, pid := range pids {
		status, err1 := readProc(pid, "status")
		rollup, err2 := readProc(pid, "smaps_rollup")
		if err1 != nil || err2 != nil {
			continue
		}
		rss, err1 := kBField(status, "VmRSS")
		pss, err2 := kBField(rollup, "Pss")
		if err := errors.Join(err1, err2); err != nil {
			return reading{}, fmt.Errorf("process %d: %w", pid, err)
		}
		u.CPU += all[pid].CPU
		u.RSS += rss
		u.PSS += pss
		u.Procs++
	}
	return u, nil
}

// cpuBusy returns the time all CPUs together spent not idle, from the
// "cpu" line of /proc/stat (user nice system idle iowait irq softirq
// steal ...; guest time is already inside user).
func cpuBusy(stat string) (time.Duration, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for i, s := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// snapshot is one reading of the server's tree, this process's CPU and
// the whole machine's, so a phase can tell how busy everything else was.
type snapshot struct {
	Server reading
	Self   time.Duration
	Busy   time.Duration
}

func takeSnapshot(serverPIDs ...int) (snapshot, error) {
	server, err := sampleTree(serverPIDs...)
	if err != nil {
		return snapshot{}, err
	}
	s := snapshot{Server: server}
	if text, err := readProc(os.Getpid(), "stat"); err == nil {
		if st, err := parseStat(text); err == nil {
			s.Self = st.CPU
		}
	}
	if b, err := os.ReadFile(filepath.Join(procRoot, "stat")); err == nil {
		s.Busy, _ = cpuBusy(string(b))
	}
	return s, nil
}
