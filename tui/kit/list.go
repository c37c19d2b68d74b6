package kit

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/tui/sanitize"
)

// Lists that scroll, and the line under them that says how the last
// action went.

// ListCursor is a selected row (At) and the first row shown.
type ListCursor struct{ At, top int }

// Key moves the cursor for up/down/page keys over n rows, rows of them
// on screen; it reports whether the key was one of those.
func (l *ListCursor) Key(k *KeyMap, msg tea.KeyMsg, n, rows int) bool {
	switch {
	case key.Matches(msg, k.Up):
		l.At--
	case key.Matches(msg, k.Down):
		l.At++
	case key.Matches(msg, k.PageUp):
		l.At -= max(1, rows)
	case key.Matches(msg, k.PageDown):
		l.At += max(1, rows)
	default:
		return false
	}
	l.Clamp(n)
	return true
}

// Clamp keeps the cursor on one of n rows.
func (l *ListCursor) Clamp(n int) { l.At = max(0, min(l.At, n-1)) }

// Keep puts the cursor back on the row whose id is id after a live reload
// of n rows (idOf gives a row's id), so rows added or gone elsewhere never
// move it off the one chosen; it stays in place when that row is gone.
func (l *ListCursor) Keep(id int64, n int, idOf func(i int) int64) {
	l.Clamp(n)
	for i := range n {
		if idOf(i) == id {
			l.At = i
			return
		}
	}
}

// Window returns the rows [from, to) to show in rows lines, keeping the
// cursor in view.
func (l *ListCursor) Window(n, rows int) (from, to int) {
	rows = max(1, rows)
	l.Clamp(n)
	if l.At < l.top {
		l.top = l.At
	}
	if l.At >= l.top+rows {
		l.top = l.At - rows + 1
	}
	l.top = max(0, min(l.top, n-rows))
	return l.top, min(n, l.top+rows)
}

// MarkedRow renders a list row, the selected one highlighted.
func MarkedRow(st *Styles, selected bool, text string) string {
	if selected {
		return st.Selected.Render("▸ " + text)
	}
	return st.Text.Render("  " + text)
}

// Cell truncates untrusted text to a column and pads it.
func Cell(s string, w int) string {
	s = sanitize.Truncate(sanitize.Line(s), w)
	return s + strings.Repeat(" ", max(0, w-lipgloss.Width(s)))
}

// LiveLoad coalesces reloads: events that come while a load runs cause
// one more load after it, not one each.
type LiveLoad struct{ loading, dirty bool }

// Begin reports whether to start a load now (otherwise one is running and
// another will follow it).
func (l *LiveLoad) Begin() bool {
	if l.loading {
		l.dirty = true
		return false
	}
	l.loading = true
	return true
}

// End reports whether to load again because events came meanwhile.
func (l *LiveLoad) End() bool {
	l.loading = false
	if l.dirty {
		l.dirty = false
		l.loading = true
		return true
	}
	return false
}

// Status is a screen's last line: working, an error or a notice. The
// error and the notice hold until the next key (Clear).
type Status struct {
	Busy        bool
	Err, Notice string
}

// Clear drops the error and the notice.
func (s *Status) Clear() { s.Err, s.Notice = "", "" }

// View draws the line ("" when there is nothing to say).
func (s Status) View(st *Styles) string {
	switch {
	case s.Busy:
		return st.Muted.Render("Working…")
	case s.Err != "":
		return st.Error.Render(sanitize.Line(s.Err))
	case s.Notice != "":
		return st.Success.Render(sanitize.Line(s.Notice))
	}
	return ""
}
