package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxArgs bounds a command line: no command takes more than a handful.
const maxArgs = 64

// Invocation is a parsed command line: which command, with which typed
// values. Only Parse makes one, and only from a line it fully accepted.
type Invocation struct {
	// Path runs from the top-level command to the one invoked; empty for
	// the top-level help.
	Path []*Command
	Help bool // print the help of Path instead of running it
	JSON bool

	values map[*param]any
	given  map[*param]bool
}

// Command is the command invoked (nil for the top-level help).
func (inv *Invocation) Command() *Command {
	if len(inv.Path) == 0 {
		return nil
	}
	return inv.Path[len(inv.Path)-1]
}

// Name is the invoked command's full name, e.g. "admin credit".
func (inv *Invocation) Name() string { return pathName(inv.Path) }

// AdminOnly reports whether any command on the path is gated.
func (inv *Invocation) AdminOnly() bool {
	for _, c := range inv.Path {
		if c.AdminOnly {
			return true
		}
	}
	return false
}

// UsageError is a command line that was not accepted; Path is as far as
// the parser got (for the usage line).
type UsageError struct {
	Path []*Command
	Msg  string
}

func (e *UsageError) Error() string { return e.Msg }

// ErrNoCommand is an empty command line: the person asked for a shell.
var ErrNoCommand = errors.New("no command")

// Parse turns a command line into an Invocation. It is a pure function of
// the definitions and the words: it never touches the store or the
// network, so nothing invalid gets further than here.
func Parse(cmds []*Command, args []string) (*Invocation, error) {
	if len(args) == 0 {
		return nil, ErrNoCommand
	}
	if len(args) > maxArgs {
		return nil, &UsageError{Msg: fmt.Sprintf("too many words (at most %d)", maxArgs)}
	}
	for _, a := range args {
		if len(a) > maxValueLen || !utf8.ValidString(a) {
			return nil, &UsageError{Msg: fmt.Sprintf("%s: too long or not UTF-8", quote(a))}
		}
	}
	if args[0] == "help" || isHelp(args[0]) {
		return parseHelp(cmds, args[1:])
	}
	path, rest, err := walk(cmds, args)
	if err != nil {
		return nil, err
	}
	return parseParams(path, rest)
}

// walk follows command names from the top level down to a command that
// runs, returning the words after it.
func walk(cmds []*Command, args []string) (path []*Command, rest []string, err error) {
	level := cmds
	for i, word := range args {
		c := find(level, word)
		if c == nil {
			return nil, nil, unknown(path, level, word)
		}
		path = append(path, c)
		if len(c.Subs) == 0 {
			return path, args[i+1:], nil
		}
		level = c.Subs
		if i+1 < len(args) && isHelp(args[i+1]) {
			return path, args[i+1:], nil
		}
	}
	return nil, nil, &UsageError{Path: path, Msg: fmt.Sprintf("%s needs a sub-command: %s", pathName(path),
		names(level))}
}

func find(level []*Command, name string) *Command {
	for _, c := range level {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func unknown(path, level []*Command, word string) error {
	what := "command"
	if len(path) > 0 {
		what = pathName(path) + " sub-command"
	}
	if strings.HasPrefix(word, "-") && len(path) == 0 {
		return &UsageError{Msg: fmt.Sprintf("the command comes first, then its flags; commands: %s", names(level))}
	}
	return &UsageError{Path: path, Msg: fmt.Sprintf("unknown %s %s; valid: %s", what, quote(word), names(level))}
}

// parseHelp reads `help [COMMAND [SUB]] [--json]`: help on one command,
// or on everything.
func parseHelp(cmds []*Command, args []string) (*Invocation, error) {
	inv := &Invocation{Help: true}
	var words []string
	for _, a := range args {
		switch {
		case a == "--json":
			inv.JSON = true
		case isHelp(a):
		case strings.HasPrefix(a, "-"):
			return nil, &UsageError{Msg: fmt.Sprintf("help: unknown flag %s", quote(a))}
		default:
			words = append(words, a)
		}
	}
	if len(words) == 0 {
		return inv, nil
	}
	level := cmds
	for _, w := range words {
		if len(inv.Path) > 0 && len(level) == 0 {
			return nil, &UsageError{Msg: fmt.Sprintf("help: %s has no sub-commands", inv.Name())}
		}
		c := find(level, w)
		if c == nil {
			return nil, unknown(inv.Path, level, w)
		}
		inv.Path, level = append(inv.Path, c), c.Subs
	}
	return inv, nil
}

// parseParams reads a runnable command's arguments and flags, in any
// order; "--" ends the flags.
func parseParams(path []*Command, words []string) (*Invocation, error) {
	cmd := path[len(path)-1]
	inv := &Invocation{Path: path, values: map[*param]any{}, given: map[*param]bool{}}
	fail := func(format string, a ...any) (*Invocation, error) {
		return nil, &UsageError{Path: path, Msg: pathName(path) + ": " + fmt.Sprintf(format, a...)}
	}
	// Help wins over everything else on the line: asking is always fine.
	for _, w := range words {
		if w == "--" {
			break
		}
		if isHelp(w) {
			return &Invocation{Path: path, Help: true, JSON: contains(words, "--json")}, nil
		}
	}
	var positional []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "--":
			positional = append(positional, words[i+1:]...)
			i = len(words)
		case w == "--json":
			if inv.JSON {
				return fail("--json given twice")
			}
			inv.JSON = true
		case strings.HasPrefix(w, "--"):
			name, value, hasValue := strings.Cut(w[2:], "=")
			if name == "json" {
				return fail("--json takes no value")
			}
			p := flagNamed(cmd, name)
			if p == nil {
				return fail("unknown flag %s; flags: %s", quote("--"+name), flagNames(cmd))
			}
			if inv.given[p] {
				return fail("--%s given twice", p.name)
			}
			if p.noValue && hasValue {
				return fail("--%s takes no value", p.name)
			}
			if !p.noValue && !hasValue {
				if i+1 >= len(words) {
					return fail("--%s needs a value (%s)", p.name, p.typeName)
				}
				i++
				value = words[i]
			}
			if err := inv.set(p, value); err != nil {
				return fail("%v", err)
			}
		case strings.HasPrefix(w, "-") && !isNumberLike(w):
			return fail("unknown flag %s; flags: %s", quote(w), flagNames(cmd))
		default:
			positional = append(positional, w)
		}
	}
	if err := inv.setPositional(cmd, positional); err != nil {
		return fail("%v", err)
	}
	if err := inv.setDefaults(cmd); err != nil {
		return fail("%v", err)
	}
	return inv, nil
}

