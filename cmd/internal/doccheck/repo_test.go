package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// modulePath is this repository's module; imports under it are ours.
const modulePath = "github.com/wantsms/wantsms"

// root is the repository's top directory: the tests run in this
// package's directory, three levels down.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}

// goPackage is one directory of Go files, as the go tool sees it.
type goPackage struct {
	dir   string // relative to the root, with slashes: "store/metrics"
	name  string // from the non-test files
	files []*goFile
}

type goFile struct {
	path string // relative to the root
	test bool
	ast  *ast.File
}

// packages parses the package clause, comments and imports of every Go
// file in the repository, skipping what the go tool skips: directories
// named testdata or starting with "." or "_".
func packages(t *testing.T) []*goPackage {
	t.Helper()
	top := root(t)
	byDir := map[string]*goPackage{}
	err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != top && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(top, path)
		dir := filepath.ToSlash(filepath.Dir(rel))
		p := byDir[dir]
		if p == nil {
			p = &goPackage{dir: dir}
			byDir[dir] = p
		}
		gf := &goFile{path: filepath.ToSlash(rel), test: strings.HasSuffix(d.Name(), "_test.go"), ast: f}
		if !gf.test {
			p.name = f.Name.Name
		}
		p.files = append(p.files, gf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*goPackage
	for _, p := range byDir {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	if len(out) < 20 {
		t.Fatalf("found only %d packages under %s", len(out), top)
	}
	return out
}

// ourImports are the repository packages the files import, relative to
// the root ("store/metrics").
func ourImports(t *testing.T, files []*goFile) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, f := range files {
		for _, imp := range f.ast.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				t.Fatalf("%s: %v", f.path, err)
			}
			if rel, ok := strings.CutPrefix(path, modulePath+"/"); ok {
				seen[rel] = true
			}
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// The line of a package doc that names what the package may import.
const mayImport = "May import from this repository"

// allowed reads the package doc's "May import from this repository: …."
// paragraph: the packages it names (parenthesised remarks dropped), or
// none for "nothing"; tests reports whether it speaks of the package's
// tests ("(its tests)"), for packages that are only tests.
func allowed(doc string) (pkgs []string, tests, ok bool) {
	_, rest, ok := strings.Cut(doc, mayImport)
	if !ok {
		return nil, false, false
	}
	if after, found := strings.CutPrefix(rest, " (its tests)"); found {
		rest, tests = after, true
	}
	rest, ok = strings.CutPrefix(rest, ":")
	if !ok {
		return nil, false, false
	}
	// The paragraph ends at a blank line or at the doc's end.
	rest, _, _ = strings.Cut(rest, "\n\n")
	rest = strings.TrimSpace(strings.Join(strings.Fields(rest), " "))
	for strings.Contains(rest, "(") {
		open := strings.Index(rest, "(")
		end := strings.Index(rest[open:], ")")
		if end < 0 {
			return nil, false, false
		}
		rest = rest[:open] + rest[open+end+1:]
	}
	rest = strings.TrimSuffix(strings.TrimSpace(rest), ".")
	for _, item := range strings.Split(rest, ",") {
		item = strings.TrimSpace(item)
		if item == "nothing" && !strings.Contains(rest, ",") {
			return nil, tests, true
		}
		pkgs = append(pkgs, item)
	}
	return pkgs, tests, true
}

// Every package is documented in one place: one file, not a test, whose
// package doc starts "Package NAME" ("Command NAME" for a program).
func TestEveryPackageHasOneDoc(t *testing.T) {
	for _, p := range packages(t) {
		var docs []string
		for _, f := range p.files {
			if f.ast.Doc == nil {
				continue
			}
			if f.test {
				t.Errorf("%s: a test file carries a package doc; it belongs with the package's code", f.path)
				continue
			}
			docs = append(docs, f.path)
			text, name := f.ast.Doc.Text(), p.name
			if name == "main" {
				name = filepath.Base(p.dir)
				if !strings.HasPrefix(text, "Command "+name+" ") {
					t.Errorf("%s: a program's doc starts \"Command %s \", not %.40q", f.path, name, text)
				}
			} else if !strings.HasPrefix(text, "Package "+name+" ") {
				t.Errorf("%s: the package doc starts \"Package %s \", not %.40q", f.path, name, text)
			}
		}
		if len(docs) != 1 {
			t.Errorf("%s: want the package doc in one file, found it in %d: %v", p.dir, len(docs), docs)
		}
	}
}

// Each package doc names what the package may import from this
// repository, and the package imports nothing else from it: the layers
// (store at the bottom, then provider and billing, then the dashboard and
// commands, then the wiring) are written where they apply and kept.
func TestPackagesImportOnlyWhatTheirDocAllows(t *testing.T) {
	pkgs := packages(t)
	exists := map[string]bool{}
	for _, p := range pkgs {
		exists[p.dir] = true
	}
	for _, p := range pkgs {
		var doc string
		for _, f := range p.files {
			if f.ast.Doc != nil && !f.test {
				doc = f.ast.Doc.Text()
			}
		}
		allow, tests, ok := allowed(doc)
		if !ok {
			t.Errorf("%s: the package doc lacks a paragraph %q: PACKAGE, PACKAGE. (or: nothing.)", p.dir, mayImport+":")
			continue
		}
		for _, a := range allow {
			if !exists[a] {
				t.Errorf("%s: its doc allows %q, which is no package of this repository", p.dir, a)
			}
		}
		var files []*goFile
		for _, f := range p.files {
			if f.test == tests {
				files = append(files, f)
			}
		}
		for _, imp := range ourImports(t, files) {
			if !slices.Contains(allow, imp) {
				t.Errorf("%s imports %s, which its package doc does not allow (%s: %s): "+
					"add it there if the layering is right", p.dir, imp, mayImport, strings.Join(allow, ", "))
			}
		}
	}
}

// The parser of that paragraph.
func TestAllowedParagraph(t *testing.T) {
	for _, c := range []struct {
		doc   string
		want  []string
		tests bool
	}{
		{"Package x does y.\n\nMay import from this repository: nothing.\n", nil, false},
		{"Package x.\n\nMay import from this repository: nothing (it is the bottom).\n", nil, false},
		{"Package x.\n\nMay import from this repository: store, provider/sim (its\nClock), tui.\n\nMore.\n",
			[]string{"store", "provider/sim", "tui"}, false},
		{"Package x.\n\nMay import from this repository (its tests): store.\n", []string{"store"}, true},
	} {
		got, tests, ok := allowed(c.doc)
		if !ok || !slices.Equal(got, c.want) || tests != c.tests {
			t.Errorf("allowed(%q) = %q, %v, %v; want %q, %v", c.doc, got, tests, ok, c.want, c.tests)
		}
	}
	if _, _, ok := allowed("Package x does y.\n"); ok {
		t.Error("a doc without the paragraph was accepted")
	}
}
