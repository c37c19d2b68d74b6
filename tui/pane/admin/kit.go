package tui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// Pieces the Admin pane's sections share: a cursor over a list that
// scrolls, a status line, live reloads that coalesce, and the parsing of
// amounts and markups typed by an admin.

// adminFormWidth is the width of the pane's forms.
const adminFormWidth = 70

// listCursor is a selected row and the first row shown.
type listCursor struct{ at, top int }

// key moves the cursor for up/down/page keys over n rows; it reports
// whether the key was one of those.
func (l *listCursor) key(k *KeyMap, msg tea.KeyMsg, n, rows int) bool {
	switch {
	case key.Matches(msg, k.Up):
		l.at--
	case key.Matches(msg, k.Down):
		l.at++
	case key.Matches(msg, k.PageUp):
		l.at -= max(1, rows)
	case key.Matches(msg, k.PageDown):
		l.at += max(1, rows)
	default:
		return false
	}
	l.clamp(n)
	return true
}

func (l *listCursor) clamp(n int) { l.at = max(0, min(l.at, n-1)) }

// keep puts the cursor back on the row whose id is id after a live reload
// of n rows (idOf gives a row's id), so rows added or gone elsewhere never
// move it off the one chosen; it stays in place when that row is gone.
func (l *listCursor) keep(id int64, n int, idOf func(i int) int64) {
	l.clamp(n)
	for i := range n {
		if idOf(i) == id {
			l.at = i
			return
		}
	}
}

// window returns the rows [from, to) to show in rows lines, keeping the
// cursor in view.
func (l *listCursor) window(n, rows int) (from, to int) {
	rows = max(1, rows)
	l.clamp(n)
	if l.at < l.top {
		l.top = l.at
	}
	if l.at >= l.top+rows {
		l.top = l.at - rows + 1
	}
	l.top = max(0, min(l.top, n-rows))
	return l.top, min(n, l.top+rows)
}

// liveLoad coalesces reloads: events that come while a load runs cause
// one more load after it, not one each.
type liveLoad struct{ loading, dirty bool }

// begin reports whether to start a load now (otherwise one is running and
// another will follow it).
func (l *liveLoad) begin() bool {
	if l.loading {
		l.dirty = true
		return false
	}
	l.loading = true
	return true
}

// end reports whether to load again because events came meanwhile.
func (l *liveLoad) end() bool {
	l.loading = false
	if l.dirty {
		l.dirty = false
		l.loading = true
		return true
	}
	return false
}

// adminStatus is a section's last line: working, an error or a notice.
type adminStatus struct {
	busy        bool
	err, notice string
}

func (s *adminStatus) clear() { s.err, s.notice = "", "" }

func (s adminStatus) view(st *Styles) string {
	switch {
	case s.busy:
		return st.Muted.Render("Working…")
	case s.err != "":
		return st.Error.Render(sanitize.Line(s.err))
	case s.notice != "":
		return st.Success.Render(sanitize.Line(s.notice))
	}
	return ""
}

// adminDoneMsg ends an action of one section with a notice or an error.
type adminDoneMsg struct {
	to     adminSection
	notice string
	err    error
}

// adminRun runs an admin action off the update loop and reports to sec.
func adminRun(sec adminSection, action func() (string, error)) tea.Cmd {
	return func() tea.Msg {
		notice, err := action()
		return adminDoneMsg{to: sec, notice: notice, err: err}
	}
}

// errBadDollars refuses an amount an admin typed.
var errBadDollars = adminInputError{errors.New("an amount in dollars, like 5, 12.50 or -2.50 for a debit")}

// parseDollars reads a signed amount of dollars with at most two
// decimals ("5", "+12.5", "-0.75") as cents.
func parseDollars(s string) (int64, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "$"))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 7 || len(frac) > 2 || !digits(whole) || !digits(frac) {
		return 0, errBadDollars
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	c := w*100 + f
	if neg {
		c = -c
	}
	return c, nil
}

func digits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// errBadMarkup refuses a markup an admin typed.
var errBadMarkup = adminInputError{errors.New("a markup is a multiplier of the cost, like 1.5 (at most two decimals)")}

// parseMarkup reads a multiplier ("1.5", "x2", "×1.25") as a Markup in
// basis points. The store checks the bounds.
func parseMarkup(s string) (provider.Markup, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "×"), "x"), "X")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 3 || len(frac) > 2 || !digits(whole) || !digits(frac) {
		return 0, errBadMarkup
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, _ := strconv.Atoi(whole)
	f, _ := strconv.Atoi(frac)
	return provider.Markup(w*10_000 + f*100), nil
}

// adminInputError is a refusal of the pane's own input checks, shown to
// the admin as it is.
type adminInputError struct{ error }

func (e adminInputError) UserFacing() string { return e.Error() }

// when shows a time in UTC, short: "11-25 12:00".
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("01-02 15:04")
}

// userRef names an account in lists that must not show emails: "#42".
func userRef(id int64) string { return fmt.Sprintf("#%d", id) }

// cell truncates untrusted text to a column and pads it.
func cell(s string, w int) string {
	s = sanitize.Truncate(sanitize.Line(s), w)
	return s + strings.Repeat(" ", max(0, w-lipgloss.Width(s)))
}

// markedRow renders a list row, the selected one highlighted.
func markedRow(st *Styles, selected bool, text string) string {
	if selected {
		return st.Selected.Render("▸ " + text)
	}
	return st.Text.Render("  " + text)
}

// statusOf says whether an account is active or suspended, and why.
func statusOf(u store.User) string {
	if u.Banned() {
		return "suspended: " + u.BanReason
	}
	return "active"
}
