package kit

import (
	"testing"
	"time"
)

func TestGuardLeftWords(t *testing.T) {
	for _, c := range []struct {
		wait  time.Duration
		exact bool
		want  string
	}{
		{2 * time.Minute, false, "2 min"},
		{61 * time.Second, false, "2 min"},
		{60 * time.Second, false, "1 min"},
		{31 * time.Second, false, "1 min"},
		{30 * time.Second, false, "0:30"},
		{1500 * time.Millisecond, false, "0:02"},
		{119 * time.Second, true, "1:59"}, // a refusal on screen: to the second
	} {
		if got := GuardLeft(c.wait, c.exact); got != c.want {
			t.Errorf("GuardLeft(%v, %v) = %q, want %q", c.wait, c.exact, got, c.want)
		}
	}
}

// A two-minute guard redraws a pane some thirty times, not 120, and
// each wake lands just after the words change.
func TestGuardRedrawsCoarsely(t *testing.T) {
	wait, wakes := 2*time.Minute, 0
	shown := GuardLeft(wait, false)
	for wait > 0 {
		wait -= GuardChange(wait, false)
		wakes++
		if now := GuardLeft(max(wait, time.Nanosecond), false); now == shown && wait > 0 {
			t.Fatalf("woke at %v with %q still shown", wait, now)
		} else {
			shown = now
		}
	}
	if wakes > 35 {
		t.Fatalf("%d redraws for a two-minute guard, want at most 35", wakes)
	}
}
