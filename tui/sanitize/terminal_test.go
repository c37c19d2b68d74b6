package sanitize

import (
	"fmt"
	"image/color"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/vt"
)

// effects writes s to a real terminal emulator (charmbracelet/x/vt) and
// lists everything it did besides printing text left to right and top to
// bottom: callbacks fired, control strings handled, cursor moved left or
// up, cells given a colour or a link, or glyphs swapped by a character set.
func effects(s string) []string {
	const width, height = 120, 16 // big enough that no attack wraps or scrolls
	term := vt.NewEmulator(width, height)
	defer term.Close()
	var got []string
	note := func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }
	term.SetCallbacks(vt.Callbacks{
		Bell:             func() { note("bell") },
		Title:            func(t string) { note("title %q", t) },
		IconName:         func(n string) { note("icon name %q", n) },
		AltScreen:        func(on bool) { note("alt screen %v", on) },
		CursorVisibility: func(v bool) { note("cursor visible %v", v) },
		CursorStyle:      func(vt.CursorStyle, bool) { note("cursor style") },
		CursorColor:      func(color.Color) { note("cursor colour") },
		BackgroundColor:  func(color.Color) { note("background colour") },
		ForegroundColor:  func(color.Color) { note("foreground colour") },
		WorkingDirectory: func(d string) { note("working directory %q", d) },
		EnableMode:       func(m ansi.Mode) { note("mode %v set", m) },
		DisableMode:      func(m ansi.Mode) { note("mode %v reset", m) },
		CursorPosition: func(from, to uv.Position) {
			if to.Y < from.Y || (to.Y == from.Y && to.X < from.X) {
				note("cursor moved back from %v to %v", from, to)
			}
		},
	})
	term.RegisterOscHandler(52, func(d []byte) bool { note("clipboard %q", d); return true })
	term.RegisterDcsHandler('q', func(_ ansi.Params, d []byte) bool { note("dcs %q", d); return true })
	term.RegisterApcHandler(func(d []byte) bool { note("apc %q", d); return true })
	term.RegisterPmHandler(func(d []byte) bool { note("pm %q", d); return true })
	term.RegisterSosHandler(func(d []byte) bool { note("sos %q", d); return true })
	if _, err := term.WriteString(s); err != nil {
		note("write: %v", err)
	}
	for y := range height {
		for x := range width {
			cell := term.CellAt(x, y)
			if cell == nil {
				continue
			}
			if !cell.Style.IsZero() {
				note("styled cell at %d,%d", x, y)
			}
			if cell.Link.URL != "" {
				note("link %q at %d,%d", cell.Link.URL, x, y)
			}
			if c := cell.Content; c != "" && c != " " && !strings.Contains(s, c) {
				note("glyph %q at %d,%d not in the text", c, x, y)
			}
		}
	}
	return got
}

func TestCleanTextOnlyPrintsInATerminal(t *testing.T) {
	for _, tc := range attacks {
		if got := effects(Text(tc.in)); len(got) > 0 {
			t.Errorf("%s: Text(%q) still has effects: %v", tc.name, tc.in, got)
		}
	}
}

// TestTerminalSeesRawAttacks shows the emulator harness detects each kind
// of effect, so the test above could fail.
func TestTerminalSeesRawAttacks(t *testing.T) {
	for _, in := range []string{
		"a\x1b[2J\x1b[Hb",
		"\x1b[31mred",
		"\x1b[?1049h",
		"\x1b[?25l",
		"x\x1b]52;c;cm0gLXJmIH4=\x07",
		"\x1b]0;pwned\x1b\\",
		"\x1b]8;;https://evil.example/\x1b\\click",
		"\x1b]11;#ff0000\x07",
		"\x1b_Gf=100\x1b\\",
		"\x1b(0lqk",
		"abc\b\b\bxyz",
		"abc\rxyz",
		"a\x07",
		"\x9b31mred",
	} {
		if got := effects(in); len(got) == 0 {
			t.Errorf("raw %q showed no effect in the emulator", in)
		}
	}
}
