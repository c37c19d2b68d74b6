package commands

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's command reference from the definitions")

const readmePath = "../../README.md"

// The README's command reference is generated from the definitions, so
// the two cannot drift: this test fails until it is refreshed with -update.
func TestREADMEReferenceMatchesDefinitions(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	begin, end := strings.Index(readme, referenceBegin), strings.Index(readme, referenceEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md lacks the markers %q … %q", referenceBegin, referenceEnd)
	}
	current := readme[begin : end+len(referenceEnd)]
	want := reference(all())
	if current == want {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(readme[:begin]+want+readme[end+len(referenceEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("README.md's command reference is out of date: run go test ./tui/commands -run TestREADME -update\n"+
		"want:\n%s", want)
}

// Every command is in the reference, by its usage line.
func TestReferenceListsEveryCommand(t *testing.T) {
	ref := reference(all())
	for _, p := range leaves(all(), nil) {
		if !strings.Contains(ref, "#### `"+usageLine(p)+"`") {
			t.Errorf("reference lacks %s", usageLine(p))
		}
	}
}
