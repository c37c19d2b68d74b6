package sshserver

import "sync"

// handlerGate counts the session handlers running and, once the server
// shuts down, lets no new one start: Shutdown waits for those running,
// then the caller may close what they use (the store). A WaitGroup would
// not do: a handler may start at any moment (its connection's request
// came in just before), and a WaitGroup's Add must never race its Wait.
type handlerGate struct {
	mu      sync.Mutex
	running int
	closed  bool
	idle    chan struct{} // made by close; closed once nothing runs
}

// enter counts a handler in, or refuses once the server shuts down.
func (g *handlerGate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.running++
	return true
}

// leave counts a handler out.
func (g *handlerGate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running--; g.closed && g.running == 0 {
		close(g.idle)
	}
}

// close refuses every handler from now on and returns a channel closed
// once none runs.
func (g *handlerGate) close() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed, g.idle = true, make(chan struct{})
		if g.running == 0 {
			close(g.idle)
		}
	}
	return g.idle
}
