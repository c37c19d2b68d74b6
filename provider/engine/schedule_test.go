package engine

import (
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider/sim"
)

// laggingClock reads the present a step behind the fake clock it wraps,
// as a scheduler does when the clock jumps between its read of Now and
// its setting of the timer.
type laggingClock struct {
	*sim.FakeClock
	lag time.Duration
}

func (c laggingClock) Now() time.Time { return c.FakeClock.Now().Add(-c.lag) }

// A job whose time has come by the clock must wake the engine even when
// the scheduler read a stale present: with a timer set by duration from
// that present, it would wait for a clock tick that never comes (a
// rental that never ends when a test jumps its fake clock).
func TestSchedulerWakesForAJobDueWhileItReadAStaleNow(t *testing.T) {
	fake := sim.NewFakeClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	s := newScheduler(laggingClock{FakeClock: fake, lag: time.Hour})
	s.setOn(true)
	s.add(job{at: fake.Now().Add(-time.Minute), id: 7, kind: jobExpire})
	select {
	case <-s.wake:
	case <-time.After(10 * time.Second):
		t.Fatal("a job already due by the clock never woke the scheduler")
	}
	if got := s.due(fake.Now()); len(got) != 1 || got[0].id != 7 {
		t.Fatalf("due: %+v", got)
	}
}

// A job in the future wakes the scheduler when the clock reaches it, not
// before.
func TestSchedulerWakesWhenTheClockReachesTheJob(t *testing.T) {
	fake := sim.NewFakeClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	s := newScheduler(fake)
	s.setOn(true)
	s.add(job{at: fake.Now().Add(time.Hour), id: 8, kind: jobExpire})
	fake.Advance(59 * time.Minute)
	select {
	case <-s.wake:
		t.Fatal("woke before the job was due")
	default:
	}
	fake.Advance(time.Minute)
	select {
	case <-s.wake:
	default:
		t.Fatal("not woken when the job fell due")
	}
}
