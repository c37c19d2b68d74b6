package store

import (
	"strconv"
	"strings"
	"sync"
)

// The store runs on SQLite (the embedded default: one file in the data
// directory) or on PostgreSQL (several instances sharing one database).
// Its SQL is written once, in SQLite's dialect, and this file holds what
// differs between the two; nothing else in the store names a backend but
// the few operations that exist on one only (a file backup, the WAL,
// SQLite's integrity pragmas).
//
// On PostgreSQL every statement is rewritten once (then cached) by
// pgRewrite, on its way to the driver (postgres.go), so no call site
// changes:
//
//   - parameters: "?" and "?N" become "$N", numbered as SQLite numbers them;
//   - LIKE becomes ILIKE: SQLite's LIKE ignores case;
//   - instr(a, b) becomes strpos(a, b);
//   - the two-argument MAX(a, b) and MIN(a, b) become GREATEST and LEAST
//     (the one-argument aggregates stay);
//   - x GLOB 'pattern' becomes x SIMILAR TO 'pattern' (both anchored and
//     case-sensitive), the pattern translated;
//   - CAST(x AS INTEGER) becomes wantsms_int(x), which reads text as SQLite
//     does (leading digits, else 0) where PostgreSQL's cast would fail;
//   - Go booleans are passed as 1 and 0, which is how both schemas store
//     them (INTEGER/BIGINT with a CHECK), see pgConn.CheckNamedValue.
//
// The SQL both accept is used as it is: ON CONFLICT … DO NOTHING / DO
// UPDATE … excluded.x, RETURNING, UPDATE … FROM, FILTER, partial indexes.
//
// Writes: SQLite has one writer at a time (BEGIN IMMEDIATE), and every
// check-then-write of the store (the most open numbers, the balance before
// a debit, the cancel guard, a reference not used twice) relies on it. On
// PostgreSQL each write transaction first takes one transaction-scoped
// advisory lock (pgWriterLock), held until it commits or rolls back, so
// writers of every instance sharing the database queue exactly as a
// single SQLite writer's do, and each statement after the lock sees every
// write committed before (READ COMMITTED takes a snapshot per statement).
// Reads never wait for it.
//
// Migrations: one list of numbers, a file per number and backend:
// migrations/NNNN_name.sql for SQLite and migrations/postgres/NNNN_name.sql
// for PostgreSQL, with the same name (TestMigrationListsMatch); see
// migrate.go.
type dialect struct {
	name string // "SQLite" or "PostgreSQL", as messages say it
	// migrations is the embedded folder of this backend's migrations.
	migrations string
	// schemaMigrations creates the table of applied migrations.
	schemaMigrations string
	// beginWrite runs first in every write transaction ("" for none).
	beginWrite string
}

var sqliteDialect = &dialect{
	name:       "SQLite",
	migrations: "migrations",
	schemaMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
}

var postgresDialect = &dialect{
	name:       "PostgreSQL",
	migrations: "migrations/postgres",
	schemaMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
	beginWrite: `SELECT pg_advisory_xact_lock(` + pgWriterLock + `)`,
}

// pgWriterLock is the advisory lock key every write transaction on
// PostgreSQL holds: "WantSMS!" as a number, so that it does not collide
// with another application's keys in a shared database.
const pgWriterLock = "6295767051127591201"

// pgQueries caches rewritten statements: the store's are constants.
var pgQueries sync.Map // SQLite text → PostgreSQL text

// pgRewrite turns a statement written for SQLite into PostgreSQL's (see
// the list above). String literals, quoted identifiers and comments are
// copied untouched.
func pgRewrite(q string) string {
	if v, ok := pgQueries.Load(q); ok {
		return v.(string)
	}
	out := rewriteSQL(q)
	pgQueries.Store(q, out)
	return out
}

func rewriteSQL(q string) string {
	var r rewriter
	r.b.Grow(len(q) + 16)
	r.rewrite(q)
	return r.b.String()
}

type rewriter struct {
	b     strings.Builder
	param int // the highest parameter number so far
}

func (r *rewriter) rewrite(q string) {
	b := &r.b
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '-' && strings.HasPrefix(q[i:], "--") || c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := skipLiteral(q, i)
			b.WriteString(q[i:j])
			i = j
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 { // ?N: that number; a later bare ? follows the highest
				n, _ := strconv.Atoi(q[i+1 : j])
				r.param = max(r.param, n)
				b.WriteByte('$')
				b.WriteString(q[i+1 : j])
			} else {
				r.param++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(r.param))
			}
			i = j
		case isWordStart(c):
			j := i + 1
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			word := q[i:j]
			afterDot := i > 0 && q[i-1] == '.'
			switch upper := strings.ToUpper(word); {
			case afterDot:
				b.WriteString(word)
			case upper == "CAST" && callAt(q, j):
				i = r.cast(q, j)
				continue
			case upper == "GLOB":
				i = r.glob(q, j)
				continue
			default:
				b.WriteString(rewriteWord(q, word, j))
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
}

