package billing

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/store"
)

// Pack limits. One credit is one US cent, so a pack's credits equal its cents.
const (
	// defaultMinCents is the smallest custom top-up: low enough for a single
	// number, high enough that the card fee (about 30¢ + 2.9 %) stays small.
	defaultMinCents = 200
	// defaultMaxCents caps a custom top-up; larger sums go through support.
	defaultMaxCents = 50000
	// stripeMinChargeCents is Stripe's minimum charge in USD (50¢); no pack
	// may be configured below it.
	stripeMinChargeCents = 50
	// maxAmountDigits bounds the whole-dollar digits read by ParseAmount so
	// the cents never overflow int64.
	maxAmountDigits = 12
)

// defaultFixedCents are the one-press packs of the top-up screen: $5, $10,
// $25, $50 and $100.
var defaultFixedCents = []int64{500, 1000, 2500, 5000, 10000}

// Errors returned by ParseAmount besides *RangeError.
var (
	// ErrNotANumber means the text is not a plain decimal amount.
	ErrNotANumber = errors.New("not a number")
	// ErrTooManyDecimals means the amount has more than two decimals.
	ErrTooManyDecimals = errors.New("at most two decimals")
)

// RangeError means an amount lies outside the configured custom range.
type RangeError struct {
	MinCents, MaxCents int64
}

// Error tells the person which amounts are accepted.
func (e *RangeError) Error() string {
	return fmt.Sprintf("enter an amount between %s and %s",
		shortDollars(e.MinCents), shortDollars(e.MaxCents))
}

// Packs is the price list of the top-up screen: fixed packs and the bounds
// of a custom amount, all in cents. The zero value is not usable; start from
// DefaultPacks.
type Packs struct {
	// FixedCents are the one-press packs, ascending.
	FixedCents []int64
	// MinCents and MaxCents bound a custom amount, inclusive.
	MinCents, MaxCents int64
}

// DefaultPacks returns $5, $10, $25, $50 and $100 packs and a custom amount
// from $2 to $500.
func DefaultPacks() Packs {
	return Packs{
		FixedCents: append([]int64(nil), defaultFixedCents...),
		MinCents:   defaultMinCents,
		MaxCents:   defaultMaxCents,
	}
}

// Validate checks that the bounds are sane and every pack is inside them.
func (p Packs) Validate() error {
	if p.MinCents < stripeMinChargeCents || p.MinCents > p.MaxCents {
		return fmt.Errorf("packs: custom range %d–%d cents: need %d ≤ min ≤ max",
			p.MinCents, p.MaxCents, stripeMinChargeCents)
	}
	if len(p.FixedCents) == 0 {
		return errors.New("packs: no fixed pack")
	}
	for i, c := range p.FixedCents {
		if c < p.MinCents || c > p.MaxCents {
			return fmt.Errorf("packs: pack %s outside %s–%s",
				store.FormatCents(c), store.FormatCents(p.MinCents), store.FormatCents(p.MaxCents))
		}
		if i > 0 && c <= p.FixedCents[i-1] {
			return fmt.Errorf("packs: pack %s not in ascending order", store.FormatCents(c))
		}
	}
	return nil
}

// ParseAmount reads a custom amount typed by a person ("25", "$25", "25.50",
// "$ 7.5") into cents and checks it against the custom range. Errors are
// ErrNotANumber, ErrTooManyDecimals or *RangeError, worded for the screen.
func (p Packs) ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	if s == "" {
		return 0, &RangeError{p.MinCents, p.MaxCents}
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(whole) || !allDigits(frac) || whole+frac == "" {
		return 0, ErrNotANumber
	}
	if hasDot && len(frac) > 2 {
		return 0, ErrTooManyDecimals
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > maxAmountDigits {
		return 0, &RangeError{p.MinCents, p.MaxCents}
	}
	frac = (frac + "00")[:2] // "5" → "50": cents digits
	cents, err := strconv.ParseInt("0"+whole+frac, 10, 64)
	if err != nil {
		return 0, ErrNotANumber
	}
	if cents < p.MinCents || cents > p.MaxCents {
		return 0, &RangeError{p.MinCents, p.MaxCents}
	}
	return cents, nil
}

// allDigits reports whether s holds only ASCII digits (true for "").
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// shortDollars is FormatCents without ".00" for whole dollars: "$2", "$2.50".
func shortDollars(cents int64) string {
	return strings.TrimSuffix(store.FormatCents(cents), ".00")
}

// ParsePacks reads a price list from configuration: fixed packs as a comma
// separated list of dollar amounts ("5,10,25,50,100") and the custom range
// in dollars ("2", "500"). The result is validated.
func ParsePacks(fixed, minimum, maximum string) (Packs, error) {
	wide := Packs{MinCents: 0, MaxCents: math.MaxInt64 / 2}
	var p Packs
	var err error
	if p.MinCents, err = wide.ParseAmount(minimum); err != nil {
		return Packs{}, fmt.Errorf("packs: minimum %q: %w", minimum, err)
	}
	if p.MaxCents, err = wide.ParseAmount(maximum); err != nil {
		return Packs{}, fmt.Errorf("packs: maximum %q: %w", maximum, err)
	}
	for _, s := range strings.Split(fixed, ",") {
		c, err := wide.ParseAmount(s)
		if err != nil {
			return Packs{}, fmt.Errorf("packs: %q: %w", s, err)
		}
		p.FixedCents = append(p.FixedCents, c)
	}
	return p, p.Validate()
}
