package kit

import (
	"testing"
	"time"
)

func TestLongClock(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{7 * 24 * time.Hour, "7 d 0 h"}, {7*24*time.Hour - time.Minute, "7 d 0 h"},
		{6*24*time.Hour + 23*time.Hour, "6 d 23 h"}, {24*time.Hour + time.Second, "1 d 1 h"},
		{24 * time.Hour, "1 d 0 h"}, {24*time.Hour - time.Second, "24 h 00"}, {5*time.Hour + 4*time.Minute, "5 h 04"},
		{90 * time.Second, "1:30"},
	} {
		if got := LongClock(c.d); got != c.want {
			t.Errorf("LongClock(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	// Each change lands just after the text changed, never before.
	for _, d := range []time.Duration{7 * 24 * time.Hour, 3*24*time.Hour + 17*time.Minute, 25 * time.Hour,
		24*time.Hour + 30*time.Second, 5*time.Hour + 4*time.Minute} {
		w := LongClockChange(d)
		if w <= 0 || LongClock(d-w) == LongClock(d) || LongClock(d-w+2*TickMargin) != LongClock(d) {
			t.Errorf("LongClockChange(%v) = %v: %q → %q", d, w, LongClock(d), LongClock(d-w))
		}
	}
}
