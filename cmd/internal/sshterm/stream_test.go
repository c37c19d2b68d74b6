package sshterm

import (
	"errors"
	"testing"
	"time"

	cssh "github.com/charmbracelet/ssh"
	"golang.org/x/crypto/ssh"
)

func TestScannerFindsMarkersAcrossChunks(t *testing.T) {
	var sc scanner
	split := &watch{marker: []byte("alice@example.com"), seen: make(chan time.Time, 1)}
	whole := &watch{marker: []byte("code 4711"), seen: make(chan time.Time, 1)}
	never := &watch{marker: []byte("absent"), seen: make(chan time.Time, 1)}
	sc.add(split)
	sc.add(whole)
	sc.add(never)
	t0 := time.Unix(100, 0)
	// The email arrives in three chunks, the middle one a single byte.
	chunks := []string{"\x1b[1;1Hhello ali", "c", "e@example.com\x1b[K ... code 4711 ..."}
	for i, c := range chunks {
		sc.feed([]byte(c), t0.Add(time.Duration(i)*time.Second))
	}
	for name, w := range map[string]*watch{"split": split, "whole": whole} {
		select {
		case at := <-w.seen:
			if want := t0.Add(2 * time.Second); !at.Equal(want) {
				t.Errorf("%s seen at %v, want the last chunk's time %v", name, at, want)
			}
		default:
			t.Errorf("%s marker not found", name)
		}
	}
	select {
	case <-never.seen:
		t.Error("absent marker reported")
	default:
	}
	if len(sc.watches) != 1 || sc.keep != len("absent")-1 || len(sc.tail) != sc.keep {
		t.Errorf("after firing: %d watches, keep %d, tail %q; want 1, %d, %d bytes",
			len(sc.watches), sc.keep, sc.tail, len("absent")-1, len("absent")-1)
	}
}

func TestScannerFiresOnceAndKeepsLittle(t *testing.T) {
	var sc scanner
	w := &watch{marker: []byte("ready"), seen: make(chan time.Time, 1)}
	sc.add(w)
	big := make([]byte, 64<<10)
	sc.feed(big, time.Now())
	if cap(sc.tail) > 2*len("ready") {
		t.Errorf("tail capacity %d after a 64 KiB chunk; want at most %d", cap(sc.tail), 2*len("ready"))
	}
	sc.feed([]byte("ready ready"), time.Now())
	sc.feed([]byte("ready"), time.Now()) // must not block on the full channel
	if len(w.seen) != 1 || len(sc.watches) != 0 {
		t.Errorf("seen %d times, %d watches left; want 1 and 0", len(w.seen), len(sc.watches))
	}
}

func TestStreamWatchesTypedEcho(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	o := Options{Addr: srv.addr, Signers: []ssh.Signer{newTestKey(t)}, Command: "keys"}
	s, err := DialStream(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := time.Now()
	echo := s.Watch(`got "h"`) // one byte: a busy server may read more in pieces
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Type("h"); err != nil {
		t.Fatal(err)
	}
	select {
	case at := <-echo:
		if at.Before(before) {
			t.Errorf("marker time %v is before the watch began (%v)", at, before)
		}
	case <-s.Done():
		t.Fatalf("session ended: %v", s.Err())
	case <-time.After(wait):
		t.Fatal("echo not seen")
	}
	if s.Received() < int64(len(`got "h"`)) {
		t.Errorf("Received() = %d, want at least the echo", s.Received())
	}
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	<-s.Done()
	if err := s.Type("x"); !errors.Is(err, ErrEnded) {
		t.Errorf("Type after close = %v, want ErrEnded", err)
	}
}

func TestStreamWaitForFailsWhenSessionEnds(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	o := Options{Addr: srv.addr, KeyboardInteractive: true, Command: "clip hi"}
	s, err := DialStream(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	copied := s.Watch("copied")
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitFor(wait, "never printed"); !errors.Is(err, ErrEnded) {
		t.Errorf("WaitFor = %v, want ErrEnded", err)
	}
	select {
	case <-copied:
	default:
		t.Error("output before the end was not scanned")
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err() = %v for a clean exit", err)
	}
}

// A command runs beside the interactive session on the same connection,
// which stays usable after it.
func TestStreamRunsACommandOnItsConnection(t *testing.T) {
	srv := startServer(t, nil, cssh.EmulatePty())
	o := Options{Addr: srv.addr, Signers: []ssh.Signer{newTestKey(t)}, Command: "keys"}
	s, err := DialStream(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	out, errOut, status, err := s.Run(t.Context(), "status 3")
	if err != nil || status != 3 || len(out) != 0 || string(errOut) != "oops" {
		t.Fatalf("Run = %q, %q, %d, %v; want no output, oops on stderr and status 3", out, errOut, status, err)
	}
	// Watched before typing: WaitFor counts output from its call on, and
	// the echo may come back before a busy test gets there. One byte: the
	// server prints each read, and may read a longer input in pieces.
	echo := s.Watch(`got "z"`)
	if err := s.Type("z"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-echo:
	case <-s.Done():
		t.Errorf("the interactive session ended after Run: %v", s.Err())
	case <-time.After(wait):
		t.Error("the interactive session after Run: no echo of what was typed")
	}
	s.Close()
	<-s.Done()
	if _, _, _, err := s.Run(t.Context(), "status 0"); err == nil {
		t.Error("Run on a closed connection succeeded")
	}
}
