package commands

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// words splits a fuzz input into command-line words at NUL bytes, so that
// words may hold spaces, quotes and newlines; "" is an empty line.
func words(line string) []string {
	if line == "" {
		return nil
	}
	return strings.Split(line, "\x00")
}

// FuzzParse checks the parser on any command line: it never panics, it is
// deterministic, a refused line goes no further than a usage error (the
// handler here has no store at all: reaching it would panic), and an
// accepted one holds every required value, each within its type's rules.
// The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("balance\x00--json")
	h, err := newHandler(Deps{Store: nil, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, all())
	if err != nil {
		f.Fatal(err)
	}
	key := store.KeySpec{Fingerprint: "SHA256:fuzz"}
	f.Fuzz(func(t *testing.T, line string) {
		args := words(line)
		inv, err := Parse(h.cmds, args)
		inv2, err2 := Parse(h.cmds, args)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) ||
			(err == nil && inv.Name() != inv2.Name()) {
			t.Fatalf("Parse is not deterministic: %v / %v", err, err2)
		}
		var out, errOut bytes.Buffer
		req := Request{Args: args, Key: &key, Stdout: &out, Stderr: &errOut}
		switch {
		case err != nil:
			if inv != nil {
				t.Fatalf("an error came with an invocation: %v", err)
			}
			// The whole front door, with no store behind it.
			if status := h.Run(context.Background(), req); status != ExitUsage || out.Len() != 0 ||
				!strings.HasPrefix(errOut.String(), "wantsms: ") {
				t.Fatalf("refused line: status %d stdout %q stderr %q", status, out.String(), errOut.String())
			}
			if strings.ContainsAny(errOut.String(), "\x1b\x07\u009b\u202e") {
				t.Fatalf("stderr repeats a control character: %q", errOut.String())
			}
		case inv.Help:
			// Help is pure too: it runs without a store.
			if status := h.Run(context.Background(), req); status != ExitOK || out.Len() == 0 || errOut.Len() != 0 {
				t.Fatalf("help: status %d stdout %q stderr %q", status, out.String(), errOut.String())
			}
		default:
			checkValues(t, inv)
		}
	})
}

// checkValues asserts what every accepted invocation guarantees to Run.
func checkValues(t *testing.T, inv *Invocation) {
	t.Helper()
	for _, pp := range inv.Command().Params {
		p := pp.def()
		v, ok := inv.values[p]
		if !ok {
			if !p.flag || p.required || p.hasDef {
				t.Fatalf("%s: %s has no value", inv.Name(), p.name)
			}
			continue
		}
		switch x := v.(type) {
		case int64:
			if x < 1 {
				t.Fatalf("%s: %s = %d", inv.Name(), p.name, x)
			}
		case int:
			if x < 1 {
				t.Fatalf("%s: %s = %d", inv.Name(), p.name, x)
			}
		case string:
			if !utf8.ValidString(x) || strings.IndexFunc(x, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }) >= 0 {
				t.Fatalf("%s: %s = %q", inv.Name(), p.name, x)
			}
			checkKnown(t, inv, p, x)
		}
	}
}

// checkKnown asserts that services and countries are canonical codes from
// the tables: the engine never sees a name it does not sell.
func checkKnown(t *testing.T, inv *Invocation, p *param, v string) {
	t.Helper()
	_, service := provider.LookupService(v)
	_, country := provider.LookupCountry(v)
	if (p.typeName == Service.Name && !service) || (p.typeName == Country.Name && !country) {
		t.Fatalf("%s: %s = %q is not a canonical code", inv.Name(), p.name, v)
	}
}
