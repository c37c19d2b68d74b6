package e2e

import (
	"regexp"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

// openPane switches to the pane with this title by the number its tab
// shows, wherever it sits in the tab order, and waits for text there.
func openPane(t *testing.T, term *sshterm.Term, title, text string) {
	t.Helper()
	m, err := term.WaitForMatch(testenv.Wait, regexp.MustCompile(`(\d) `+regexp.QuoteMeta(title)+`\b`))
	if err != nil {
		t.Fatal(err)
	}
	term.Type(m[1])
	expect(t, term, text)
}

// onDashboard waits until the dashboard is up, whichever pane shows first.
func onDashboard(t *testing.T, term *sshterm.Term) {
	t.Helper()
	if _, err := term.WaitForMatch(testenv.Wait, regexp.MustCompile(`\d Account\b`)); err != nil {
		t.Fatal(err)
	}
}
