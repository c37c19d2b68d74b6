package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// flags is a flag set whose every flag has an environment-variable twin:
// the environment overrides the built-in default and a flag on the command
// line overrides both.
type flags struct {
	fs   *flag.FlagSet
	envs []envFlag
	err  error
}

type envFlag struct{ name, env string }

func newFlags(name string, out io.Writer) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "flags of wantsms %s (a flag beats its environment variable, which beats the default):\n", name)
		fs.PrintDefaults()
	}
	return &flags{fs: fs}
}

// defaultFrom returns the environment's value for env, or def.
func (f *flags) lookup(env string) (string, bool) {
	v, ok := os.LookupEnv(env)
	return strings.TrimSpace(v), ok && strings.TrimSpace(v) != ""
}

func (f *flags) note(name, env string) string {
	f.envs = append(f.envs, envFlag{name, env})
	return " (env " + env + ")"
}

func (f *flags) badEnv(env, v string, err error) {
	if f.err == nil {
		f.err = fmt.Errorf("environment variable %s=%q: %v", env, v, err)
	}
}

func (f *flags) String(p *string, name, env, def, usage string) {
	if v, ok := f.lookup(env); ok {
		def = v
	}
	f.fs.StringVar(p, name, def, usage+f.note(name, env))
}

// Secret is a string flag whose value never shows in -h: its default is
// empty and the environment's value, if any, is applied directly.
func (f *flags) Secret(p *string, name, env, usage string) {
	f.fs.StringVar(p, name, "", usage+f.note(name, env))
	if v, ok := f.lookup(env); ok {
		*p = v // a flag given on the command line still overrides it
	}
}

func (f *flags) Int(p *int, name, env string, def int, usage string) {
	if v, ok := f.lookup(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.badEnv(env, v, err)
		}
		def = n
	}
	f.fs.IntVar(p, name, def, usage+f.note(name, env))
}

func (f *flags) Bool(p *bool, name, env string, def bool, usage string) {
	if v, ok := f.lookup(env); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.badEnv(env, v, err)
		}
		def = b
	}
	f.fs.BoolVar(p, name, def, usage+f.note(name, env))
}

func (f *flags) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v, ok := f.lookup(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.badEnv(env, v, err)
		}
		def = d
	}
	f.fs.DurationVar(p, name, def, usage+f.note(name, env))
}

// parse parses flags that may come before, between or after positional
// arguments, and returns the positional ones. A negative number ("-500")
// is a positional argument, not a flag.
func (f *flags) parse(args []string) ([]string, error) {
	if f.err != nil {
		return nil, f.err
	}
	var pos []string
	for len(args) > 0 {
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		if !strings.HasPrefix(args[0], "-") || isNegativeNumber(args[0]) {
			pos = append(pos, args[0])
			args = args[1:]
			continue
		}
		// Parse one flag (and its value) at a time so that what follows
		// can again be positional.
		n := 1
		if name := strings.TrimLeft(args[0], "-"); !strings.Contains(name, "=") && f.takesValue(name) && len(args) > 1 {
			n = 2
		}
		if err := f.fs.Parse(args[:n]); err != nil {
			return nil, err
		}
		args = args[n:]
	}
	return pos, nil
}

func (f *flags) takesValue(name string) bool {
	fl := f.fs.Lookup(name)
	if fl == nil {
		return false
	}
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

func isNegativeNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.HasPrefix(s, "-")
}
