package sim

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the time source of a Sim: the present, and callbacks scheduled
// for later. Real time uses runtime timers (no goroutine waits while a
// timer is pending); tests use a FakeClock and advance it by hand.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once, d from now, unless stopped first.
	AfterFunc(d time.Duration, f func()) Stopper
	// AfterFuncAt calls f once at t (at once if t has passed), unless
	// stopped first. Absolute, so a caller that read Now a moment ago
	// cannot land later than it meant when the clock moved meanwhile.
	AfterFuncAt(t time.Time, f func()) Stopper
}

// Stopper cancels a scheduled callback; Stop reports whether it did.
type Stopper interface {
	Stop() bool
}

// RealClock is the wall clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Stopper { return time.AfterFunc(d, f) }

func (realClock) AfterFuncAt(t time.Time, f func()) Stopper { return time.AfterFunc(time.Until(t), f) }

// FakeClock is a Clock that moves only when told to. Callbacks that fall
// due run synchronously inside Advance, in time order, so tests are
// deterministic and never sleep. It is safe for concurrent use.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
}

// NewFakeClock starts a FakeClock at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now is the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f to run when the clock has advanced by d.
func (c *FakeClock) AfterFunc(d time.Duration, f func()) Stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.push(c.now.Add(d), f)
}

// AfterFuncAt schedules f to run when the clock reaches t; when it has
// already, f runs at once on its own goroutine, as a runtime timer would.
func (c *FakeClock) AfterFuncAt(t time.Time, f func()) Stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		return c.push(t, f)
	}
	go f()
	return &fakeTimer{c: c, index: -1}
}

// push queues f at when. Called with c.mu held.
func (c *FakeClock) push(when time.Time, f func()) *fakeTimer {
	c.seq++
	t := &fakeTimer{c: c, when: when, seq: c.seq, f: f}
	heap.Push(&c.timers, t)
	return t
}

// Advance moves the clock forward by d, running every callback that falls
// due on the way, each with the clock set to its due time.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].when.After(target) {
			c.now = target
			c.mu.Unlock()
			return
		}
		t := heap.Pop(&c.timers).(*fakeTimer)
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending is the number of callbacks scheduled and not yet run or stopped.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

type fakeTimer struct {
	c     *FakeClock
	when  time.Time
	seq   uint64
	f     func()
	index int // in the heap; -1 once popped or removed
}

// Stop removes the callback if it has not run yet.
func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.c.timers, t.index)
	return true
}

type timerHeap []*fakeTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*fakeTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
