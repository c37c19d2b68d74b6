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
// the same data are equal. db is a SQLite or a PostgreSQL database.
func Dump(db *sql.DB, skip ...string) (string, error) {
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
		if err := dumpTable(db, table, pg, &b); err != nil {
			return "", fmt.Errorf("dump %s: %w", table, err)
		}
	}
	return b.String(), nil
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
