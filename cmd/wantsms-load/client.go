package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
)

// The client kinds: a light stream scanner, or a full terminal emulator
// per session (what a test uses; heavier on the load tool's side).
const (
	clientStream = "stream"
	clientVT     = "vt"
)

// session is one open session as the load tool holds it.
type session interface {
	// Done is closed when the session has ended.
	Done() <-chan struct{}
	Close() error
}

// dialSpec says how one session connects and what tells it is ready.
type dialSpec struct {
	Addr    string
	User    string
	Signer  ssh.Signer
	Marker  string        // text on screen once the session is ready
	Timeout time.Duration // from the first byte of dialling to the marker
}

func (d dialSpec) options() sshterm.Options {
	return sshterm.Options{Addr: d.Addr, User: d.User, Signers: []ssh.Signer{d.Signer}, Timeout: d.Timeout}
}

// connectFunc opens a session and returns how long it took from dialling
// to the marker's arrival.
type connectFunc func(ctx context.Context, d dialSpec) (session, time.Duration, error)

func connector(kind string) (connectFunc, error) {
	switch kind {
	case clientStream:
		return connectStream, nil
	case clientVT:
		return connectVT, nil
	}
	return nil, fmt.Errorf("client %q: want %s or %s", kind, clientStream, clientVT)
}

// errNotReady is a session that connected but never showed its marker.
type errNotReady struct {
	marker string
	ended  bool // the server ended the session first
}

func (e errNotReady) Error() string {
	if e.ended {
		return fmt.Sprintf("session ended before %q was on screen", e.marker)
	}
	return fmt.Sprintf("%q not on screen in time", e.marker)
}

func connectStream(ctx context.Context, d dialSpec) (session, time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	s, err := sshterm.DialStream(ctx, d.options())
	if err != nil {
		return nil, 0, err
	}
	ready := s.Watch(d.Marker)
	if err := s.Start(); err != nil {
		s.Close()
		return nil, 0, err
	}
	select {
	case at := <-ready:
		return s, at.Sub(start), nil
	case <-s.Done():
		return nil, 0, errNotReady{marker: d.Marker, ended: true}
	case <-ctx.Done():
		s.Close()
		if ctx.Err() == context.Canceled {
			return nil, 0, ctx.Err()
		}
		return nil, 0, errNotReady{marker: d.Marker}
	}
}

// vtSession adds Done to a terminal emulator session.
type vtSession struct {
	*sshterm.Term
	done chan struct{}
}

func (v vtSession) Done() <-chan struct{} { return v.done }

func connectVT(ctx context.Context, d dialSpec) (session, time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	term, err := sshterm.Dial(ctx, d.options())
	if err != nil {
		return nil, 0, err
	}
	v := vtSession{Term: term, done: make(chan struct{})}
	go func() {
		_, _ = term.Wait()
		close(v.done)
	}()
	left := d.Timeout - time.Since(start)
	if err := term.WaitForFirst(left, d.Marker); err != nil {
		e := errNotReady{marker: d.Marker}
		select {
		case <-v.done:
			e.ended = true
		default:
		}
		term.Close()
		return nil, 0, e
	}
	return v, time.Since(start), nil
}
