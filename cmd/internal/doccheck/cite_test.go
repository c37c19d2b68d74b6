package doccheck

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outsideDocs names documents that live outside the repository (design
// and reference notes kept elsewhere while it was built). Split so this
// file does not match itself.
var outsideDocs = regexp.MustCompile(`\b(DESIGN|STYLE|upstream-` + `protocols|payments)\.md\b|upstream-` + `protocols|/work/` + `shared`)

// The repository explains itself: no comment, README or script points a
// reader at a document they cannot open.
func TestNothingCitesOutsideDocuments(t *testing.T) {
	top := root(t)
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != top && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := filepath.Ext(path)
		if ext != ".go" && ext != ".md" && ext != ".txt" && ext != ".sql" && filepath.Base(filepath.Dir(path)) != ".ci" {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if m := outsideDocs.FindString(line); m != "" {
				rel, _ := filepath.Rel(top, path)
				t.Errorf("%s:%d cites %q, which is not in the repository: explain it here instead", rel, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
