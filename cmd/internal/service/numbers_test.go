package service

import (
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider/sim"
)

// Two instances started in the same millisecond hand out simulated
// activation ids of their own (a push finds its number by provider and
// id), and every id reads exactly as a JSON number.
func TestSimIDsDifferAcrossInstancesStartedTogether(t *testing.T) {
	clock := sim.NewFakeClock(time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC))
	seen := map[uint64]bool{}
	for range 3 {
		o := simOptions(NumbersConfig{}, clock)
		if seen[o.FirstRef] || o.FirstRef+1_000_000 >= 1<<53 {
			t.Fatalf("first id %d: repeated or past 2^53", o.FirstRef)
		}
		seen[o.FirstRef] = true
	}
}
