package sanitize

import (
	"testing"
	"unicode"

	"github.com/rivo/uniseg"
)

// TestPictographicTableMatchesUniseg checks extendedPictographic against the
// Unicode data inside rivo/uniseg, read through grapheme rule GB11: a rune
// joins "👨 ZWJ" into one cluster when it is Extended_Pictographic, and
// "a ZWJ" only when it is an extending character instead.
func TestPictographicTableMatchesUniseg(t *testing.T) {
	joins := func(prefix string, r rune) bool {
		s := prefix + string(r)
		cluster, _, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
		return cluster == s
	}
	bad := 0
	for r := rune(0); r <= 0x2ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		want := joins("\U0001F468\u200D", r) && !joins("a\u200D", r)
		if got := isPictographic(r); got != want {
			t.Errorf("isPictographic(%U) = %v, uniseg says %v", r, got, want)
			if bad++; bad > 20 {
				t.Fatal("too many mismatches")
			}
		}
	}
}

func TestIsFormatMatchesUnicodeCf(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := isFormat(r), unicode.Is(unicode.Cf, r); got != want {
			t.Fatalf("isFormat(%U) = %v, unicode.Cf says %v", r, got, want)
		}
	}
}
