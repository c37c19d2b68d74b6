// Package storetest holds what the store's own tests and the service's
// end-to-end tests both need to look into a database: Dump, every value of
// every table as text, so a test can search it for what must not linger
// (an erased email, a purged number) or compare two states of the books.
//
// It also holds Template, new migrated databases without replaying the
// migrations for every test.
//
// May import from this repository: nothing.
package storetest

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// Dump is every value of every table but those in skip, as text: one
// row per line, prefixed by its table, tables by name and rows in rowid
// order (on PostgreSQL: by their columns, first to last), so two dumps of
// the same data on one backend are equal. db is a SQLite or a PostgreSQL
// database.
func Dump(db *sql.DB, skip ...string) (string, error) {
	return dump(db, false, skip)
}

// DumpAcross is Dump made to compare one data set on the two backends:
// each row's columns in the order of their names (a column added later
// comes last on PostgreSQL, where SQLite may have rebuilt the table with
// it elsewhere), and each table's rows sorted as text.
func DumpAcross(db *sql.DB, skip ...string) (string, error) {
	return dump(db, true, skip)
}

func dump(db *sql.DB, byName bool, skip []string) (string, error) {
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	pg := false
	if err != nil {
		pg = true
		rows, err = db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`)
	}
	if err != nil {
		return "", fmt.Errorf("list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return "", err
		}
		if !slices.Contains(skip, name) {
			tables = append(tables, name)
		}
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		var err error
		if byName {
			err = dumpByName(db, table, &b)
		} else {
			err = dumpTable(db, table, pg, &b)
		}
		if err != nil {
			return "", fmt.Errorf("dump %s: %w", table, err)
		}
	}
	return b.String(), nil
}

// dumpByName writes a table's rows with their columns in name order, the
// rows sorted.
func dumpByName(db *sql.DB, table string, b *strings.Builder) error {
	rows, err := db.Query(`SELECT * FROM ` + table + ` LIMIT 0`)
	if err != nil {
		return err
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return err
	}
	slices.Sort(cols)
	var t strings.Builder
	rows, err = db.Query(`SELECT ` + strings.Join(cols, ", ") + ` FROM ` + table)
	if err != nil {
		return err
	}
	if err := writeRows(rows, table, &t); err != nil {
		return err
	}
	lines := strings.SplitAfter(t.String(), "\n")
	slices.Sort(lines)
	b.WriteString(strings.Join(lines, ""))
	return nil
}

func dumpTable(db *sql.DB, table string, pg bool, b *strings.Builder) error {
	var rows *sql.Rows
	var err error
	if pg {
		rows, err = db.Query(`SELECT * FROM ` + table + ` LIMIT 0`)
		if err != nil {
			return err
		}
		cols, err := rows.Columns()
		rows.Close()
		if err != nil {
			return err
		}
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = fmt.Sprint(i + 1)
		}
		rows, err = db.Query(`SELECT * FROM ` + table + ` ORDER BY ` + strings.Join(order, ", "))
	} else {
		rows, err = db.Query(`SELECT * FROM ` + table + ` ORDER BY rowid`)
		if err != nil {
			rows, err = db.Query(`SELECT * FROM ` + table) // WITHOUT ROWID
		}
	}
	if err != nil {
		return err
	}
	return writeRows(rows, table, b)
}

// writeRows writes every row, one line each prefixed by the table, and
// closes rows.
func writeRows(rows *sql.Rows, table string, b *strings.Builder) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fmt.Fprintf(b, "%s:", table)
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(b, " %v |", v)
		}
		b.WriteString("\n")
	}
	return rows.Err()
}
