package sanitize

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// fragments are the pieces random inputs are built from: introducers,
// terminators and half-sequences that interact badly when adjacent, emoji
// parts, and plain text.
var fragments = []string{
	"\x1b", "\x1b[", "\x1b]", "\x1bP", "\x1b\\", "\x1b(", "\x1b#", "\x07", "\x18",
	"\x9b", "\x9c", "\x9d", "\x90", "\u009b", "\u009c", "\u009d", "\u0085",
	"31m", "2J", "?1049h", "52;c;", "0;title", "8;;http://x/",
	"\r", "\n", "\t", " ", "  ", "\r\n", "\x00", "\b", "\x7f",
	"\u200d", "\u200b", "\u202e", "\u2066", "\ufeff", "\u2028", "\u00ad",
	"\U0001F468", "\U0001F469", "\uFE0F", "\U0001F3FD", "\u2764",
	"\U0001F3F4", "\U000E0067", "\U000E007F", "\U000E0001",
	"\xff", "\xe2", "\xe2\x82", "\x80", "\xc0", "\xed\xa0",
	"a", "code 1234", "é", "中文", "Ваш", "رمز", "e\u0301",
}

// randomInput builds a string of fragments, attack inputs, random bytes and
// random runes.
func randomInput(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(24); n > 0; n-- {
		switch rng.IntN(10) {
		case 0, 1, 2, 3, 4:
			b.WriteString(fragments[rng.IntN(len(fragments))])
		case 5:
			b.WriteString(attacks[rng.IntN(len(attacks))].in)
		case 6:
			b.WriteString(ordinary[rng.IntN(len(ordinary))])
		case 7, 8:
			b.WriteByte(byte(rng.IntN(256)))
		default:
			b.WriteRune(rune(rng.IntN(0x110000)))
		}
	}
	return b.String()
}

func TestRandomInputsStayClean(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240601, 1)) // fixed seed: failures reproduce
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for range n {
		checkAll(t, randomInput(rng))
	}
}
