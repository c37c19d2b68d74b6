package sshserver

import "sync"

// registry tracks live dashboard sessions so the server can say goodbye to
// each of them when it shuts down.
type registry struct {
	mu       sync.Mutex
	sessions map[*liveSession]struct{}
	closing  string
}

// liveSession is one running dashboard: end asks it to stop with a reason
// that is printed once the screen is restored.
type liveSession struct {
	mu     sync.Mutex
	reason string
	quit   func()
}

func (l *liveSession) end(reason string) {
	l.mu.Lock()
	if l.reason == "" {
		l.reason = reason
	}
	l.mu.Unlock()
	l.quit()
}

func (l *liveSession) goodbye() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

func newRegistry() *registry { return &registry{sessions: map[*liveSession]struct{}{}} }

// add registers a session; during shutdown it is ended at once.
func (r *registry) add(l *liveSession) {
	r.mu.Lock()
	closing := r.closing
	if closing == "" {
		r.sessions[l] = struct{}{}
	}
	r.mu.Unlock()
	if closing != "" {
		l.end(closing)
	}
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
