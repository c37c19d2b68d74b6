package sanitize

import "unicode/utf8"

// The functions here find where an ECMA-48 control sequence ends, so that
// the cleaner can drop it whole rather than leave its parameters behind as
// visible junk. Each takes the index just past the introducer and returns
// the index just past the sequence. A byte that cannot belong to the
// sequence is not consumed: the cleaner looks at it again as ordinary input,
// which is safe because the introducer itself is already gone.

const (
	esc = 0x1b
	bel = 0x07
	can = 0x18 // CAN and SUB cancel any sequence in progress (ECMA-48 8.3.6, 8.3.148)
	sub = 0x1a

	c1DCS = 0x90
	c1SOS = 0x98
	c1CSI = 0x9b
	c1ST  = 0x9c
	c1OSC = 0x9d
	c1PM  = 0x9e
	c1APC = 0x9f
)

// skipEscape handles what follows an ESC at s[i-1].
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch b := s[i]; {
	case b == '[':
		return skipCSI(s, i+1)
	case b == ']':
		return skipString(s, i+1, true)
	case b == 'P' || b == 'X' || b == '^' || b == '_': // DCS, SOS, PM, APC
		return skipString(s, i+1, false)
	case b >= 0x20 && b <= 0x2f: // nF: intermediates, then one final byte (e.g. ESC ( 0)
		j := i
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
			j++
		}
		if j < len(s) && s[j] >= 0x30 && s[j] <= 0x7e {
			j++
		}
		return j
	case b >= 0x30 && b <= 0x7e: // Fp, Fe, Fs: one final byte (e.g. ESC c, ESC 7)
		return i + 1
	default: // ESC before a control, DEL or non-ASCII: drop the ESC alone
		return i
	}
}

// skipC1 handles what follows the 8-bit C1 control code; controls that
// introduce nothing are dropped alone.
func skipC1(code byte, s string, i int) int {
	switch code {
	case c1CSI:
		return skipCSI(s, i)
	case c1OSC:
		return skipString(s, i, true)
	case c1DCS, c1SOS, c1PM, c1APC:
		return skipString(s, i, false)
	default:
		return i
	}
}

// skipCSI consumes parameter (0x30–0x3F, including the private markers
// "<=>?") and intermediate (0x20–0x2F) bytes, then the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		b := s[i]
		switch {
		case b >= 0x20 && b <= 0x3f:
			i++
		case b >= 0x40 && b <= 0x7e:
			return i + 1
		default:
			return i
		}
	}
	return i
}

// skipString consumes a control string (OSC, DCS, SOS, PM, APC) up to and
// including its terminator: ST as ESC '\', 0x9C or U+009C, BEL too when
// allowBEL (OSC, as xterm accepts), or CAN/SUB. Another ESC ends the string
// and is left for the cleaner to read as the next sequence. An
// unterminated string runs to the end of s: its payload is dropped, as a
// terminal would swallow it.
func skipString(s string, i int, allowBEL bool) int {
	for i < len(s) {
		b := s[i]
		switch {
		case b == esc:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case b == bel && allowBEL, b == can, b == sub:
			return i + 1
		case b < utf8.RuneSelf:
			i++
		default:
			// Step by whole runes so a 0x9C continuation byte inside a
			// character such as U+271C is not read as ST.
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == c1ST || (r == utf8.RuneError && n == 1 && b == c1ST) {
				return i + n
			}
			i += n
		}
	}
	return i
}
