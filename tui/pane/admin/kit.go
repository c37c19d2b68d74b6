package admin

import (
	"fmt"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// Pieces the Admin pane's sections share: how an action reports back, the
// parsing of amounts and markups typed by an admin, and how accounts are
// named in lists. The list cursor, the status line and the coalescing of
// live reloads come from tui/kit.

// adminFormWidth is the width of the pane's forms.
const adminFormWidth = 70

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
var errBadDollars = kit.Refusal("an amount in dollars, like 5, 12.50 or -2.50 for a debit")

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
var errBadMarkup = kit.Refusal("a markup is a multiplier of the cost, like 1.5 (at most two decimals)")

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

// userRef names an account in lists that must not show emails: "#42".
func userRef(id int64) string { return fmt.Sprintf("#%d", id) }

// statusOf says whether an account is active or suspended, and why.
func statusOf(u store.User) string {
	if u.Banned() {
		return "suspended: " + u.BanReason
	}
	return "active"
}
