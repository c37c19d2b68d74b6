package provider

import (
	"sync"
	"time"
)

// Stats counts one provider's upstream calls and errors for the admin
// view. Safe for concurrent use; the zero value is ready.
type Stats struct {
	mu        sync.Mutex
	calls     map[string]int64
	errs      map[string]int64
	lastErr   string
	lastErrAt time.Time
}

// StatsSnapshot is a copy of a provider's Stats and routing state.
type StatsSnapshot struct {
	Provider    string
	Enabled     bool
	Calls       int64            // all upstream calls
	Errors      int64            // calls that failed
	ByOp        map[string]int64 // calls per operation ("buy", "check", …)
	ErrorsByOp  map[string]int64
	LastError   string
	LastErrorAt time.Time
	CatalogueAt time.Time // when the cached catalogue was last refreshed
	Offers      int       // offers in the cached catalogue
}

// record counts one call of op that ended with err.
func (s *Stats) record(op string, err error, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls == nil {
		s.calls, s.errs = map[string]int64{}, map[string]int64{}
	}
	s.calls[op]++
	if err != nil {
		s.errs[op]++
		s.lastErr, s.lastErrAt = err.Error(), now
	}
}

func (s *Stats) snapshot() StatsSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := StatsSnapshot{ByOp: map[string]int64{}, ErrorsByOp: map[string]int64{}, LastError: s.lastErr, LastErrorAt: s.lastErrAt}
	for op, n := range s.calls {
		out.ByOp[op], out.Calls = n, out.Calls+n
	}
	for op, n := range s.errs {
		out.ErrorsByOp[op], out.Errors = n, out.Errors+n
	}
	return out
}
