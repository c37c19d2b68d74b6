package tui

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/kit"
)

// README names the dashboard's tabs, with their number keys, in the order
// the dashboard shows them, the admin's included.
func TestREADMENamesEveryTabInOrder(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const lead = "The dashboard's panes are, in tab order:"
	_, para, ok := strings.Cut(string(raw), lead)
	if !ok {
		t.Fatalf("README.md lacks %q", lead)
	}
	para, _, _ = strings.Cut(para, "\n\n")
	named := regexp.MustCompile("\\*\\*(\\w+)\\*\\*\\s+\\(`(\\d)`").FindAllStringSubmatch(para, -1)
	admin := &kit.Common{Standing: store.Standing{Admin: true}, User: store.User{Role: store.RoleAdmin}}
	panes := newPanes(admin, Deps{})
	if len(named) != len(panes) {
		t.Fatalf("README names %d tabs, the dashboard has %d:\n%s", len(named), len(panes), para)
	}
	for i, p := range panes {
		if named[i][1] != p.Title() || named[i][2] != strconv.Itoa(i+1) {
			t.Errorf("README's tab %d is %s (%s), the dashboard's is %s (%d)", i+1, named[i][1], named[i][2], p.Title(), i+1)
		}
	}
}
