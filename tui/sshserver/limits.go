package sshserver

import (
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// connLimits counts slots in use, in total and per client (an IPv4
// address, or an IPv6 /64: netaddr.Group). A connection takes one slot
// when it is accepted, and every session it opens beyond its first takes
// one more: what costs memory is a session (each is a whole dashboard),
// so a client cannot hold more of them by opening many on one connection
// than over many connections.
type connLimits struct {
	mu     sync.Mutex
	total  int
	perIP  map[string]int
	maxAll int
	maxPer int // 0: no per-client cap
}

func newConnLimits(maxAll, maxPer int) *connLimits {
	return &connLimits{perIP: map[string]int{}, maxAll: maxAll, maxPer: maxPer}
}

func (l *connLimits) acquire(group string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxAll || (l.maxPer > 0 && l.perIP[group] >= l.maxPer) {
		return false
	}
	l.total++
	l.perIP[group]++
	return true
}

func (l *connLimits) release(group string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[group]--; l.perIP[group] <= 0 {
		delete(l.perIP, group)
	}
}

// connSessions counts the sessions open on one connection and holds its
// handshake timer.
type connSessions struct {
	mu        sync.Mutex
	open      int
	group     string      // the client, for connLimits
	started   bool        // a session ran: the handshake is over
	handshake *time.Timer // closes the connection unless a session starts
}

func (cs *connSessions) hasStarted() bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.started
}

// connSessionsKey holds a connection's connSessions in its context.
type connSessionsKey struct{}

// sessionChannel opens a session channel within the caps: at most
// MaxSessionsPerConn on one connection, and, past its first, one slot of
// the client's and the total caps each. A refused channel is rejected
// with the reason; the connection and its other sessions go on.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx ssh.Context) {
	cs, _ := ctx.Value(connSessionsKey{}).(*connSessions)
	if cs == nil {
		_ = newChan.Reject(gossh.ResourceShortage, "no session here")
		return
	}
	if reason := s.openSession(cs); reason != "" {
		s.log.Warn("session refused: "+reason, "remote", conn.RemoteAddr().String())
		_ = newChan.Reject(gossh.ResourceShortage, reason)
		return
	}
	// The session's slot is given back when its channel's requests end
	// (the channel closed), not when the library's request loop does: that
	// ends as soon as the session is handled (see relayedChannel).
	win := &sessionWindow{}
	sctx, endSession := newSessionContext(ctx, win)
	ended := func() {
		endSession() // what runs on the channel ends with it
		s.closeSession(cs)
	}
	libraryDone := make(chan struct{})
	defer close(libraryDone)
	ssh.DefaultSessionHandler(srv, conn, relayedChannel{newChan, win, ended, libraryDone}, sctx)
}

func (s *Server) openSession(cs *connSessions) (refused string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case cs.open >= s.cfg.MaxSessionsPerConn:
		return "too many sessions on this connection"
	case cs.open >= 1 && !s.limits.acquire(cs.group):
		return "too many sessions from your address"
	}
	cs.open++
	return ""
}

func (s *Server) closeSession(cs *connSessions) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.open--; cs.open >= 1 {
		s.limits.release(cs.group) // the slot of a session beyond the first
	}
}
