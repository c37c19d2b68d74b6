package commands

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/wantsms/wantsms/store"
)

// Command is one command as data: the parser, help, `COMMAND --help` and
// the reference in README.md are all generated from it.
type Command struct {
	Name    string // one word, lower-case
	Summary string // one line for the command list
	Help    string // optional longer description for COMMAND --help
	Params  []Param
	// Run does the work; nil for a parent, which only holds Subs.
	Run  func(c *Call) error
	Subs []*Command
	// AdminOnly gates the command and, on a parent, every sub-command
	// (including those added later): only admin accounts may run them.
	AdminOnly bool
	// Public commands need no account: they show nothing of anyone (the
	// privacy policy). Everything else needs a linked key.
	Public bool
	// Stream marks a command that prints a sequence of results (one JSON
	// object per line with --json); others print exactly one.
	Stream bool
	// Example is a result like the ones Run prints: it documents the JSON
	// shape in help and in the README.
	Example Result
}

// Result is what a command prints. With --json the value itself is
// marshalled (its struct tags are the documented shape); without, it
// writes its human-readable form.
type Result interface {
	WriteText(w io.Writer) error
}

// Call is one run of a command by one account.
type Call struct {
	Ctx    context.Context
	Deps   Deps
	User   store.User    // resolved from Key, freshly at the start of the call
	Key    store.KeySpec // the key this session proved
	Origin store.Origin

	inv *Invocation
	out *output
}

// Print writes a result to stdout: once for a command, once per item for
// a Stream command.
func (c *Call) Print(r Result) error { return c.out.print(r) }

// Actor is the calling account as the store's admin actions want it,
// with the key this session proved (commands always have one).
func (c *Call) Actor() store.Actor {
	return store.Actor{UserID: c.User.ID, Key: c.Key.Fingerprint, Origin: c.Origin}
}

var (
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,23}$`)
	argRE  = regexp.MustCompile(`^[A-Z][A-Z0-9_|]{0,23}$`) // ID|URL: either
)

// reserved flags exist on every command.
var reserved = map[string]bool{"json": true, "help": true}

// check validates definitions once, when the Handler is built, so that a
// mistake in a command's definition stops the server from starting
// instead of surfacing as a confusing parse.
func check(cmds []*Command, prefix string) error {
	seen := map[string]bool{"help": prefix == ""} // the top-level help is built in
	for _, c := range cmds {
		full := strings.TrimSpace(prefix + " " + c.Name)
		if !nameRE.MatchString(c.Name) || seen[c.Name] {
			return fmt.Errorf("command %q: name taken or not a lower-case word", full)
		}
		seen[c.Name] = true
		if (c.Run == nil) == (len(c.Subs) == 0) {
			return fmt.Errorf("command %q: want either Run or Subs", full)
		}
		if c.Summary == "" {
			return fmt.Errorf("command %q: no summary", full)
		}
		if len(c.Subs) > 0 {
			if len(c.Params) > 0 || c.Example != nil || c.Stream {
				return fmt.Errorf("command %q: a parent takes no params, example or stream", full)
			}
			if err := check(c.Subs, full); err != nil {
				return err
			}
			continue
		}
		if c.Example == nil {
			return fmt.Errorf("command %q: no example result", full)
		}
		if err := checkParams(full, c.Params); err != nil {
			return err
		}
	}
	return nil
}

func checkParams(cmd string, params []Param) error {
	names := map[string]bool{}
	optional := false // an optional argument came: every later one must be too
	for _, pp := range params {
		p := pp.def()
		bad := names[p.name] || reserved[p.name]
		switch {
		case p.flag:
			bad = bad || !nameRE.MatchString(p.name) || (p.noValue && (p.required || p.hasDef)) ||
				(p.required && p.hasDef)
		default:
			bad = bad || !argRE.MatchString(p.name) || p.noValue || p.required || p.hasDef || (optional && !p.optional)
			optional = optional || p.optional
		}
		if bad {
			return fmt.Errorf("command %q: parameter %q is malformed or repeated", cmd, p.name)
		}
		names[p.name] = true
		if p.hasDef {
			if _, err := p.parse(p.def); err != nil {
				return fmt.Errorf("command %q: default of --%s: %v", cmd, p.name, err)
			}
		}
	}
	return nil
}
