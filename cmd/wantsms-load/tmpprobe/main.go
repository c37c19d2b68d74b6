package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

type w struct {
	start  time.Time
	first  time.Duration
	marker string
	buf    []byte
	done   chan time.Duration
}

func (x *w) Write(p []byte) (int, error) {
	if x.first == 0 {
		x.first = time.Since(x.start)
	}
	x.buf = append(x.buf, p...)
	if x.done != nil && bytes.Contains(x.buf, []byte(x.marker)) {
		x.done <- time.Since(x.start)
		x.done = nil
	}
	return len(p), nil
}

func main() {
	f, _ := os.Open(os.Args[2])
	sc := bufio.NewScanner(f)
	sc.Scan()
	for i := 0; i < 10 && sc.Scan(); i++ {
		fl := strings.Fields(sc.Text())
		seed, _ := base64.StdEncoding.DecodeString(fl[1])
		signer, _ := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(seed))
		t0 := time.Now()
		conn, _ := net.Dial("tcp", os.Args[1])
		tDial := time.Since(t0)
		c, ch, rq, err := ssh.NewClientConn(conn, os.Args[1], &ssh.ClientConfig{User: "x", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		if err != nil {
			panic(err)
		}
		tHS := time.Since(t0)
		cl := ssh.NewClient(c, ch, rq)
		s, _ := cl.NewSession()
		tSess := time.Since(t0)
		s.RequestPty("xterm-256color", 24, 80, ssh.TerminalModes{})
		tPty := time.Since(t0)
		x := &w{start: t0, marker: fl[0], done: make(chan time.Duration, 1)}
		s.Stdout = x
		s.Shell()
		tShell := time.Since(t0)
		d := <-x.done
		fmt.Printf("dial %v hs %v sess %v pty %v shell %v first %v marker %v\n", tDial, tHS, tSess, tPty, tShell, x.first, d)
		cl.Close()
		time.Sleep(200 * time.Millisecond)
	}
}
