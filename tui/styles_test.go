package tui

import (
	"io"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// The palette resolved once per session draws exactly what lipgloss draws
// from the adaptive colours, on every kind of terminal and background.
func TestFixedColoursMatchAdaptive(t *testing.T) {
	for _, p := range []termenv.Profile{termenv.TrueColor, termenv.ANSI256, termenv.ANSI, termenv.Ascii} {
		for _, dark := range []bool{true, false} {
			r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(p))
			r.SetHasDarkBackground(dark)
			st := NewStyles(r)
			for name, pair := range map[string][2]lipgloss.Style{
				"title":   {st.Title, r.NewStyle().Bold(true).Foreground(accent)},
				"muted":   {st.Muted, r.NewStyle().Foreground(subtle)},
				"code":    {st.Code, r.NewStyle().Bold(true).Foreground(good).Background(panelBg).Padding(0, 2)},
				"error":   {st.Error, r.NewStyle().Foreground(bad)},
				"warning": {st.Warning, r.NewStyle().Foreground(warn)},
				"qr":      {st.QR, r.NewStyle().Foreground(lipgloss.Color("#000000")).Background(lipgloss.Color("#FFFFFF"))},
			} {
				if got, want := pair[0].Render("x"), pair[1].Render("x"); got != want {
					t.Errorf("profile %v dark %v %s: %q, want %q", p, dark, name, got, want)
				}
			}
		}
	}
}
