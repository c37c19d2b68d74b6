package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strings"
)

// Micros is an amount of money in millionths of a US dollar. Upstream
// prices have sub-cent precision (0.085 USD), which cents cannot hold.
type Micros int64

// Dollar is one US dollar in Micros; as a currency rate it means the
// upstream account is in USD.
const Dollar Micros = 1_000_000

// MicrosPerCent converts Micros to cents.
const MicrosPerCent = 10_000

// maxAmountLen and maxExponent bound what ParseAmount reads, so a hostile
// answer like "1e999999999" cannot make it compute for long.
const (
	maxAmountLen = 40
	maxExponent  = 30
)

// ParseMicros reads a decimal amount of US dollars, e.g. "0.085" or
// "12". See ParseAmount for what is accepted.
func ParseMicros(s string) (Micros, error) { return ParseAmount(s, Dollar) }

// ParseAmount reads a decimal amount in an upstream currency and converts
// it to Micros with rate (Micros per unit of that currency), without
// floats. Accepted: an optional '-', one or more digits, an optional
// fraction ('.' and one or more digits), and an optional exponent ('e' or
// 'E', optional sign, 1–2 digits), which some JSON encoders emit for small
// values ("1e-05"). Everything else ("", ".5", "5.", "+1", " 1", "1,5",
// "NaN", "0x10") is rejected. A result between two Micros is rounded up
// (towards +∞), so a cost is never understated.
func ParseAmount(s string, rate Micros) (Micros, error) {
	if rate <= 0 {
		return 0, fmt.Errorf("amount %q: rate %d must be positive", s, rate)
	}
	mant, exp, err := splitDecimal(s)
	if err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	v := new(big.Int).Mul(mant, big.NewInt(int64(rate)))
	if exp >= 0 {
		v.Mul(v, pow10(exp))
	} else {
		v = divCeil(v, pow10(-exp))
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("amount %q: out of range", s)
	}
	return Micros(v.Int64()), nil
}

// splitDecimal turns "−12.34e1" into mantissa −1234 and exponent −1.
func splitDecimal(s string) (*big.Int, int, error) {
	if s == "" || len(s) > maxAmountLen {
		return nil, 0, errors.New("empty or too long")
	}
	i := 0
	neg := s[0] == '-'
	if neg {
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	digits := s[intStart:i]
	if digits == "" {
		return nil, 0, errors.New("no digits")
	}
	frac := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if frac = s[fs:i]; frac == "" {
			return nil, 0, errors.New("no digits after '.'")
		}
	}
	exp, err := readExponent(s[i:])
	if err != nil {
		return nil, 0, err
	}
	m, _ := new(big.Int).SetString(digits+frac, 10)
	if neg {
		m.Neg(m)
	}
	return m, exp - len(frac), nil
}

func readExponent(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	if s[0] != 'e' && s[0] != 'E' {
		return 0, fmt.Errorf("unexpected %q", s)
	}
	s = s[1:]
	sign := 1
	if s != "" && (s[0] == '+' || s[0] == '-') {
		if s[0] == '-' {
			sign = -1
		}
		s = s[1:]
	}
	if s == "" || len(s) > 2 {
		return 0, errors.New("bad exponent")
	}
	e := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, errors.New("bad exponent")
		}
		e = e*10 + int(s[i]-'0')
	}
	if e > maxExponent {
		return 0, errors.New("exponent out of range")
	}
	return sign * e, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// divCeil divides rounding towards +∞.
func divCeil(a, b *big.Int) *big.Int {
	q, m := new(big.Int).DivMod(a, b, new(big.Int)) // Euclidean: m >= 0
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

// FormatAmount writes m in an upstream currency (rate Micros per unit) as
// a plain decimal with at most six decimals, rounded down, for use as a
// price cap that must never be exceeded.
func FormatAmount(m Micros, rate Micros) string {
	if rate <= 0 || m <= 0 {
		return "0"
	}
	// millionths of the upstream unit, rounded down
	u := new(big.Int).Mul(big.NewInt(int64(m)), big.NewInt(int64(Dollar)))
	u.Quo(u, big.NewInt(int64(rate)))
	whole, frac := new(big.Int).QuoRem(u, big.NewInt(int64(Dollar)), new(big.Int))
	if frac.Sign() == 0 {
		return whole.String()
	}
	f := strings.TrimRight(fmt.Sprintf("%06d", frac.Int64()), "0")
	return whole.String() + "." + f
}

// String shows m in dollars with at least two decimals: "$0.085",
// "$12.50", "-$1.00".
func (m Micros) String() string {
	sign := ""
	u := uint64(m)
	if m < 0 {
		sign, u = "-", uint64(-(m+1))+1
	}
	frac := strings.TrimRight(fmt.Sprintf("%06d", u%uint64(Dollar)), "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return fmt.Sprintf("%s$%d.%s", sign, u/uint64(Dollar), frac)
}

// Markup is a sell-price multiplier in basis points of the cost:
// 10000 sells at cost, 15000 at cost × 1.5, 25000 at cost × 2.5.
type Markup int64

// AtCost is the markup that sells at cost.
const AtCost Markup = 10_000

// markupScale × MicrosPerCent turns cost×markup into cents.
const markupScale = 10_000

// SellPrice is what a user pays, in cents, for a number costing cost:
// cost × m, rounded up to a whole cent, and never below 1 cent. A
// non-positive cost or markup sells for 1 cent; results too large for an
// int64 saturate.
func SellPrice(cost Micros, m Markup) int64 {
	if cost <= 0 || m <= 0 {
		return 1
	}
	hi, lo := bits.Mul64(uint64(cost), uint64(m))
	const div = markupScale * MicrosPerCent
	if hi >= div {
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, div)
	if r != 0 {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return max(int64(q), 1)
}

// CostCap is the highest cost whose SellPrice with m is at most
// sellCents: the cost cap to give a provider for a user's price cap.
// It is 0 when no cost fits.
func CostCap(sellCents int64, m Markup) Micros {
	if sellCents <= 0 || m <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(sellCents), markupScale*MicrosPerCent)
	if hi >= uint64(m) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(m))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return Micros(q)
}

// Numeric is a JSON value that upstreams send either as a number or as a
// string holding one (stock "133" or 133). It keeps the text, so money is
// parsed without floats. null decodes to "".
type Numeric string

// UnmarshalJSON accepts a JSON number, a string, or null.
func (n *Numeric) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*n = Numeric(s)
		return nil
	case len(b) > 0 && (b[0] == '-' || isDigit(b[0])):
		*n = Numeric(b)
		return nil
	}
	return fmt.Errorf("numeric: unexpected %s", Excerpt(b))
}

// Micros parses the value as an amount in a currency of rate Micros per
// unit (see ParseAmount).
func (n Numeric) Micros(rate Micros) (Micros, error) { return ParseAmount(string(n), rate) }

// Int parses the value as a non-negative integer: digits only, at most 18.
func (n Numeric) Int() (int64, error) {
	s := string(n)
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("integer %q: empty or too long", s)
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, fmt.Errorf("integer %q: not digits", s)
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v, nil
}
