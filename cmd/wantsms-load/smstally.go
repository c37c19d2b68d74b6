package main

import (
	"math"
	"sync"
	"time"
)

// smsCount is how many SMS the phase pushes: one per session, or, for a
// sustained phase, rate × duration spread round-robin over the sessions.
func smsCount(rate float64, d time.Duration, sessions int) int {
	switch {
	case sessions == 0:
		return 0
	case d <= 0:
		return sessions
	}
	return max(1, int(math.Round(rate*d.Seconds())))
}

// sendAt is when SMS i is due at rate a second from start.
func sendAt(start time.Time, i int, rate float64) time.Time {
	return start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
}

// What became of one pushed SMS.
type smsOutcome int

const (
	smsShown   smsOutcome = iota // taken, and its code on screen
	smsLost                      // taken, but its code never on screen in time
	smsRefused                   // the webhook did not take it
)

// smsTally counts the SMS of a phase as they are pushed and end; safe for
// concurrent use.
type smsTally struct {
	mu                   sync.Mutex
	pushed               int
	first, last          time.Time // first and last push started
	shown, lost, refused int
}

// pushing records a push starting at t.
func (t *smsTally) pushing(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pushed++
	if t.first.IsZero() || at.Before(t.first) {
		t.first = at
	}
	if at.After(t.last) {
		t.last = at
	}
}

func (t *smsTally) add(o smsOutcome) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch o {
	case smsShown:
		t.shown++
	case smsLost:
		t.lost++
	case smsRefused:
		t.refused++
	}
}

// progress is what the progress bar shows: shown, and failed either way.
func (t *smsTally) progress() (shown, failed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.shown, t.lost + t.refused
}

// SMSSummary is what the SMS phase pushed and what became of it.
type SMSSummary struct {
	Sessions int     `json:"sessions"` // armed with a number
	Sent     int     `json:"sent"`     // pushed to the webhook
	Taken    int     `json:"taken"`    // answered OK by the webhook
	Refused  int     `json:"refused"`  // not taken (an error or no answer)
	Shown    int     `json:"shown"`    // taken, and the code on screen within --timeout
	Lost     int     `json:"lost"`     // taken, but the code not on screen within --timeout
	Rate     float64 `json:"achieved_rate_per_s"`
	// InDB is how many messages the armed numbers gained in the server's
	// database (-1: not read); it should equal Taken.
	InDB int `json:"in_db"`
}

// storedAsTaken reports whether the database holds every SMS the webhook
// took, and none that was not sent. A push that failed on the client's
// side (a timeout) may still have been stored: more than taken is fine.
func (s SMSSummary) storedAsTaken() bool {
	return s.InDB < 0 || s.InDB >= s.Taken && s.InDB <= s.Sent
}

// summary sums the tally up for sessions armed numbers.
func (t *smsTally) summary(sessions int) SMSSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	return SMSSummary{Sessions: sessions, Sent: t.pushed, Taken: t.shown + t.lost, Refused: t.refused,
		Shown: t.shown, Lost: t.lost, Rate: achievedRate(t.pushed, t.last.Sub(t.first))}
}

// achievedRate is n pushes spread over span (first to last push) as a
// rate: n-1 gaps; 0 when there is no span to speak of.
func achievedRate(n int, span time.Duration) float64 {
	if n < 2 || span <= 0 {
		return 0
	}
	return float64(n-1) / span.Seconds()
}
