// Package testdb gives tests outside the store a new, empty, migrated
// SQLite database at the cost of a file copy: the migrations run once per
// test process (see storetest.Template).
//
// May import from this repository: store, store/storetest.
package testdb

import (
	"testing"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/storetest"
)

var template = storetest.NewTemplate(func(path string) error {
	s, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	return s.Close()
})

// Path is a new migrated database in a new temporary directory.
func Path(t testing.TB) string {
	t.Helper()
	return template.Path(t)
}

// CopyTo puts a new migrated database at path, which must not exist.
func CopyTo(t testing.TB, path string) {
	t.Helper()
	template.CopyTo(t, path)
}
