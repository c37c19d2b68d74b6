package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The README's command reference sits between these markers; a test
// checks it matches the definitions and rewrites it with -update.
const (
	referenceBegin = "<!-- commands:begin (generated from tui/commands: go test ./tui/commands -run TestREADME -update) -->"
	referenceEnd   = "<!-- commands:end -->"
)

// reference is the Markdown reference of every command, exit status and
// JSON shape, generated from the definitions.
func reference(cmds []*Command) string {
	var b strings.Builder
	all := topDocs(cmds)
	b.WriteString(referenceBegin + "\n\n| Command | What it does |\n|---|---|\n")
	for _, d := range all {
		what := d.Summary
		if d.AdminOnly {
			what += " (admin accounts only)"
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", cell(strings.TrimSuffix(d.Usage, " [--json]")), cell(what))
	}
	b.WriteString("\nEvery command also takes `--json` and `--help`.\n\n| Exit status | Meaning |\n|---|---|\n")
	for _, s := range statusDocs {
		fmt.Fprintf(&b, "| %d | %s |\n", s.Status, cell(s.Means))
	}
	for _, d := range all {
		fmt.Fprintf(&b, "\n#### `%s`\n\n%s", d.Usage, sentence(d.Summary))
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
	b.WriteString("\n" + referenceEnd)
	return b.String()
}

func writeParams(b *strings.Builder, d commandDoc) {
	if len(d.Args)+len(d.Flags) == 0 {
		return
	}
	b.WriteString("\n")
	for _, a := range d.Args {
		fmt.Fprintf(b, "- `%s`: %s: %s\n", a.Name, a.Help, a.Accepts)
	}
	for _, f := range d.Flags {
		fmt.Fprintf(b, "- `%s`: %s\n", flagSynopsis(f), flagHelp(f))
	}
}

// cell escapes the one character that ends a Markdown table cell, even
// inside a code span.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
