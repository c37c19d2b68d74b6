package store

import "fmt"

// FormatCents renders cents as dollars with two decimals: 2500 → "$25.00",
// -150 → "-$1.50". The one money formatter of the program.
func FormatCents(cents int64) string {
	sign := ""
	u := uint64(cents)
	if cents < 0 {
		sign, u = "-", uint64(-cents) // wraps correctly for math.MinInt64 too
	}
	return fmt.Sprintf("%s$%d.%02d", sign, u/100, u%100)
}
