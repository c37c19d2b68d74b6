package v1api

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// Every Code constant is in the table the documents are made from, once,
// and the table holds nothing else: a code cannot be answered without
// being documented.
func TestEveryCodeIsDocumented(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[Code]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil || len(vs.Values) != 1 {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
			lit, _ := vs.Values[0].(*ast.BasicLit)
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatalf("%s: %v", vs.Names[0], err)
			}
			declared[Code(s)] = true
		}
		return true
	})
	if len(declared) < 10 {
		t.Fatalf("found only %d codes in errors.go", len(declared))
	}
	seen := map[Code]bool{}
	for _, c := range codes {
		if !declared[c.Code] || seen[c.Code] || c.Means == "" || c.Status < 400 {
			t.Errorf("code %+v: undeclared, repeated, unexplained or not an error status", c)
		}
		seen[c.Code] = true
	}
	for c := range declared {
		if !seen[c] {
			t.Errorf("code %s is not in the table", c)
		}
	}
	for _, s := range sentinels {
		if !seen[s.code] {
			t.Errorf("sentinel %v answers %s, which is not in the table", s.err, s.code)
		}
	}
}
