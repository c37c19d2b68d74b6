package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tcpListen is the state number of a listening socket in /proc/net/tcp.
const tcpListen = "0A"

// listeningInodes returns the socket inodes listening on port, read from
// a /proc/net/tcp or tcp6 table.
func listeningInodes(table string, port int) []string {
	want := fmt.Sprintf(":%04X", port)
	var out []string
	sc := bufio.NewScanner(strings.NewReader(table))
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != tcpListen || !strings.HasSuffix(f[1], want) {
			continue
		}
		out = append(out, f[9])
	}
	return out
}

// findListener returns the process listening on addr's TCP port, by
// matching the socket's inode against every process's open files. It
// needs to see the server's /proc/PID/fd (same user, or root).
func findListener(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, fmt.Errorf("address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return 0, fmt.Errorf("address %q: port: %w", addr, err)
	}
	inodes := map[string]bool{}
	for _, name := range []string{"net/tcp", "net/tcp6"} {
		b, err := os.ReadFile(filepath.Join(procRoot, name))
		if err != nil {
			continue
		}
		for _, ino := range listeningInodes(string(b), port) {
			inodes["socket:["+ino+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("nothing listens on TCP port %d", port)
	}
	pids := socketOwners(inodes)
	switch len(pids) {
	case 0:
		return 0, fmt.Errorf("port %d is listened on, but by no process whose files this user may read: pass --server-pid", port)
	case 1:
		return pids[0], nil
	}
	return 0, fmt.Errorf("port %d is held by processes %v: pass --server-pid", port, pids)
}

// socketOwners lists the processes holding any of the sockets.
func socketOwners(sockets map[string]bool) []int {
	dirs, _ := os.ReadDir(procRoot)
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		fdDir := filepath.Join(procRoot, d.Name(), "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join(fdDir, fd.Name())); err == nil && sockets[link] {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
