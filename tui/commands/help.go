package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// helpDoc is what `help` prints: the commands under the asked path, in
// full when the path names one runnable command.
type helpDoc struct {
	Commands []commandDoc `json:"commands"`
	detail   bool         // text form: one command in full
	top      bool         // text form: the whole list with its preamble
	ssh      string       // text form: how to reach this server, "ssh -p 2222 host"
}

type commandDoc struct {
	Name      string          `json:"name"`  // "admin credit"
	Usage     string          `json:"usage"` // "admin credit EMAIL CENTS --reason TEXT [--json]"
	Summary   string          `json:"summary"`
	Help      string          `json:"help"`
	AdminOnly bool            `json:"admin_only"`
	Stream    bool            `json:"stream"`
	Args      []paramDoc      `json:"args"`
	Flags     []paramDoc      `json:"flags"`
	Example   json.RawMessage `json:"example"` // a result like the command's --json output
}

type paramDoc struct {
	Name     string  `json:"name"` // "EMAIL", or "reason" for --reason
	Type     string  `json:"type"` // "EMAIL", "CENTS", … ("" for a flag without a value)
	Help     string  `json:"help"`
	Accepts  string  `json:"accepts"`
	Required bool    `json:"required"`
	Default  *string `json:"default"`
}

// helpName is the built-in help command, which is not a Command: it is
// parsed before any other (parse.go).
const helpName = "help"

func writeHelp(out *output, cmds []*Command, path []*Command, ssh string) error {
	doc := helpDoc{top: len(path) == 0, ssh: ssh}
	c := last(path)
	switch {
	case c == nil:
		doc.Commands = topDocs(cmds)
	case c.Run != nil:
		doc.Commands, doc.detail = []commandDoc{docOf(path)}, true
	default:
		doc.Commands = docs(leaves(c.Subs, path))
	}
	return out.print(doc)
}

// topDocs documents every command: the account's, help, then the admin
// ones.
func topDocs(cmds []*Command) []commandDoc {
	var user, admin []commandDoc
	for _, d := range docs(leaves(cmds, nil)) {
		if d.AdminOnly {
			admin = append(admin, d)
		} else {
			user = append(user, d)
		}
	}
	return append(append(user, helpCommandDoc()), admin...)
}

// leaves lists the runnable commands under cmds as paths, in definition
// order.
func leaves(cmds []*Command, prefix []*Command) [][]*Command {
	var out [][]*Command
	for _, c := range cmds {
		p := append(append([]*Command(nil), prefix...), c)
		if c.Run != nil {
			out = append(out, p)
		}
		out = append(out, leaves(c.Subs, p)...)
	}
	return out
}

func docs(paths [][]*Command) []commandDoc {
	out := make([]commandDoc, 0, len(paths))
	for _, p := range paths {
		out = append(out, docOf(p))
	}
	return out
}

func docOf(path []*Command) commandDoc {
	c := last(path)
	d := commandDoc{Name: pathName(path), Usage: usageLine(path), Summary: c.Summary, Help: c.Help,
		Stream: c.Stream, Args: []paramDoc{}, Flags: []paramDoc{}}
	for _, x := range path {
		d.AdminOnly = d.AdminOnly || x.AdminOnly
	}
	for _, pp := range c.Params {
		p := pp.def()
		pd := paramDoc{Name: p.name, Type: p.typeName, Help: p.help, Accepts: p.typeHelp, Required: !p.flag && !p.optional || p.required}
		if p.hasDef {
			def := p.def
			pd.Default = &def
		}
		if p.flag {
			d.Flags = append(d.Flags, pd)
		} else {
			d.Args = append(d.Args, pd)
		}
	}
	d.Example, _ = json.Marshal(c.Example) // our own example values: they marshal
	return d
}

func helpCommandDoc() commandDoc {
	ex, _ := json.Marshal(helpDoc{Commands: []commandDoc{docOf([]*Command{balanceCommand()})}})
	return commandDoc{Name: helpName, Usage: "help [COMMAND [SUB-COMMAND]] [--json]",
		Summary: "list the commands, or describe one (also: COMMAND --help)",
		Args:    []paramDoc{}, Flags: []paramDoc{}, Example: ex}
}

