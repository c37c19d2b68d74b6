package kit

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// The shared styles, their palette resolved once, draw exactly what
// lipgloss draws from the adaptive colours on a session's own renderer,
// on every kind of terminal and background.
func TestSharedStylesMatchAdaptive(t *testing.T) {
	colour := map[termenv.Profile]string{termenv.TrueColor: "38;2;", termenv.ANSI256: "38;5;", termenv.ANSI: "\x1b[9"}
	for _, p := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		for _, dark := range []bool{true, false} {
			st := StylesFor(p, dark)
			r := lipgloss.NewRenderer(io.Discard)
			r.SetColorProfile(p)
			r.SetHasDarkBackground(dark)
			for name, pair := range map[string][2]lipgloss.Style{
				"title":   {st.Title, r.NewStyle().Bold(true).Foreground(accent)},
				"muted":   {st.Muted, r.NewStyle().Foreground(subtle)},
				"code":    {st.Code, r.NewStyle().Bold(true).Foreground(good).Background(panelBg).Padding(0, 2)},
				"error":   {st.Error, r.NewStyle().Foreground(bad)},
				"warning": {st.Warning, r.NewStyle().Foreground(warn)},
				"qr":      {st.QR, r.NewStyle().Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFFFFF"))},
			} {
				got, want := pair[0].Render("x"), pair[1].Render("x")
				if got != want {
					t.Errorf("profile %v dark %v %s: %q, want %q", p, dark, name, got, want)
				}
				if seq := colour[p]; name == "muted" && seq != "" && !strings.Contains(want, seq) {
					t.Errorf("profile %v: %q has no colour, the comparison proves nothing", p, want)
				}
			}
		}
	}
}
