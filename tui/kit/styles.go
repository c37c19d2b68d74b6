package kit

import (
	"io"
	"strconv"
	"sync"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles is the one place where the dashboard's look is defined. It is
// built from the session's renderer, so colours match what the person's
// terminal can show (and vanish under NO_COLOR).
type Styles struct {
	r    *lipgloss.Renderer
	help help.Model // its styles set from HelpKey, HelpDesc, HelpSep

	Brand       lipgloss.Style
	Header      lipgloss.Style
	HeaderEmail lipgloss.Style
	Balance     lipgloss.Style
	Sim         lipgloss.Style
	Tab         lipgloss.Style
	ActiveTab   lipgloss.Style
	TabBar      lipgloss.Style
	Body        lipgloss.Style
	Title       lipgloss.Style
	Subtitle    lipgloss.Style
	Muted       lipgloss.Style
	Text        lipgloss.Style
	Strong      lipgloss.Style
	Error       lipgloss.Style
	Success     lipgloss.Style
	Warning     lipgloss.Style
	Selected    lipgloss.Style
	Label       lipgloss.Style
	Input       lipgloss.Style
	FocusedIn   lipgloss.Style
	Button      lipgloss.Style
	ButtonFocus lipgloss.Style
	Box         lipgloss.Style
	Dialog      lipgloss.Style
	Code        lipgloss.Style
	CodeBox     lipgloss.Style
	Key         lipgloss.Style
	HelpKey     lipgloss.Style
	HelpDesc    lipgloss.Style
	HelpSep     lipgloss.Style
	// QR draws a QR code's dark modules black on white whatever the theme,
	// the contrast a phone camera reads best.
	QR   lipgloss.Style
	Link lipgloss.Style
}

// Palette: one accent, one warning, one error; adaptive so that light
// terminals stay readable.
var (
	accent  = lipgloss.AdaptiveColor{Light: "#5A3FD6", Dark: "#A68BFF"}
	subtle  = lipgloss.AdaptiveColor{Light: "#8A8A8A", Dark: "#7C7C7C"}
	text    = lipgloss.AdaptiveColor{Light: "#1E1E1E", Dark: "#E6E6E6"}
	good    = lipgloss.AdaptiveColor{Light: "#18794E", Dark: "#4ADE80"}
	bad     = lipgloss.AdaptiveColor{Light: "#C62828", Dark: "#FF6B6B"}
	warn    = lipgloss.AdaptiveColor{Light: "#A15C00", Dark: "#FBBF24"}
	panelBg = lipgloss.AdaptiveColor{Light: "#EDE9FE", Dark: "#2A2540"}
)

// fixed resolves a palette colour once for this session's terminal.
// Given the hex value, lipgloss would convert it to the terminal's palette
// (a colour-distance search over 256 colours) in every Render of every
// frame: that was a twentieth of the CPU a sign-in costs.
func fixed(r *lipgloss.Renderer, c lipgloss.AdaptiveColor) lipgloss.TerminalColor {
	hex := c.Dark
	if !r.HasDarkBackground() {
		hex = c.Light
	}
	switch tc := r.ColorProfile().Color(hex).(type) {
	case termenv.ANSI256Color:
		return lipgloss.Color(strconv.Itoa(int(tc)))
	case termenv.ANSIColor:
		return lipgloss.Color(strconv.Itoa(int(tc)))
	case termenv.RGBColor:
		return lipgloss.Color(string(tc))
	default:
		return lipgloss.NoColor{}
	}
}

// sharedStyles holds one Styles per kind of terminal (colour profile,
// dark or light background): a Styles is some 10 KB, and 10,000 sessions
// need at most eight different ones.
var sharedStyles sync.Map // terminalKind → *Styles

type terminalKind struct {
	profile termenv.Profile
	dark    bool
}

// StylesFor gives the shared styles for a terminal with this colour
// profile and background. Their renderer writes nowhere: styles only
// render strings, and the screen writes them.
func StylesFor(profile termenv.Profile, dark bool) *Styles {
	k := terminalKind{profile, dark}
	if st, ok := sharedStyles.Load(k); ok {
		return st.(*Styles)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(profile) // lipgloss would detect io.Discard: no colours
	r.SetHasDarkBackground(dark)
	st, _ := sharedStyles.LoadOrStore(k, NewStyles(r))
	return st.(*Styles)
}

// NewStyles builds the styles for one renderer.
func NewStyles(r *lipgloss.Renderer) *Styles {
	ns := r.NewStyle
	accent, subtle, text, good := fixed(r, accent), fixed(r, subtle), fixed(r, text), fixed(r, good)
	bad, warn, panelBg := fixed(r, bad), fixed(r, warn), fixed(r, panelBg)
	black, white := fixed(r, lipgloss.AdaptiveColor{Light: "#000000", Dark: "#000000"}),
		fixed(r, lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#FFFFFF"})
	st := &Styles{
		r:           r,
		Brand:       ns().Bold(true).Foreground(accent),
		Header:      ns().Padding(0, 1),
		HeaderEmail: ns().Foreground(text),
		Balance:     ns().Bold(true).Foreground(good),
		Sim:         ns().Foreground(warn),
		Tab:         ns().Padding(0, 1).Foreground(subtle),
		ActiveTab:   ns().Padding(0, 1).Bold(true).Foreground(accent).Underline(true),
		TabBar:      ns().Padding(0, 1),
		Body:        ns().Padding(0, 2),
		Title:       ns().Bold(true).Foreground(accent),
		Subtitle:    ns().Bold(true).Foreground(text),
		Muted:       ns().Foreground(subtle),
		Text:        ns().Foreground(text),
		Strong:      ns().Bold(true),
		Error:       ns().Foreground(bad),
		Success:     ns().Foreground(good),
		Warning:     ns().Foreground(warn),
		Selected:    ns().Bold(true).Foreground(accent),
		Label:       ns().Foreground(subtle).Width(10),
		Input:       ns(),
		FocusedIn:   ns().Foreground(accent),
		Button:      ns().Padding(0, 2).Foreground(subtle).Border(lipgloss.NormalBorder()).BorderForeground(subtle),
		ButtonFocus: ns().Padding(0, 2).Bold(true).Foreground(accent).Border(lipgloss.NormalBorder()).BorderForeground(accent),
		Box:         ns().Border(lipgloss.RoundedBorder()).BorderForeground(subtle).Padding(0, 1),
		Dialog:      ns().Border(lipgloss.RoundedBorder()).BorderForeground(accent).Padding(1, 2),
		Code:        ns().Bold(true).Foreground(good).Background(panelBg).Padding(0, 2),
		CodeBox:     ns().Border(lipgloss.RoundedBorder()).BorderForeground(good),
		Key:         ns().Bold(true).Foreground(accent),
		HelpKey:     ns().Foreground(subtle).Bold(true),
		HelpDesc:    ns().Foreground(subtle),
		HelpSep:     ns().Foreground(subtle),
		QR:          ns().Foreground(black).Background(white),
		Link:        ns().Bold(true).Foreground(accent).Underline(true),
	}
	st.help = help.New()
	st.help.Styles.ShortKey, st.help.Styles.FullKey = st.HelpKey, st.HelpKey
	st.help.Styles.ShortDesc, st.help.Styles.FullDesc = st.HelpDesc, st.HelpDesc
	st.help.Styles.ShortSeparator, st.help.Styles.FullSeparator = st.HelpSep, st.HelpSep
	return st
}

// Help is a help bar of these styles for width columns, all of its
// bindings or the short list. It is made when drawn, not kept by each
// session: its styles are some kilobytes.
func (s *Styles) Help(width int, all bool) help.Model {
	h := s.help
	h.Width, h.ShowAll = width, all
	return h
}

// Renderer is the session's renderer, for components that build their own
// styles (tables) or measure text.
func (s *Styles) Renderer() *lipgloss.Renderer { return s.r }
