package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleaner makes one pass over src. While nothing has needed changing, the
// output is exactly src[:i] and nothing is copied; the first change copies
// that prefix into out and sets dirty, and from then on kept bytes are
// appended. That is what lets clean input return without allocating.
type cleaner struct {
	src   string
	out   strings.Builder
	dirty bool
	last  rune // last rune written to the output, for the emoji rules
	emoji bool // the output ends in an emoji, possibly with modifiers
}

// plainRun returns the end of the run of printable ASCII and '\n' that
// starts at s[i], the bytes that always pass unchanged.
func plainRun(s string, i int) int {
	for i < len(s) && (s[i] >= 0x20 && s[i] < 0x7f || s[i] == '\n') {
		i++
	}
	return i
}

// step handles the unit of input starting at src[i] and returns the index
// of the next one.
func (c *cleaner) step(i int) int {
	s := c.src
	b := s[i]
	switch {
	case b >= 0x20 && b < 0x7f, b == '\n':
		return c.keep(i, i+1, rune(b))
	case b == '\t':
		return c.replace(i, i+1, ' ')
	case b == '\r':
		if i+1 < len(s) && s[i+1] == '\n' {
			return c.replace(i, i+2, '\n')
		}
		return c.replace(i, i+1, '\n')
	case b == esc:
		return c.drop(i, skipEscape(s, i+1))
	case b < utf8.RuneSelf: // other C0 controls and DEL
		return c.drop(i, i+1)
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError && n == 1:
		// A stray 0x80–0x9F byte is read as the 8-bit C1 control it is
		// for a terminal in 8-bit mode; any other invalid byte is shown
		// as U+FFFD.
		if b <= 0x9f {
			return c.drop(i, skipC1(b, s, i+1))
		}
		return c.replace(i, badSequenceEnd(s, i), utf8.RuneError)
	case r <= 0x9f: // C1 control encoded as UTF-8 (U+0080–U+009F)
		return c.drop(i, skipC1(byte(r), s, i+n))
	case r == '\u2028' || r == '\u2029': // line and paragraph separators
		return c.replace(i, i+n, '\n')
	case r == zwj:
		if c.emoji && nextIsPictographic(s, i+n) {
			return c.keep(i, i+n, r)
		}
		return c.drop(i, i+n)
	case isTag(r):
		if c.last == blackFlag || isTag(c.last) {
			return c.keep(i, i+n, r)
		}
		return c.drop(i, i+n)
	case isFormat(r):
		// Bidi controls (U+061C, U+200E/F, U+202A–E, U+2066–9), zero-width
		// characters (U+200B/C, U+2060, U+FEFF), soft hyphen and the
		// rest of Cf: invisible, or able to reorder or hide what is
		// around them, and never needed to read a message.
		return c.drop(i, i+n)
	}
	return c.keep(i, i+n, r)
}

// keep passes src[i:j], which is the rune r, through unchanged.
func (c *cleaner) keep(i, j int, r rune) int {
	if c.dirty {
		c.out.WriteString(c.src[i:j])
	}
	c.wrote(r)
	return j
}

// replace writes r in place of src[i:j].
func (c *cleaner) replace(i, j int, r rune) int {
	c.begin(i)
	c.out.WriteRune(r)
	c.wrote(r)
	return j
}

// drop leaves src[i:j] out of the output.
func (c *cleaner) drop(i, j int) int {
	c.begin(i)
	return j
}

// begin switches to copying on the first change, at index i.
func (c *cleaner) begin(i int) {
	if c.dirty {
		return
	}
	c.dirty = true
	c.out.Grow(len(c.src))
	c.out.WriteString(c.src[:i])
}

// wrote records r as the last rune of the output.
func (c *cleaner) wrote(r rune) {
	c.emoji = isPictographic(r) || (c.emoji && isEmojiModifier(r))
	c.last = r
}

// badSequenceEnd returns the end of the ill-formed sequence at s[i]: a lead
// byte takes the continuation bytes after it, up to the count it announces,
// so that a truncated or overlong character becomes one U+FFFD and its
// continuation bytes are not mistaken for C1 controls.
func badSequenceEnd(s string, i int) int {
	want := 0
	switch b := s[i]; {
	case b >= 0xf0:
		want = 3
	case b >= 0xe0:
		want = 2
	case b >= 0xc0:
		want = 1
	}
	j := i + 1
	for ; want > 0 && j < len(s) && s[j] >= 0x80 && s[j] <= 0xbf; want-- {
		j++
	}
	return j
}

// isFormat reports whether r is in Unicode category Cf, with fast exits
// for the wide ranges that hold none (most letters of most scripts).
func isFormat(r rune) bool {
	switch {
	case r < 0x600:
		return r == 0xad
	case r > 0x206f && r < 0xfeff:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}
