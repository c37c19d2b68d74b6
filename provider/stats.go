package provider

import (
	"sync"
	"time"
)

// Error rates over time are kept in buckets of statsBucket, a day's worth
// plus the one being filled: the admin view shows the last hour and day,
// to within a bucket.
const (
	statsBucket  = 5 * time.Minute
	statsBuckets = int(24*time.Hour/statsBucket) + 1
)

// Stats counts one provider's upstream calls and errors for the admin
// view and /metrics. Safe for concurrent use; the zero value is ready.
type Stats struct {
	mu        sync.Mutex
	calls     map[string]int64
	errs      map[string]int64
	lastErr   string
	lastErrAt time.Time
	buckets   [statsBuckets]bucket
}

// bucket counts the calls of one statsBucket of time.
type bucket struct {
	slot        int64 // unix time / statsBucket; 0 = unused
	calls, errs int64
}

// Window is what happened in a span of time.
type Window struct {
	Calls, Errors int64
}

// ErrorPercent is the share of calls that failed, in whole percent
// rounded up (one failure in a thousand shows as 1 %); ok is false when
// there was no call.
func (w Window) ErrorPercent() (pct int64, ok bool) {
	if w.Calls == 0 {
		return 0, false
	}
	return (w.Errors*100 + w.Calls - 1) / w.Calls, true
}

// StatsSnapshot is a copy of a provider's Stats and routing state.
type StatsSnapshot struct {
	Provider    string
	Enabled     bool
	Calls       int64            // all upstream calls since start
	Errors      int64            // calls that failed since start
	ByOp        map[string]int64 // calls per operation ("buy", "check", …)
	ErrorsByOp  map[string]int64
	LastError   string
	LastErrorAt time.Time
	CatalogueAt time.Time // when the cached catalogue was last refreshed
	Offers      int       // offers in the cached catalogue
	Hour, Day   Window    // calls and errors in the last hour and day
}

func slotOf(t time.Time) int64 { return t.Unix() / int64(statsBucket/time.Second) }

// record counts one call of op that ended with err.
func (s *Stats) record(op string, err error, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls, s.errs = map[string]int64{}, map[string]int64{}
	}
	s.calls[op]++
	slot := slotOf(now)
	b := &s.buckets[slot%int64(statsBuckets)]
	if b.slot != slot {
		*b = bucket{slot: slot}
	}
	b.calls++
	if err != nil {
		s.errs[op]++
		b.errs++
		s.lastErr, s.lastErrAt = err.Error(), now
	}
}

// window sums the buckets no older than d before now.
func (s *Stats) window(now time.Time, d time.Duration) Window {
	cur := slotOf(now)
	oldest := cur - int64(d/statsBucket) + 1
	var w Window
	for _, b := range s.buckets {
		if b.slot >= oldest && b.slot <= cur {
			w.Calls += b.calls
			w.Errors += b.errs
		}
	}
	return w
}

func (s *Stats) snapshot(now time.Time) StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := StatsSnapshot{ByOp: map[string]int64{}, ErrorsByOp: map[string]int64{}, LastError: s.lastErr,
		LastErrorAt: s.lastErrAt, Hour: s.window(now, time.Hour), Day: s.window(now, 24*time.Hour)}
	for op, n := range s.calls {
		out.ByOp[op], out.Calls = n, out.Calls+n
	}
	for op, n := range s.errs {
		out.ErrorsByOp[op], out.Errors = n, out.Errors+n
	}
	return out
}
