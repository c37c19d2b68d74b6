package store

import (
	"errors"
	"fmt"
	"os"
)

// The database files hold personal data and money: only the user the
// service runs as may read them. SQLite gives the -wal and -shm files the
// mode of the database file, so a database created 0600 keeps all three
// so; the files of an older database with wider modes are narrowed.
const fileMode = 0o600

// restrictFiles creates the database file 0600 if it is missing and takes
// group and other permissions away from the existing files.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return fmt.Errorf("open store: %w", err)
		case fi.Mode().Perm()&0o077 == 0:
			continue
		}
		if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
			return fmt.Errorf("open store: only its owner may read %s: %w", p, err)
		}
	}
	return nil
}

// createPrivate creates an empty file that only its owner may read,
// refusing one that exists: SQLite writes into an empty file as into a
// new one, keeping its mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	return f.Close()
}
