package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/store"
)

// Type is how a parameter's text becomes a typed value. Parse is pure: it
// sees only the text, never the store, and its error message is written
// for the person who typed the value.
type Type[T any] struct {
	Name  string // shown in usage lines: EMAIL, CENTS, DURATION, …
	Help  string // what it accepts, shown in help
	Parse func(string) (T, error)

	// noValue marks the boolean flag type: present or absent, no value.
	noValue bool
}

// maxValueLen bounds any one value before a type looks at it: nothing we
// accept is longer (an email is at most 254 bytes, a reason 200 runes of
// up to 4 bytes).
const maxValueLen = 1024

// Bool is a flag without a value: given or not.
var Bool = Type[bool]{Name: "", Help: "a flag without a value", noValue: true,
	Parse: func(string) (bool, error) { return true, nil }}

// Email is an email address, normalized as the store stores it.
var Email = Type[string]{Name: "EMAIL", Help: "an email address", Parse: store.NormalizeEmail}

// UserSearch is a search text for accounts, checked by the store's rule.
var UserSearch = Type[string]{Name: "TEXT",
	Help: fmt.Sprintf("part of an email address, or of a key fingerprint (SHA256:…), at most %d characters",
		store.MaxUserSearchLen), Parse: store.CleanUserSearch}

// Reason is a stated reason, checked by the store's rule.
var Reason = Type[string]{Name: "TEXT",
	Help:  fmt.Sprintf("1 to %d printable characters (quote several words: 'like this')", store.MaxReasonLen),
	Parse: store.CleanReason}

// ID is a positive whole number naming a row (a reservation, an order).
var ID = Type[int64]{Name: "ID", Help: "a positive whole number", Parse: func(s string) (int64, error) {
	return parseDigits(s, 1, 1<<53, "a positive whole number") // 2^53: exact in JSON numbers
}}

// Date is a calendar day, YYYY-MM-DD, taken as 00:00 UTC.
var Date = Type[time.Time]{Name: "DATE", Help: "a day as YYYY-MM-DD (UTC)", Parse: parseDate}

// Cents is an amount of money in whole US cents, from 1 to max.
func Cents(max int64) Type[int64] {
	want := fmt.Sprintf("a whole number of cents from 1 to %d", max)
	return Type[int64]{Name: "CENTS", Help: want + " (500 is $5.00)",
		Parse: func(s string) (int64, error) { return parseDigits(s, 1, max, want) }}
}

// Int is a whole number from min to max.
func Int(min, max int) Type[int] {
	want := fmt.Sprintf("a whole number from %d to %d", min, max)
	return Type[int]{Name: "N", Help: want, Parse: func(s string) (int, error) {
		n, err := parseDigits(s, int64(min), int64(max), want)
		return int(n), err
	}}
}

// Duration is a length of time as Go writes it (90s, 2m, 1h30m), from min
// to max.
func Duration(min, max time.Duration) Type[time.Duration] {
	want := fmt.Sprintf("a duration from %s to %s, like 90s or 2m", short(min), short(max))
	return Type[time.Duration]{Name: "DURATION", Help: want, Parse: func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		if err != nil || d < min || d > max {
			return 0, errors.New("want " + want)
		}
		return d, nil
	}}
}

// OneOf is one of a fixed set of words.
func OneOf(words ...string) Type[string] {
	list := strings.Join(words, "|")
	return Type[string]{Name: list, Help: "one of " + strings.Join(words, ", "),
		Parse: func(s string) (string, error) {
			for _, w := range words {
				if s == w {
					return s, nil
				}
			}
			return "", errors.New("want one of " + strings.Join(words, ", "))
		}}
}

// parseDigits accepts only ASCII digits (no sign, no spaces, no 0x), so
// there is one way to write each number, within [min, max].
func parseDigits(s string, min, max int64, want string) (int64, error) {
	if s == "" || len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, errors.New("want " + want)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min || n > max {
		return 0, errors.New("want " + want)
	}
	return n, nil
}

// Dates before minYear or after maxYear are typos: nothing in WantSMS is
// that old, and nothing is scheduled that far ahead.
const (
	minYear = 2000
	maxYear = 2100
)

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) || t.Year() < minYear || t.Year() > maxYear {
		return time.Time{}, fmt.Errorf("want a day as YYYY-MM-DD between %d and %d", minYear, maxYear)
	}
	return t, nil
}

// short writes a duration without zero units: 2m rather than 2m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
