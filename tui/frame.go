package tui

import (
	"hash/maphash"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// frame assembles the dashboard's rows into one string. It measures each
// row of a pane once: composing the frame with lipgloss (Width, Height,
// padding, JoinVertical) measured every row four or five times, grapheme
// by grapheme, and that was most of what a frame cost. Rows are not
// padded to the window's width: the screen erases what is right of each
// row. They are written straight into one buffer, sized from the last
// frame: a frame a second in each of thousands of sessions made splitting,
// indenting and joining rows a large share of what the server allocated.
type frame struct {
	b      strings.Builder
	rows   int
	widths *rowWidths // nil: measure every row
}

// newFrame is a frame of about size bytes (the last one's), with the
// widths remembered from it.
func newFrame(size int, widths *rowWidths) *frame {
	f := &frame{widths: widths}
	f.b.Grow(size)
	return f
}

// row starts a new row and gives the builder to write it into.
func (f *frame) row() *strings.Builder {
	if f.rows > 0 {
		f.b.WriteByte('\n')
	}
	f.rows++
	return &f.b
}

// rowWidths remembers how wide each body row of the last frame was, by
// a hash of the row: measuring is grapheme by grapheme, and most rows are
// the ones of the frame before. One word per row: a 48-bit hash with the
// width below it (keeping the rows themselves would keep the last view
// alive in every session). Two different rows at one place hashing alike
// (odds 2^-48) would only misjudge whether that row needs wrapping.
type rowWidths struct{ last []uint64 }

var rowSeed = maphash.MakeSeed()

const widthBits = 16

func (r *rowWidths) width(i int, row string) int {
	if r == nil {
		return ansi.StringWidth(row)
	}
	h := maphash.String(rowSeed, row) >> widthBits << widthBits
	if i < len(r.last) && r.last[i]>>widthBits<<widthBits == h {
		return int(r.last[i] & (1<<widthBits - 1))
	}
	w := ansi.StringWidth(row)
	if i >= len(r.last) {
		r.last = append(r.last, make([]uint64, i+1-len(r.last))...)
	}
	r.last[i] = h | uint64(min(w, 1<<widthBits-1))
	return w
}

func (f *frame) add(block string) {
	for r := range strings.SplitSeq(block, "\n") {
		f.row().WriteString(r)
	}
}

// addBody adds a pane's view as exactly height rows of at most width
// columns, each indented: a row too wide is wrapped as lipgloss wraps
// (rare: panes lay themselves out for their width), rows past height are
// cut, and blank rows fill the rest.
func (f *frame) addBody(view string, width, height int, indent string) {
	n := 0
	put := func(r string) {
		if n < height {
			b := f.row()
			b.WriteString(indent)
			b.WriteString(r)
			n++
		}
	}
	i := 0
	for r := range strings.SplitSeq(view, "\n") {
		if n == height {
			break // the rest is cut: no need to measure it
		}
		if f.widths.width(i, r) <= width {
			put(r)
		} else {
			for part := range strings.SplitSeq(lipgloss.NewStyle().Width(width).Render(r), "\n") {
				put(strings.TrimRight(part, " "))
			}
		}
		i++
	}
	for ; n < height; n++ {
		f.row()
	}
}

func (f *frame) String() string { return f.b.String() }

// spaces is n spaces, without allocating for the few a frame indents by.
func spaces(n int) string {
	const some = "        "
	if n <= len(some) {
		return some[:n]
	}
	return strings.Repeat(" ", n)
}
