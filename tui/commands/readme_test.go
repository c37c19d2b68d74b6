package commands

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the command reference (README.md here and the repository's) from the definitions")

const (
	rootREADME    = "../../README.md"
	packageREADME = "README.md"
)

// The command reference is generated from the definitions, so the two
// cannot drift: this package's README.md is the full reference, and the
// repository's README.md lists the commands between two markers. This
// test fails until both are refreshed with -update.
func TestREADMEReferenceMatchesDefinitions(t *testing.T) {
	raw, err := os.ReadFile(rootREADME)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	begin, end := strings.Index(readme, referenceBegin), strings.Index(readme, referenceEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README.md lacks the markers %q … %q", referenceBegin, referenceEnd)
	}
	want := readme[:begin] + summary(all()) + readme[end+len(referenceEnd):]
	refreshOrFail(t, rootREADME, readme, want)

	pkg, err := os.ReadFile(packageREADME)
	if err != nil && !*update {
		t.Fatal(err)
	}
	refreshOrFail(t, packageREADME, string(pkg), reference(all()))
}

func refreshOrFail(t *testing.T, path, current, want string) {
	t.Helper()
	if current == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is out of date with the command definitions: run go test ./tui/commands -run TestREADME -update", path)
}

// Every command is in the reference, by its usage line, with its anchor,
// and the repository's README links to each.
func TestReferenceListsEveryCommand(t *testing.T) {
	ref, sum := reference(all()), summary(all())
	for _, d := range topDocs(all()) {
		if !strings.Contains(ref, "<a id=\""+anchor(d)+"\"></a>\n\n#### `"+d.Usage+"`") {
			t.Errorf("reference lacks %s", d.Usage)
		}
		if !strings.Contains(sum, "]("+referenceFile+"#"+anchor(d)+")") {
			t.Errorf("README summary lacks a link to %s", d.Usage)
		}
	}
	if strings.Contains(sum, "```json") {
		t.Error("the README summary holds JSON shapes: they belong in " + referenceFile)
	}
}