func (inv *Invocation) set(p *param, text string) error {
	v, err := p.parse(text)
	if err != nil {
		what := p.name
		if p.flag {
			what = "--" + p.name
		}
		return fmt.Errorf("%s: %v (got %s)", what, err, quote(text))
	}
	inv.values[p], inv.given[p] = v, true
	return nil
}

func (inv *Invocation) setPositional(cmd *Command, words []string) error {
	var args []*param
	for _, pp := range cmd.Params {
		if p := pp.def(); !p.flag {
			args = append(args, p)
		}
	}
	if len(words) > len(args) {
		return fmt.Errorf("unexpected argument %s", quote(words[len(args)]))
	}
	for i, p := range args {
		if i >= len(words) && p.optional {
			break
		}
		if i >= len(words) {
			return fmt.Errorf("missing %s", p.name)
		}
		if err := inv.set(p, words[i]); err != nil {
			return err
		}
	}
	return nil
}

func (inv *Invocation) setDefaults(cmd *Command) error {
	for _, pp := range cmd.Params {
		p := pp.def()
		switch {
		case !p.flag || inv.given[p]:
		case p.required:
			return fmt.Errorf("--%s is required", p.name)
		case p.hasDef:
			v, err := p.parse(p.def)
			if err != nil {
				return fmt.Errorf("default of --%s: %v", p.name, err)
			}
			inv.values[p] = v
		}
	}
	return nil
}

func flagNamed(cmd *Command, name string) *param {
	for _, pp := range cmd.Params {
		if p := pp.def(); p.flag && p.name == name {
			return p
		}
	}
	return nil
}

func flagNames(cmd *Command) string {
	var out []string
	for _, pp := range cmd.Params {
		if p := pp.def(); p.flag {
			out = append(out, "--"+p.name)
		}
	}
	return strings.Join(append(out, "--json", "--help"), ", ")
}

func isHelp(w string) bool { return w == "--help" || w == "-h" }

// isNumberLike lets "-5" reach its parameter's type, which then says that
// it wants a positive number, rather than calling it an unknown flag.
func isNumberLike(w string) bool { return len(w) > 1 && w[1] >= '0' && w[1] <= '9' }

func contains(words []string, w string) bool {
	for _, x := range words {
		if x == "--" {
			return false
		}
		if x == w {
			return true
		}
	}
	return false
}

func names(level []*Command) string {
	out := make([]string, 0, len(level))
	for _, c := range level {
		out = append(out, c.Name)
	}
	return strings.Join(out, ", ")
}

func pathName(path []*Command) string {
	out := make([]string, 0, len(path))
	for _, c := range path {
		out = append(out, c.Name)
	}
	return strings.Join(out, " ")
}

// maxQuoted bounds how much of a rejected word an error message repeats.
const maxQuoted = 40

// quote repeats a word the person typed, Go-quoted so that control and
// invisible characters show as escapes and never reach the terminal.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		s = string([]rune(s)[:maxQuoted]) + "…"
	}
	return strconv.Quote(s)
}
