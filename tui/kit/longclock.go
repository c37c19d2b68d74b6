package kit

import (
	"fmt"
	"time"
)

// Countdowns of days (a rental's time left): whole days and hours while a
// day or more is left (the text changes once an hour), hours and minutes
// within the last day, then Clock's own minutes and seconds. A screen
// showing one is redrawn no more often than its text changes.

// LongClock shows a remaining duration of up to weeks: "6 d 23 h",
// "23 h 05", then as Clock does.
func LongClock(d time.Duration) string {
	if d < 24*time.Hour {
		return Clock(d)
	}
	h := int((d + time.Hour - 1) / time.Hour) // the hours started
	return fmt.Sprintf("%d d %d h", h/24, h%24)
}

// LongClockChange is how long until LongClock shows something else for a
// countdown with d left, or -1 when it never will.
func LongClockChange(d time.Duration) time.Duration {
	if d < 24*time.Hour {
		return ClockChange(d)
	}
	// The hours started change when d falls to a whole hour; at exactly
	// one day left the text becomes Clock's.
	whole := d.Truncate(time.Hour)
	if whole == d {
		whole -= time.Hour
	}
	return d - whole + TickMargin
}
