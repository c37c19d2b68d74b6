// Package qr draws QR codes as terminal text, so a person can scan a
// payment link (a Stripe Checkout URL, a bitcoin: URI) off the screen with a
// phone. Each character cell holds two modules stacked vertically with the
// half blocks ▀ ▄ █ and space, so one module is one column wide and half a
// row high: about square in a usual 1:2 terminal cell.
//
// # Colours
//
// The text is plain, with no escape sequences, and the glyphs are drawn in
// the terminal's foreground colour over its background. A scanner wants
// dark modules on a light field, so the polarity must follow the terminal:
//   - LightInk, for dark themes (light text on dark, the usual default):
//     the light modules and the quiet zone are inked, the dark modules are
//     the terminal's own background;
//   - DarkInk, for light themes, or for text the caller styles explicitly
//     black on white (the sturdiest choice when the terminal has colours):
//     the dark modules are inked.
//
// The caller picks with its renderer's background detection (lipgloss
// HasDarkBackground). Reverse video alone does not help: it swaps whatever
// the theme's colours are, so it is right on one kind of theme only.
// The half blocks are East Asian "ambiguous" width; a terminal set to draw
// those double-wide (some CJK setups) breaks the picture.
//
// # Size
//
// The error-correction level starts at L (7 %): a screen is not a torn
// sticker, and the smallest symbol gives the camera the biggest modules. It
// is then raised as far as the chosen version allows for free. The quiet
// zone is the standard 4 modules when it fits, never less than 2. In 80×24 a
// symbol of version 6 (41 modules) fits, 47 columns × 24 rows with a
// 3-module quiet zone: 134 bytes of a URL, which covers Stripe's short
// Checkout URLs (about 100 bytes, as stripe-mock returns) and any bitcoin:
// URI, but not a live Checkout URL with its long #fragment (300–400 bytes,
// about version 12–14, 37–41 rows). For those, show a short link on our own
// host that redirects to the Checkout page, or render into a larger window.
//
// May import from this repository: nothing.
package qr

import (
	"errors"
	"fmt"
	"strings"

	goqr "github.com/piglig/go-qr"
)

// Ink says what colour the terminal draws glyphs in.
type Ink int

const (
	// LightInk: glyphs are light on a dark background (dark theme).
	LightInk Ink = iota
	// DarkInk: glyphs are dark on a light background (light theme, or text
	// styled black on white by the caller).
	DarkInk
)

// Default window, the classic terminal.
const (
	DefaultCols = 80
	DefaultRows = 24
)

const (
	// quietZone is the margin of light modules ISO/IEC 18004 asks for.
	quietZone = 4
	// minQuietZone is the least margin we draw to make a code fit; phone
	// scanners read a 2-module margin reliably on a clean screen.
	minQuietZone = 2
	// sizeBase: a symbol of version v is sizeBase+4v modules a side.
	sizeBase = 17
)

// ErrTooLong means the content does not fit the window at any level.
var ErrTooLong = errors.New("qr: content too long for the window")

// Options says how to draw; the zero value draws for a dark theme in 80×24.
type Options struct {
	Ink Ink
	// MaxCols and MaxRows bound the text; 0 means 80 and 24.
	MaxCols, MaxRows int
}

// Code is a rendered QR code.
type Code struct {
	Version int      // 1–40, 17+4×Version modules a side
	Level   string   // error correction: "L", "M", "Q" or "H"
	Quiet   int      // quiet zone, in modules
	Lines   []string // the rows of text, all Cols runes wide
}

// Cols is the width of the text in terminal columns.
func (c *Code) Cols() int { return len([]rune(c.Lines[0])) }

// Rows is the height of the text in terminal rows.
func (c *Code) Rows() int { return len(c.Lines) }

// String joins the rows with newlines, without a final one.
func (c *Code) String() string { return strings.Join(c.Lines, "\n") }

// Render encodes content in the smallest QR code that fits the window and
// draws it. It fails with ErrTooLong when none fits.
func Render(content string, o Options) (*Code, error) {
	cols, rows := o.MaxCols, o.MaxRows
	if cols == 0 {
		cols = DefaultCols
	}
	if rows == 0 {
		rows = DefaultRows
	}
	maxVer := maxVersion(cols, rows, minQuietZone)
	if maxVer < goqr.MinVersion {
		return nil, fmt.Errorf("%w: %d×%d holds no QR code", ErrTooLong, cols, rows)
	}
	sym, err := encode(content, maxVer)
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes in %d×%d: %v", ErrTooLong, len(content), cols, rows, err)
	}
	q := quietZone
	for maxVersion(cols, rows, q) < sym.Version {
		q--
	}
	return &Code{Version: sym.Version, Level: sym.Level, Quiet: q, Lines: draw(sym.QrCode, q, o.Ink)}, nil
}

// maxVersion is the largest version whose symbol, with a quiet zone of q
// modules and one padding row when its height is odd, fits cols×rows.
func maxVersion(cols, rows, q int) int {
	side := min(cols, 2*rows-1) - 2*q // a side is always odd: keep a row for padding
	return min((side-sizeBase)/4, goqr.MaxVersion)
}

// symbol is an encoded code with the version and level that were chosen.
type symbol struct {
	*goqr.QrCode
	Version int
	Level   string
}

// levels are the error-correction levels, strongest first, with their names.
var levels = []struct {
	ecc  goqr.Ecc
	name string
}{{goqr.High, "H"}, {goqr.Quartile, "Q"}, {goqr.Medium, "M"}, {goqr.Low, "L"}}

// encode picks the smallest version up to maxVer at level L, then the
// highest level that still fits that version.
func encode(content string, maxVer int) (symbol, error) {
	segs, err := goqr.MakeSegmentsOptimally(content, goqr.Low, goqr.MinVersion, maxVer)
	if err != nil {
		return symbol{}, err
	}
	low, err := goqr.EncodeSegments(segs, goqr.Low, goqr.MinVersion, maxVer, -1, false)
	if err != nil {
		return symbol{}, err
	}
	ver := (low.Size() - sizeBase) / 4
	for _, l := range levels {
		if c, err := goqr.EncodeSegments(segs, l.ecc, ver, ver, -1, false); err == nil {
			return symbol{c, ver, l.name}, nil
		}
	}
	return symbol{low, ver, "L"}, nil // not reached: level L fits by construction
}

// draw turns the symbol, its quiet zone and a padding row into text, two
// module rows per line.
func draw(c *goqr.QrCode, q int, ink Ink) []string {
	n := c.Size()
	side := n + 2*q
	dark := func(x, y int) bool {
		x, y = x-q, y-q
		return x >= 0 && y >= 0 && x < n && y < n && c.Module(x, y)
	}
	// inked: the cell half gets the glyph colour. The padding row below
	// the symbol counts as light, like the quiet zone.
	inked := func(x, y int) bool { return (y < side && dark(x, y)) == (ink == DarkInk) }
	lines := make([]string, 0, (side+1)/2)
	var b strings.Builder
	for y := 0; y < side; y += 2 {
		b.Reset()
		for x := 0; x < side; x++ {
			b.WriteRune(glyph(inked(x, y), inked(x, y+1)))
		}
		lines = append(lines, b.String())
	}
	return lines
}

// glyph is the half block showing the inked halves of one cell.
func glyph(top, bottom bool) rune {
	switch {
	case top && bottom:
		return '█'
	case top:
		return '▀'
	case bottom:
		return '▄'
	}
	return ' '
}
