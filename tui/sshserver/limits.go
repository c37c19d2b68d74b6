package sshserver

import "sync"

// connLimits counts open connections in total and per remote address.
type connLimits struct {
	mu     sync.Mutex
	total  int
	perIP  map[string]int
	maxAll int
	maxPer int // 0: no per-address cap
}

func newConnLimits(maxAll, maxPer int) *connLimits {
	return &connLimits{perIP: map[string]int{}, maxAll: maxAll, maxPer: maxPer}
}

func (l *connLimits) acquire(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.maxAll || (l.maxPer > 0 && l.perIP[ip] >= l.maxPer) {
		return false
	}
	l.total++
	l.perIP[ip]++
	return true
}

func (l *connLimits) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.perIP[ip]--; l.perIP[ip] <= 0 {
		delete(l.perIP, ip)
	}
}
