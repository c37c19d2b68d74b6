package sshserver

import (
	"sync"
	"sync/atomic"
)

// registry tracks live sessions, dashboards and commands, so the server
// can say goodbye to each of them when it shuts down.
type registry struct {
	mu       sync.Mutex
	sessions map[*liveSession]struct{}
	closing  string
	started  atomic.Int64 // sessions ever added, for /metrics
}

// liveSession is one running dashboard or command: end asks it to stop
// with a reason, printed once the screen is restored (a command's handler
// prints it on stderr).
type liveSession struct {
	mu     sync.Mutex
	reason string
	quit   func()
}

// setReason records the goodbye line unless one is already set.
func (l *liveSession) setReason(reason string) {
	l.mu.Lock()
	if l.reason == "" {
		l.reason = reason
	}
	l.mu.Unlock()
}

func (l *liveSession) end(reason string) {
	l.setReason(reason)
	// Quitting waits for the program's event loop; never hold the caller
	// (a shutdown ending thousands of sessions, a timer) on one of them.
	// The goroutine ends when the program reads the message or dies.
	go l.quit()
}

func (l *liveSession) goodbye() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

func newRegistry() *registry { return &registry{sessions: map[*liveSession]struct{}{}} }

// add registers a session. During shutdown it refuses, returning the
// goodbye to show instead of starting the dashboard.
func (r *registry) add(l *liveSession) (closing string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing != "" {
		return r.closing
	}
	r.sessions[l] = struct{}{}
	r.started.Add(1)
	return ""
}

func (r *registry) remove(l *liveSession) {
	r.mu.Lock()
	delete(r.sessions, l)
	r.mu.Unlock()
}

func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

func (r *registry) endAll(reason string) {
	r.mu.Lock()
	r.closing = reason
	all := make([]*liveSession, 0, len(r.sessions))
	for l := range r.sessions {
		all = append(all, l)
	}
	r.mu.Unlock()
	for _, l := range all {
		l.end(reason)
	}
}