// usageLine is the one-line synopsis of a runnable command.
func usageLine(path []*Command) string {
	parts := []string{pathName(path)}
	for _, pp := range last(path).Params {
		parts = append(parts, pp.def().usage())
	}
	return strings.Join(append(parts, "[--json]"), " ")
}

// WriteText writes the list, or one command in full.
func (d helpDoc) WriteText(w io.Writer) error {
	if d.detail {
		return d.Commands[0].writeDetail(w)
	}
	if d.top {
		fmt.Fprintf(w, "WantSMS commands. Run one with: %s COMMAND [ARGUMENTS] [--json]\n", d.ssh)
		fmt.Fprintln(w, "Commands need an SSH key linked to your account (link it once in the dashboard).")
		fmt.Fprintln(w)
	}
	var user, admin [][2]string
	for _, c := range d.Commands {
		row := [2]string{strings.TrimSuffix(c.Usage, " [--json]"), c.Summary}
		if c.AdminOnly {
			admin = append(admin, row)
		} else {
			user = append(user, row)
		}
	}
	width := max(columnWidth(user), columnWidth(admin))
	writeColumns(w, user, width)
	if len(admin) > 0 {
		if len(user) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "Admin accounts only:")
		writeColumns(w, admin, width)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command takes --json (one JSON document on stdout) and --help.")
	fmt.Fprintln(w, "Exit status:")
	for _, s := range statusDocs {
		fmt.Fprintf(w, "  %d  %s\n", s.Status, s.Means)
	}
	return nil
}

func (c commandDoc) writeDetail(w io.Writer) error {
	fmt.Fprintf(w, "usage: %s\n\n%s", c.Usage, sentence(c.Summary))
	if c.AdminOnly {
		fmt.Fprint(w, " Admin accounts only.")
	}
	fmt.Fprintln(w)
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", c.Help)
	}
	var args, flags [][2]string
	for _, a := range c.Args {
		args = append(args, [2]string{a.Name, argHelp(a)})
	}
	for _, f := range c.Flags {
		flags = append(flags, [2]string{flagSynopsis(f), flagHelp(f)})
	}
	flags = append(flags, [2]string{"--json", "print the result as JSON (shape below)"},
		[2]string{"--help", "show this help"})
	width := max(columnWidth(args), columnWidth(flags))
	if len(args) > 0 {
		fmt.Fprintln(w, "\nArguments:")
		writeColumns(w, args, width)
	}
	fmt.Fprintln(w, "\nFlags:")
	writeColumns(w, flags, width)
	var ex bytes.Buffer
	if err := json.Indent(&ex, c.Example, "  ", "  "); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nJSON output, for example:\n  %s\n", ex.String())
	return err
}

// maxColumn caps the first column: a longer entry (a long usage line)
// gets a line of its own, so that one command does not push every
// description off a terminal's width.
const maxColumn = 40

func columnWidth(rows [][2]string) int {
	n := 0
	for _, r := range rows {
		if c := utf8.RuneCountInString(r[0]); c <= maxColumn {
			n = max(n, c)
		}
	}
	return n
}

// writeColumns writes indented two-column rows, the first padded to width
// (by hand rather than with tabwriter: sections under their own headings
// stay aligned, and no line ends in spaces).
func writeColumns(w io.Writer, rows [][2]string, width int) {
	for _, r := range rows {
		if utf8.RuneCountInString(r[0]) > width {
			fmt.Fprintf(w, "  %s\n  %-*s  %s\n", r[0], width, "", r[1])
			continue
		}
		fmt.Fprintf(w, "  %-*s  %s\n", width, r[0], r[1])
	}
}

func argHelp(a paramDoc) string {
	if !a.Required {
		return a.Help + ": " + a.Accepts + " (optional)"
	}
	return a.Help + ": " + a.Accepts
}

func flagSynopsis(f paramDoc) string {
	if f.Type == "" {
		return "--" + f.Name
	}
	return "--" + f.Name + " " + f.Type
}

func flagHelp(f paramDoc) string {
	s := f.Help
	if f.Accepts != "" && f.Type != "" {
		s += ": " + f.Accepts
	}
	switch {
	case f.Required:
		s += " (required)"
	case f.Default != nil:
		s += " (default " + *f.Default + ")"
	}
	return s
}

// sentence capitalises a summary and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
