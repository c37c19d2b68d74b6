package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Success rates: for each service, country and provider, the share of our
// own numbers that got an SMS, over the last day and the last week.
// Numbers shows them beside price and stock, and the router breaks price
// ties with them.
//
// A number counts once its outcome is known: it got an SMS (received or
// finished), or it ended without one (cancelled, reported, expired or
// failed). Numbers still waiting count for neither side. A window is the
// numbers reserved in it.

// MinRateSample is how many numbers with a known outcome a rate needs
// before it is shown as a percentage; with fewer it is "new". Below ten,
// one number moves the rate by more than ten points, so a pair whose
// first number was unlucky would read 0 % and one whose first number
// worked 100 %: both claims we cannot stand behind.
const MinRateSample = 10

// RateRefresh is how old the shared rates may get before they are
// counted again. Thousands of sessions draw Numbers; they all read the
// same rates, counted at most this often. Over a day and a week, half a
// minute changes nothing a person could act on.
const RateRefresh = 30 * time.Second

// Tally counts the numbers of one window whose outcome is known.
type Tally struct {
	Numbers int64 // got an SMS, or ended without one
	WithSMS int64 // of those, the ones that got an SMS
}

// Percent is the share of numbers that got an SMS in whole percent,
// rounded down; ok is false below MinRateSample numbers (a "new" pair).
func (t Tally) Percent() (pct int, ok bool) {
	if t.Numbers < MinRateSample {
		return 0, false
	}
	return int(t.WithSMS * 100 / t.Numbers), true
}

// SuccessRate is a service+country+provider's tally over the last day and
// the last week.
type SuccessRate struct {
	Day, Week Tally
}

// rateKey names one service in one country from one provider.
type rateKey struct{ service, country, provider string }

// SuccessRates is the rates of every service, country and provider that
// handed out a number in the last week, as counted at At. It is shared
// between every caller until it is counted again: never modify it.
type SuccessRates struct {
	At    time.Time
	rates map[rateKey]SuccessRate
}

// Of is the rate of one service in one country from one provider (zero
// tallies when it handed out no number there this week). A nil
// *SuccessRates knows nothing.
func (r *SuccessRates) Of(service, country, provider string) SuccessRate {
	if r == nil {
		return SuccessRate{}
	}
	return r.rates[rateKey{service, country, provider}]
}

// rateCache holds the last rates counted, shared by every session.
type rateCache struct {
	mu       sync.Mutex
	cur      *SuccessRates
	counting bool // a caller is counting them again
}

// SuccessRates is the success rates of the last day and week, counted
// from the reservations at most every RateRefresh and shared: while one
// caller counts them again, the others are given the previous count.
func (s *Store) SuccessRates(ctx context.Context) (*SuccessRates, error) {
	now := s.now()
	c := &s.rates
	c.mu.Lock()
	cur := c.cur
	if cur != nil && (c.counting || (!now.Before(cur.At) && now.Sub(cur.At) < RateRefresh)) {
		c.mu.Unlock()
		return cur, nil
	}
	c.counting = true
	c.mu.Unlock()

	fresh, err := s.countRates(ctx, now)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counting = false
	if err != nil {
		if cur != nil {
			s.log.WarnContext(ctx, "success rates: keeping the last count", "at", cur.At, "err", err)
			return cur, nil
		}
		return nil, err
	}
	c.cur = fresh
	return fresh, nil
}

// ratesQuery counts, per service, country and provider, the numbers with
// a known outcome and those with an SMS, reserved since ?1 (the day) and
// since ?2 (the week).
const ratesQuery = `SELECT service, country, provider,
	COUNT(*) FILTER (WHERE created_at >= ?1 AND state IN ('received', 'finished', 'cancelled', 'expired', 'failed')),
	COUNT(*) FILTER (WHERE created_at >= ?1 AND state IN ('received', 'finished')),
	COUNT(*) FILTER (WHERE state IN ('received', 'finished', 'cancelled', 'expired', 'failed')),
	COUNT(*) FILTER (WHERE state IN ('received', 'finished'))
	FROM reservations WHERE created_at >= ?2
	GROUP BY service, country, provider`

// countRates counts the outcomes of the week before now, reading the
// index reservations_outcomes only.
func (s *Store) countRates(ctx context.Context, now time.Time) (*SuccessRates, error) {
	day, week := now.Add(-24*time.Hour).Unix(), now.Add(-7*24*time.Hour).Unix()
	rows, err := s.r.QueryContext(ctx, ratesQuery, day, week)
	if err != nil {
		return nil, fmt.Errorf("count success rates: %w", err)
	}
	defer rows.Close()
	out := &SuccessRates{At: now, rates: map[rateKey]SuccessRate{}}
	for rows.Next() {
		var k rateKey
		var r SuccessRate
		if err := rows.Scan(&k.service, &k.country, &k.provider, &r.Day.Numbers, &r.Day.WithSMS, &r.Week.Numbers,
			&r.Week.WithSMS); err != nil {
			return nil, fmt.Errorf("scan success rate: %w", err)
		}
		out.rates[k] = r
	}
	return out, rows.Err()
}
