package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// frame assembles the dashboard's rows. It measures each row of a pane
// once: composing the frame with lipgloss (Width, Height, padding,
// JoinVertical) measured every row four or five times, grapheme by
// grapheme, and that was most of what a frame cost. Rows are not padded
// to the window's width: the screen erases what is right of each row.
type frame struct{ rows []string }

func (f *frame) add(block string) {
	f.rows = append(f.rows, strings.Split(block, "\n")...)
}

// addBody adds a pane's view as exactly height rows of at most width
// columns, each indented: a row too wide is wrapped as lipgloss wraps
// (rare: panes lay themselves out for their width), rows past height are
// cut, and blank rows fill the rest.
func (f *frame) addBody(view string, width, height int, indent string) {
	n := 0
	put := func(row string) {
		if n < height {
			f.rows = append(f.rows, indent+row)
			n++
		}
	}
	for _, row := range strings.Split(view, "\n") {
		if ansi.StringWidth(row) <= width {
			put(row)
			continue
		}
		for _, part := range strings.Split(lipgloss.NewStyle().Width(width).Render(row), "\n") {
			put(strings.TrimRight(part, " "))
		}
	}
	for ; n < height; n++ {
		f.rows = append(f.rows, "")
	}
}

func (f *frame) String() string { return strings.Join(f.rows, "\n") }
