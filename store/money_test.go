package store

import (
	"math"
	"testing"
)

func TestFormatCents(t *testing.T) {
	cases := map[int64]string{
		0:             "$0.00",
		5:             "$0.05",
		2500:          "$25.00",
		2550:          "$25.50",
		-150:          "-$1.50",
		123456789:     "$1234567.89",
		math.MinInt64: "-$92233720368547758.08",
	}
	for in, want := range cases {
		if got := FormatCents(in); got != want {
			t.Errorf("FormatCents(%d) = %q, want %q", in, got, want)
		}
	}
}
