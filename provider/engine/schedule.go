package engine

import (
	"container/heap"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider/sim"
)

// jobKind is what a scheduled job does to a reservation.
type jobKind int

const (
	jobPoll   jobKind = iota // ask the provider for messages
	jobExpire                // end the reservation at its lifetime's end
)

// job is one thing to do for a reservation at a time.
type job struct {
	at       time.Time
	id       int64
	kind     jobKind
	gen      uint64        // poll chain generation: stale chains are dropped
	interval time.Duration // poll: the wait that led here, for backoff
	seq      uint64
	index    int
}

// scheduler is a time-ordered queue of jobs behind one clock timer: the
// whole engine holds a single pending timer however many reservations
// are open, and everything in it can be rebuilt from the database. It
// takes jobs only while on: while its engine leads (lead.go).
type scheduler struct {
	clock   sim.Clock
	wake    chan struct{} // signalled when the earliest job falls due
	mu      sync.Mutex
	on      bool
	jobs    jobHeap
	seq     uint64
	timer   sim.Stopper
	timerAt time.Time
}

func newScheduler(clock sim.Clock) *scheduler {
	return &scheduler{clock: clock, wake: make(chan struct{}, 1)}
}

// add queues j and re-arms the timer if j is now the earliest; off, it
// drops j.
func (s *scheduler) add(j job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on {
		return
	}
	s.seq++
	j.seq = s.seq
	heap.Push(&s.jobs, &j)
	s.arm()
}

// due pops every job due at now.
func (s *scheduler) due(now time.Time) []job {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []job
	for len(s.jobs) > 0 && !s.jobs[0].at.After(now) {
		out = append(out, *heap.Pop(&s.jobs).(*job))
	}
	s.timer, s.timerAt = nil, time.Time{}
	s.arm()
	return out
}

// arm sets the timer for the earliest job unless it is already set for
// it. Called with s.mu held.
func (s *scheduler) arm() {
	if len(s.jobs) == 0 {
		return
	}
	first := s.jobs[0].at
	if s.timer != nil && !first.Before(s.timerAt) {
		return
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	// At an absolute time: a duration from a Now read before a (fake)
	// clock jumped would land after the jump and leave the job waiting
	// for a tick that never comes. A time already passed fires at once.
	s.timerAt = first
	s.timer = s.clock.AfterFuncAt(first, s.signal)
}

func (s *scheduler) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// setOn turns the scheduler on or off; off, its jobs and its timer go.
func (s *scheduler) setOn(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.on = on
	if !on {
		s.jobs = nil
		s.stopTimer()
	}
}

// stop cancels the pending timer.
func (s *scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopTimer()
}

func (s *scheduler) stopTimer() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer, s.timerAt = nil, time.Time{}
	}
}

// pending counts queued jobs (for tests and stats).
func (s *scheduler) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i]; h[i].index, h[j].index = i, j }
func (h *jobHeap) Push(x any)   { j := x.(*job); j.index = len(*h); *h = append(*h, j) }
func (h *jobHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}
