package commands

import (
	"context"
	"strings"
	"testing"
)

// One long usage line takes a line of its own instead of pushing every
// description to the right: all descriptions start in the same column,
// at most maxColumn+4 from the left.
func TestHelpListKeepsDescriptionsInOneColumn(t *testing.T) {
	f := newFixture(t)
	stdout, _, status := f.run(context.Background(), f.handler(t, all()), "help")
	if status != ExitOK {
		t.Fatal(status)
	}
	col := -1
	for _, c := range topDocs(all()) {
		i := strings.Index(stdout, "  "+c.Summary+"\n")
		if i < 0 {
			t.Fatalf("no line ends in %q:\n%s", c.Summary, stdout)
		}
		at := i + 2 - (strings.LastIndex(stdout[:i], "\n") + 1)
		if col < 0 {
			col = at
		}
		if at != col || at > maxColumn+4 {
			t.Fatalf("%s: description at column %d, others at %d:\n%s", c.Name, at, col, stdout)
		}
	}
}
