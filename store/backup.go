package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Backup writes a consistent copy of the database to dest while the
// service keeps running (VACUUM INTO reads one snapshot; writers are not
// blocked), then opens the copy and runs integrity_check on it. The copy
// is created 0600, as the database is; dest must not exist yet.
func (s *Store) Backup(ctx context.Context, dest string) error {
	if s.OnPostgres() {
		return ErrBackupPostgres
	}
	if err := createPrivate(dest); errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s already exists", dest)
	} else if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// A reader connection of its own: VACUUM INTO writes only the new file.
	db, err := sql.Open("sqlite", s.path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		_ = os.Remove(dest) // the empty file made above, not a backup
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return VerifyFile(ctx, dest)
}

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose own tools copy
// a database consistently while it serves.
var ErrBackupPostgres = errors.New("backup copies a SQLite database: on PostgreSQL use pg_dump " +
	"(pg_dump --format=custom DATABASE_URL > wantsms.dump) or the server's continuous archiving")

// VerifyFile runs SQLite's integrity_check on a database file.
func VerifyFile(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return fmt.Errorf("check %s: %w", path, err)
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if len(lines) != 1 || lines[0] != "ok" {
		return fmt.Errorf("%s fails integrity_check: %s", path, strings.Join(lines, "; "))
	}
	return nil
}
