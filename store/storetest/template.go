package storetest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Template makes new SQLite databases as copies of one made once per test
// process. Replaying every migration costs a test a second and more under
// the race detector (each schema change re-reads the whole schema); a copy
// of the result costs a file write. The store's migration tests still
// replay them.
type Template struct {
	make func(path string) error
	once sync.Once
	data []byte
	err  error
}

// NewTemplate returns a Template whose database make creates at path (and
// closes, so that the file holds all of it).
func NewTemplate(make func(path string) error) *Template {
	return &Template{make: make}
}

// CopyTo writes a copy of the template database at path, which must not
// exist yet, readable by its owner only.
func (tp *Template) CopyTo(t testing.TB, path string) {
	t.Helper()
	tp.once.Do(tp.build)
	if tp.err != nil {
		t.Fatal(tp.err)
	}
	if err := os.WriteFile(path, tp.data, 0o600); err != nil {
		t.Fatalf("copy the template database: %v", err)
	}
}

// Path is a copy of the template database in a new temporary directory.
func (tp *Template) Path(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wantsms.db")
	tp.CopyTo(t, path)
	return path
}

func (tp *Template) build() {
	dir, err := os.MkdirTemp("", "wantsms-template-")
	if err != nil {
		tp.err = fmt.Errorf("template database: %w", err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	if err := tp.make(path); err != nil {
		tp.err = fmt.Errorf("template database: %w", err)
		return
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		tp.err = fmt.Errorf("template database: %s-wal left after closing", path)
		return
	}
	if tp.data, err = os.ReadFile(path); err != nil {
		tp.err = fmt.Errorf("template database: %w", err)
	}
}
