package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
	"github.com/clipperhouse/uax29/v2/graphemes"
)

// checkAll asserts every promise the package makes about in: what Text,
// Line and Truncate may output, and that cleaning twice changes nothing.
// The property test and FuzzText share it.
func checkAll(t *testing.T, in string) {
	t.Helper()
	text := Text(in)
	checkClean(t, "Text", in, text)
	if again := Text(text); again != text {
		t.Fatalf("Text not idempotent on %q: %q then %q", in, text, again)
	}
	line := Line(in)
	checkClean(t, "Line", in, line)
	checkOneLine(t, in, line)
	if again := Line(line); again != line {
		t.Fatalf("Line not idempotent on %q: %q then %q", in, line, again)
	}
	for _, w := range []int{0, 1, 2, 3, 5, 8, 13, 40} {
		checkTruncate(t, in, line, w)
	}
}

// checkClean asserts that out holds nothing a terminal could act on.
// Output never contains '\t' or '\r': Text turns them into ' ' and '\n'.
func checkClean(t *testing.T, fn, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%s(%q) = %q: invalid UTF-8", fn, in, out)
	}
	var prev rune
	prevEmoji := false
	for i, r := range out {
		bad := ""
		switch {
		case r < 0x20 && r != '\n', r == 0x7f:
			bad = "C0 control or DEL"
		case r >= 0x80 && r <= 0x9f:
			bad = "C1 control"
		case r == '\u2028' || r == '\u2029':
			bad = "line or paragraph separator"
		case r == zwj:
			next, _ := utf8.DecodeRuneInString(out[i+utf8.RuneLen(r):])
			if !prevEmoji || !isPictographic(next) {
				bad = "ZWJ outside an emoji sequence"
			}
		case isTag(r):
			if prev != blackFlag && !isTag(prev) {
				bad = "tag character outside a flag"
			}
		case unicode.Is(unicode.Cf, r):
			bad = "format character"
		}
		if bad != "" {
			t.Fatalf("%s(%q) = %q: %s %U at byte %d", fn, in, out, bad, r, i)
		}
		prevEmoji = isPictographic(r) || (prevEmoji && isEmojiModifier(r))
		prev = r
	}
}

// checkOneLine asserts the folding promises of Line.
func checkOneLine(t *testing.T, in, line string) {
	t.Helper()
	if strings.ContainsAny(line, "\n\t") || strings.Contains(line, "  ") ||
		strings.HasPrefix(line, " ") || strings.HasSuffix(line, " ") {
		t.Fatalf("Line(%q) = %q: not folded onto one trimmed line", in, line)
	}
}

// checkTruncate asserts that Truncate fits w cells and, when it cut, kept
// a prefix of Line(in) that ends between two grapheme clusters.
func checkTruncate(t *testing.T, in, line string, w int) {
	t.Helper()
	got := Truncate(in, w)
	if sw := ansi.StringWidth(got); sw > w {
		t.Fatalf("Truncate(%q, %d) = %q is %d cells wide", in, w, got, sw)
	}
	if got == line {
		return
	}
	kept, cut := strings.CutSuffix(got, Ellipsis)
	if !cut && got != "" {
		t.Fatalf("Truncate(%q, %d) = %q: cut without %q", in, w, got, Ellipsis)
	}
	if !strings.HasPrefix(line, kept) {
		t.Fatalf("Truncate(%q, %d) = %q: not a prefix of %q", in, w, got, line)
	}
	if !isClusterBoundary(line, len(kept)) {
		t.Fatalf("Truncate(%q, %d) = %q: splits a grapheme of %q", in, w, got, line)
	}
}

// isClusterBoundary reports whether byte offset n of s falls between two
// grapheme clusters, as the segmenter behind ansi.StringWidth sees them.
func isClusterBoundary(s string, n int) bool {
	if n == 0 || n == len(s) {
		return true
	}
	it := graphemes.FromString(s)
	for it.Next() {
		if it.End() == n {
			return true
		}
		if it.End() > n {
			return false
		}
	}
	return false
}
