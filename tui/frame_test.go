package tui

import (
	"reflect"
	"strings"
	"testing"
)

// A pane's view becomes exactly height rows, indented: a too-wide row
// wraps at a space, rows past height are cut, blank rows fill the rest.
func TestFrameBody(t *testing.T) {
	f := newFrame(0, nil)
	f.add("head")
	f.addBody("short\nthis row is too wide\n\x1b[1mbold\x1b[0m", 12, 5, "  ")
	want := []string{"head", "  short", "  this row is", "  too wide", "  \x1b[1mbold\x1b[0m", ""}
	if got := rows(f); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	cut := newFrame(0, nil)
	cut.addBody("1\n2\n3\n4", 10, 2, "")
	if got := rows(cut); !reflect.DeepEqual(got, []string{"1", "2"}) {
		t.Fatalf("cut to 2 rows: %q", got)
	}
}

// Widths remembered from the last frame serve only rows that are the
// same: a row changed to a wider one at the same place is measured again.
func TestFrameBodyMeasuresChangedRows(t *testing.T) {
	var widths rowWidths
	first := newFrame(0, &widths)
	first.addBody("short\nsame", 12, 3, "")
	second := newFrame(0, &widths)
	second.addBody("this row is too wide\nsame", 12, 3, "")
	want := []string{"this row is", "too wide", "same"}
	if got := rows(second); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	// A row seen before is not measured again: told it is narrow, the
	// frame believes it.
	const wide = "this row is too wide"
	widths.last[0] = widths.last[0]>>widthBits<<widthBits | 5
	third := newFrame(0, &widths)
	third.addBody(wide+"\nsame", 12, 3, "")
	if got := rows(third); got[0] != wide {
		t.Fatalf("rows %q: the remembered width was not used", got)
	}
}

func rows(f *frame) []string { return strings.Split(f.String(), "\n") }
