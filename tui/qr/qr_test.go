package qr

import (
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// stripeMockURL is the Checkout URL stripe-mock v0.203.0 returns (100 bytes).
const stripeMockURL = "https://checkout.stripe.com/pay/c/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY"

// bitcoinURIs: a native SegWit address (BIP 173's example) and a Taproot
// one, the longest common address type.
var bitcoinURIs = []string{
	"bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq?amount=0.00317789",
	"bitcoin:bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297?amount=21.00000001",
}

// liveLikeURL has the shape of a live Checkout URL: the session id and a
// long #fragment (these run 300–400 bytes).
var liveLikeURL = "https://checkout.stripe.com/c/pay/cs_live_" + strings.Repeat("a1B2c3D4e5", 6) +
	"#fidkdWxOYHwnPyd1blpxYHZxWjA0" + strings.Repeat("TzVzQnxHdjNjNEB3", 16)

// decodeText reads rendered text back the way a camera would: it rebuilds
// the module bitmap from the half blocks, surrounds it with the terminal's
// own background, and hands the picture to ZXing.
func decodeText(t *testing.T, text string, ink Ink) string {
	t.Helper()
	const scale, margin = 4, 8 // pixels per module; modules of terminal background
	lines := strings.Split(text, "\n")
	w, h := utf8.RuneCountInString(lines[0]), 2*len(lines)
	img := image.NewGray(image.Rect(0, 0, (w+2*margin)*scale, (h+2*margin)*scale))
	background := color.Gray{0} // a dark theme's background is dark
	if ink == DarkInk {
		background = color.Gray{255}
	}
	for i := range img.Pix {
		img.Pix[i] = background.Y
	}
	for row, line := range lines {
		for col, r := range []rune(line) {
			top, bottom, ok := halves(r)
			if !ok {
				t.Fatalf("row %d col %d: unexpected rune %q", row, col, r)
			}
			paint(img, (col+margin)*scale, (2*row+margin)*scale, scale, top == (ink == DarkInk))
			paint(img, (col+margin)*scale, (2*row+1+margin)*scale, scale, bottom == (ink == DarkInk))
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return res.GetText()
}

func halves(r rune) (top, bottom, ok bool) {
	switch r {
	case '█':
		return true, true, true
	case '▀':
		return true, false, true
	case '▄':
		return false, true, true
	case ' ':
		return false, false, true
	}
	return false, false, false
}

func paint(img *image.Gray, x0, y0, scale int, dark bool) {
	v := uint8(255)
	if dark {
		v = 0
	}
	for y := y0; y < y0+scale; y++ {
		for x := x0; x < x0+scale; x++ {
			img.SetGray(x, y, color.Gray{v})
		}
	}
}

func checkShape(t *testing.T, c *Code, cols, rows int) {
	t.Helper()
	if c.Rows() > rows || c.Cols() > cols {
		t.Errorf("%d×%d, larger than %d×%d", c.Cols(), c.Rows(), cols, rows)
	}
	for i, l := range c.Lines {
		if n := utf8.RuneCountInString(l); n != c.Cols() {
			t.Errorf("line %d is %d wide, want %d", i, n, c.Cols())
		}
	}
	if want := (17 + 4*c.Version + 2*c.Quiet + 1) / 2; c.Rows() != want || c.Cols() != 17+4*c.Version+2*c.Quiet {
		t.Errorf("version %d quiet %d drawn %d×%d", c.Version, c.Quiet, c.Cols(), c.Rows())
	}
}

func TestRenderDecodesIn80x24(t *testing.T) {
	for _, content := range append([]string{stripeMockURL}, bitcoinURIs...) {
		for _, ink := range []Ink{LightInk, DarkInk} {
			c, err := Render(content, Options{Ink: ink})
			if err != nil {
				t.Fatalf("%s: %v", content, err)
			}
			checkShape(t, c, 80, 24)
			if got := decodeText(t, c.String(), ink); got != content {
				t.Errorf("decoded %q, want %q", got, content)
			}
			t.Logf("%3d bytes → version %d, level %s, quiet %d: %d×%d", len(content), c.Version, c.Level, c.Quiet, c.Cols(), c.Rows())
		}
	}
}

// The longest URL-like text (byte mode) that fits 80×24 is 134 bytes:
// version 6 at level L, drawn with a 3-module quiet zone in 47×24.
func TestLongestFit(t *testing.T) {
	fits := (stripeMockURL + strings.Repeat("Xy", 20))[:134]
	c, err := Render(fits, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, c, 80, 24)
	if c.Version != 6 || c.Quiet != 3 || c.Rows() != 24 || c.Cols() != 47 {
		t.Errorf("134 bytes: version %d quiet %d, %d×%d", c.Version, c.Quiet, c.Cols(), c.Rows())
	}
	if got := decodeText(t, c.String(), LightInk); got != fits {
		t.Errorf("decoded %q", got)
	}
	if _, err := Render(fits+"z", Options{}); !errors.Is(err, ErrTooLong) {
		t.Errorf("135 bytes: %v, want ErrTooLong", err)
	}
}

// A live Checkout URL does not fit 80×24, but does in a taller window.
func TestLiveCheckoutURL(t *testing.T) {
	if _, err := Render(liveLikeURL, Options{}); !errors.Is(err, ErrTooLong) {
		t.Fatalf("%d bytes in 80×24: %v, want ErrTooLong", len(liveLikeURL), err)
	}
	c, err := Render(liveLikeURL, Options{MaxCols: 120, MaxRows: 50, Ink: DarkInk})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, c, 120, 50)
	if got := decodeText(t, c.String(), DarkInk); got != liveLikeURL {
		t.Errorf("decoded %q", got)
	}
	t.Logf("%d bytes → version %d, level %s: %d×%d", len(liveLikeURL), c.Version, c.Level, c.Cols(), c.Rows())
}

// Short content gets the full quiet zone and the strongest level the
// smallest version allows; the quiet zone is inked only for LightInk.
func TestShortContent(t *testing.T) {
	light, err := Render("https://wantsms.example/p/T-1001", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if light.Quiet != 4 || light.Version != 2 || light.Level != "L" || light.Rows() != 17 {
		t.Errorf("version %d level %s quiet %d", light.Version, light.Level, light.Quiet)
	}
	dark, _ := Render("https://wantsms.example/p/T-1001", Options{Ink: DarkInk})
	if strings.Trim(light.Lines[0], "█") != "" || strings.TrimSpace(dark.Lines[0]) != "" {
		t.Errorf("quiet rows: %q / %q", light.Lines[0], dark.Lines[0])
	}
	tiny, _ := Render("hi", Options{})
	if tiny.Version != 1 || tiny.Level != "H" {
		t.Errorf("tiny: version %d level %s", tiny.Version, tiny.Level)
	}
}

func TestWindowTooSmall(t *testing.T) {
	// Version 1 is 21 modules: with the 2-module minimum quiet zone, 25
	// columns and 13 rows (25 module rows and the padding one).
	for _, w := range [][2]int{{24, 13}, {25, 12}} {
		if _, err := Render("hi", Options{MaxCols: w[0], MaxRows: w[1]}); !errors.Is(err, ErrTooLong) {
			t.Errorf("%d×%d: %v", w[0], w[1], err)
		}
	}
	c, err := Render("hi", Options{MaxCols: 25, MaxRows: 13})
	if err != nil || c.Quiet != 2 || c.Cols() != 25 || c.Rows() != 13 {
		t.Fatalf("25×13: %v", err)
	}
	if got := decodeText(t, c.String(), LightInk); got != "hi" {
		t.Errorf("decoded %q", got)
	}
}
