// Package sanitize owns the one cleaner for untrusted text in WantSMS: SMS
// bodies, sender and provider names, anything a user typed. Every string
// that came from outside passes through Text, Line or Truncate before it
// reaches a terminal, whether through a TUI view or plain SSH command output,
// so that a message can never move the cursor, change colours, set the
// window title or write the clipboard: an SMS is written by whoever sent
// it, and a provider's or a person's text by whoever controls them.
//
// The output of Text never holds ESC, any other C0 control except '\n',
// DEL, a C1 control, a bidirectional or other invisible format character
// (Unicode category Cf, with two emoji exceptions explained in emoji.go),
// or invalid UTF-8. Text is idempotent, and clean input comes back as the
// very same string without allocating.
//
// May import from this repository: nothing.
package sanitize

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/clipperhouse/uax29/v2/graphemes"
)

// Ellipsis is the tail Truncate appends when it cuts text.
const Ellipsis = "…"

// Text cleans s for display on one or more lines. Escape sequences
// (CSI, OSC, DCS, SOS, PM, APC, two-byte ESC sequences, and their 8-bit C1
// forms, raw or UTF-8 encoded) are removed whole; other control characters
// are dropped, except that '\t' becomes a space and "\r\n", a lone '\r',
// U+2028 and U+2029 become '\n'. Format characters such as bidi overrides
// and zero-width spaces are dropped, and invalid UTF-8 becomes U+FFFD.
func Text(s string) string {
	c := cleaner{src: s}
	for i := 0; i < len(s); {
		if j := plainRun(s, i); j > i {
			i = c.keep(i, j, rune(s[j-1]))
			continue
		}
		i = c.step(i)
	}
	if !c.dirty {
		return s
	}
	return c.out.String()
}

// Line cleans s as Text does and then folds it onto one line: newlines and
// tabs become spaces, runs of spaces become one, and the ends are trimmed.
// It is meant for one-line fields such as sender, service and key names.
func Line(s string) string {
	t := Text(s)
	if !needsFolding(t) {
		return t
	}
	var b strings.Builder
	b.Grow(len(t))
	pending := false // a space is owed before the next visible byte
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == ' ' || c == '\n' {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// needsFolding reports whether t, already clean, holds a newline, a leading
// or trailing space, or two spaces in a row. Text never outputs '\t'.
func needsFolding(t string) bool {
	if t == "" {
		return false
	}
	if t[0] == ' ' || t[len(t)-1] == ' ' {
		return true
	}
	return strings.Contains(t, "\n") || strings.Contains(t, "  ")
}

// Truncate cleans s as Line does and cuts it to at most width terminal
// cells, ending with Ellipsis when anything was cut. It cuts between
// grapheme clusters, so it never splits a rune, a letter from its accents,
// or an emoji sequence. A width below 1 gives "".
//
// Cells are counted as lipgloss counts them (ansi.StringWidth, cluster by
// cluster), so a truncated cell lines up with the rest of a layout.
// ansi.Truncate is not used: it counts an ASCII character apart from the
// marks after it, so "1️⃣" (two cells) counts as one and its result can
// overflow the width.
func Truncate(s string, width int) string {
	if width < 1 {
		return ""
	}
	s = Line(s)
	room := width - ansi.StringWidth(Ellipsis)
	used, cut := 0, 0
	for it := graphemes.FromString(s); it.Next(); {
		used += clusterWidth(it.Value())
		if used <= room {
			cut = it.End()
		}
		if used > width {
			return s[:cut] + Ellipsis
		}
	}
	return s
}

// clusterWidth is ansi.StringWidth for one grapheme cluster, without the
// call for the common single printable ASCII byte.
func clusterWidth(g string) int {
	if len(g) == 1 && g[0] >= 0x20 && g[0] < 0x7f {
		return 1
	}
	return ansi.StringWidth(g)
}
