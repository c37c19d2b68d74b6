package e2e

import (
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
)

// openAccount goes from the dashboard's first pane to Account, the last
// one (shift+tab wraps around), and waits for text there.
func openAccount(t *testing.T, term *sshterm.Term, text string) {
	t.Helper()
	expect(t, term, "Account") // the tab bar: the dashboard is up
	term.Press(sshterm.ShiftTab)
	expect(t, term, text)
}
