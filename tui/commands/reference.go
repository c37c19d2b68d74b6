package commands

//go:generate go test -run TestREADME -update .

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The repository's README.md lists the commands and exit statuses between
// these markers; the full reference, every command with its parameters and
// JSON shape, is this package's README.md. Both are generated from the
// definitions; a test checks they match and rewrites them with -update.
const (
	referenceBegin = "<!-- commands:begin (generated from tui/commands: go test ./tui/commands -run TestREADME -update) -->"
	referenceEnd   = "<!-- commands:end -->"
	// referenceFile is the full reference, relative to the repository.
	referenceFile = "tui/commands/README.md"
)

// summary is the block of the repository's README: the commands, one line
// each linking to their reference, and the exit statuses.
func summary(cmds []*Command) string {
	var b strings.Builder
	b.WriteString(referenceBegin + "\n\n")
	writeIndex(&b, cmds, referenceFile)
	fmt.Fprintf(&b, "\nEvery command also takes `--json` and `--help`. [%s](%s) describes each one: its "+
		"arguments and flags, what it refuses, and the JSON it prints, the whole `export` document among them.\n\n",
		referenceFile, referenceFile)
	writeStatuses(&b)
	b.WriteString("\n" + referenceEnd)
	return b.String()
}

// reference is this package's README.md: the Markdown reference of every
// command, exit status and JSON shape.
func reference(cmds []*Command) string {
	var b strings.Builder
	b.WriteString("<!-- Generated from the command definitions in this package: edit them, then run " +
		"go test ./tui/commands -run TestREADME -update (or go generate ./tui/commands). -->\n\n")
	b.WriteString("# SSH commands\n\n" +
		"What `ssh HOST COMMAND` runs: an SSH session without a terminal runs one command for the account " +
		"that owns the key the client proves, and exits with a status a script can branch on. How to link " +
		"a key, quoting, output and the rules common to every command are in the repository's " +
		"[README](../../README.md#scripting).\n\n")
	writeIndex(&b, cmds, "")
	b.WriteString("\nEvery command also takes `--json` and `--help`.\n\n")
	writeStatuses(&b)
	for _, d := range topDocs(cmds) {
		fmt.Fprintf(&b, "\n<a id=\"%s\"></a>\n\n#### `%s`\n\n%s", anchor(d), d.Usage, sentence(d.Summary))
		if d.AdminOnly {
			b.WriteString(" Admin accounts only.")
		}
		b.WriteString("\n")
		if d.Help != "" {
			b.WriteString("\n" + d.Help + "\n")
		}
		writeParams(&b, d)
		var ex bytes.Buffer
		_ = json.Indent(&ex, d.Example, "", "  ") // marshalled by us: valid
		fmt.Fprintf(&b, "\n`--json` prints, for example:\n\n```json\n%s\n```\n", ex.String())
	}
	return b.String()
}

// writeIndex is the table of commands, each linking to its section in
// file ("" for the same document).
func writeIndex(b *strings.Builder, cmds []*Command, file string) {
	b.WriteString("| Command | What it does |\n|---|---|\n")
	for _, d := range topDocs(cmds) {
		what := d.Summary
		if d.AdminOnly {
			what += " (admin accounts only)"
		}
		fmt.Fprintf(b, "| [`%s`](%s#%s) | %s |\n", cell(strings.TrimSuffix(d.Usage, " [--json]")), file, anchor(d), cell(what))
	}
}

func writeStatuses(b *strings.Builder) {
	b.WriteString("| Exit status | Meaning |\n|---|---|\n")
	for _, s := range statusDocs {
		fmt.Fprintf(b, "| %d | %s |\n", s.Status, cell(s.Means))
	}
}

// anchor is a command's link target: its words joined by "-".
func anchor(d commandDoc) string { return strings.ReplaceAll(d.Name, " ", "-") }

func writeParams(b *strings.Builder, d commandDoc) {
	if len(d.Args)+len(d.Flags) == 0 {
		return
	}
	b.WriteString("\n")
	for _, a := range d.Args {
		fmt.Fprintf(b, "- `%s`: %s\n", a.Name, argHelp(a))
	}
	for _, f := range d.Flags {
		fmt.Fprintf(b, "- `%s`: %s\n", flagSynopsis(f), flagHelp(f))
	}
}

// cell escapes the one character that ends a Markdown table cell, even
// inside a code span.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