// cast writes CAST(x AS INTEGER), whose parenthesis opens after i, as
// wantsms_int(x): SQLite's cast, which takes the leading digits of text and
// 0 when there are none, where PostgreSQL's fails (0001_foundation.sql).
// Other casts are written as they are. It returns where the call ends.
func (r *rewriter) cast(q string, i int) int {
	open := strings.IndexByte(q[i:], '(') + i
	end := callEnd(q, open)
	inner := q[open+1 : end-1]
	trimmed := strings.TrimRight(inner, " \t\n")
	if k := len(trimmed) - len(" AS INTEGER"); k > 0 && strings.EqualFold(trimmed[k:], " AS INTEGER") {
		r.b.WriteString("wantsms_int(")
		r.rewrite(trimmed[:k])
		r.b.WriteString(")")
		return end
	}
	r.b.WriteString("CAST(")
	r.rewrite(inner)
	r.b.WriteString(")")
	return end
}

// glob writes "GLOB 'pattern'" (from i, after the word) as PostgreSQL's
// "SIMILAR TO 'pattern'", which is anchored and case-sensitive as GLOB is:
// * becomes %, ? becomes _, a [class] stays, and what SIMILAR TO would
// read as its own is escaped.
func (r *rewriter) glob(q string, i int) int {
	j := i
	for j < len(q) && (q[j] == ' ' || q[j] == '\t' || q[j] == '\n') {
		j++
	}
	if j >= len(q) || q[j] != '\'' {
		r.b.WriteString("GLOB") // not a literal: left for PostgreSQL to refuse
		return i
	}
	end := skipQuoted(q, j)
	pat := q[j+1 : end-1]
	var p strings.Builder
	class := false
	for k := 0; k < len(pat); k++ {
		c := pat[k]
		switch {
		case class:
			p.WriteByte(c)
			class = c != ']'
		case c == '[':
			p.WriteByte(c)
			class = true
		case c == '*':
			p.WriteByte('%')
		case c == '?':
			p.WriteByte('_')
		case strings.IndexByte(`%_|+(){}\`, c) >= 0:
			p.WriteByte('\\')
			p.WriteByte(c)
		default:
			p.WriteByte(c)
		}
	}
	r.b.WriteString("SIMILAR TO '" + p.String() + "'")
	return end
}

// callEnd returns the index after the parenthesis that closes the one
// opening at open.
func callEnd(q string, open int) int {
	depth := 0
	for i := open; i < len(q); {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			i = skipQuoted(q, i)
			continue
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(q)
}

// rewriteWord is PostgreSQL's spelling of the word q[…:end] of a statement.
func rewriteWord(q, word string, end int) string {
	switch strings.ToUpper(word) {
	case "LIKE":
		return "ILIKE"
	case "INSTR":
		if callAt(q, end) {
			return "strpos"
		}
	case "MAX":
		if callAt(q, end) && callArgs(q, end) > 1 {
			return "GREATEST"
		}
	case "MIN":
		if callAt(q, end) && callArgs(q, end) > 1 {
			return "LEAST"
		}
	}
	return word
}

// callAt reports whether a parenthesis opens at i, after blanks.
func callAt(q string, i int) bool {
	for i < len(q) && (q[i] == ' ' || q[i] == '\t' || q[i] == '\n') {
		i++
	}
	return i < len(q) && q[i] == '('
}

// callArgs counts the arguments of the call whose parenthesis opens after
// i (callAt is true).
func callArgs(q string, i int) int {
	i = strings.IndexByte(q[i:], '(') + i + 1
	depth, args := 0, 1
	for i < len(q) {
		switch c := q[i]; {
		case c == '\'' || c == '"':
			i = skipQuoted(q, i)
			continue
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return args
			}
			depth--
		case c == ',' && depth == 0:
			args++
		}
		i++
	}
	return args
}

// skipLiteral returns the index after the quoted text or comment that
// opens at i.
func skipLiteral(q string, i int) int {
	switch {
	case strings.HasPrefix(q[i:], "--"):
		if j := strings.IndexByte(q[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(q)
	case strings.HasPrefix(q[i:], "/*"):
		if j := strings.Index(q[i+2:], "*/"); j >= 0 {
			return i + 2 + j + 2
		}
		return len(q)
	}
	return skipQuoted(q, i)
}

// skipQuoted returns the index after the quoted text opening at i (a
// doubled quote inside is part of it).
func skipQuoted(q string, i int) int {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		if q[j] == quote {
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(q)
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isWordByte(c byte) bool { return isWordStart(c) || c >= '0' && c <= '9' || c == '$' }
