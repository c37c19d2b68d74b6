package main

import (
	"net"
	"os"
	"testing"
)

func TestListeningInodesPicksListenersOnThePort(t *testing.T) {
	table := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:5DF6 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:5DF6 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0
`
	got := listeningInodes(table, 0x5DF6)
	if len(got) != 1 || got[0] != "111" {
		t.Errorf("listeningInodes = %v, want [111] (not the established connection, not port 8080)", got)
	}
}

func TestFindListenerFindsThisProcess(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pid, err := findListener(l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if pid != os.Getpid() {
		t.Errorf("found pid %d, want this test's %d", pid, os.Getpid())
	}
	addr := l.Addr().String()
	l.Close()
	if _, err := findListener(addr); err == nil {
		t.Error("a closed port was found")
	}
	if _, err := findListener("no-port"); err == nil {
		t.Error("an address without a port was accepted")
	}
}
