package commands

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// testCommands are definitions exercising every type and shape the parser
// knows; they never run here.
func testCommands() ([]*Command, map[string]any) {
	when := Flag("when", Date, "a day")
	wait := Flag("wait", Duration(time.Second, 20*time.Minute), "how long")
	limit := Flag("limit", Int(1, 100), "how many").Default("10")
	all := Flag("all", Bool, "everything")
	id := Arg("ID", ID, "which")
	kind := Arg("KIND", OneOf("card", "btc"), "how to pay")
	amount := Arg("CENTS", Cents(10_000), "how much")
	email := Arg("EMAIL", Email, "who")
	reason := Flag("reason", Reason, "why").Required()
	nop := func(*Call) error { return nil }
	ex := balanceResult{}
	cmds := []*Command{
		{Name: "show", Summary: "s", Params: []Param{id, when, wait, limit, all}, Run: nop, Example: ex},
		{Name: "pay", Summary: "p", Params: []Param{kind, amount}, Run: nop, Example: ex},
		{Name: "boss", Summary: "b", AdminOnly: true, Subs: []*Command{
			{Name: "give", Summary: "g", Params: []Param{email, amount, reason}, Run: nop, Example: ex},
		}},
	}
	return cmds, map[string]any{"when": when, "wait": wait, "limit": limit, "all": all, "id": id, "kind": kind,
		"amount": amount, "email": email, "reason": reason}
}

func mustParse(t *testing.T, cmds []*Command, line string) *Invocation {
	t.Helper()
	inv, err := Parse(cmds, strings.Fields(line))
	if err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	return inv
}

func TestParseTypedValues(t *testing.T) {
	cmds, p := testCommands()
	if err := check(cmds, ""); err != nil {
		t.Fatal(err)
	}
	call := func(inv *Invocation) *Call { return &Call{inv: inv} }

	c := call(mustParse(t, cmds, "show 42 --wait 2m --when=2026-11-25 --all"))
	if got := p["id"].(Value[int64]).Get(c); got != 42 {
		t.Errorf("ID = %d", got)
	}
	if got := p["wait"].(Value[time.Duration]).Get(c); got != 2*time.Minute {
		t.Errorf("--wait = %v", got)
	}
	if got := p["when"].(Value[time.Time]).Get(c); !got.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("--when = %v", got)
	}
	if !p["all"].(Value[bool]).Get(c) || !p["all"].(Value[bool]).Given(c) {
		t.Error("--all not set")
	}
	if got := p["limit"].(Value[int]).Get(c); got != 10 || p["limit"].(Value[int]).Given(c) {
		t.Errorf("--limit default = %d", got)
	}

	c = call(mustParse(t, cmds, "show --limit 100 -- 7"))
	if p["id"].(Value[int64]).Get(c) != 7 || p["limit"].(Value[int]).Get(c) != 100 || p["all"].(Value[bool]).Given(c) {
		t.Error("show --limit 100 -- 7")
	}
	inv := mustParse(t, cmds, "boss give Bob@Example.com 500 --reason late --json")
	c = call(inv)
	if !inv.JSON || !inv.AdminOnly() || inv.Name() != "boss give" || p["email"].(Value[string]).Get(c) != "bob@example.com" ||
		p["amount"].(Value[int64]).Get(c) != 500 || p["reason"].(Value[string]).Get(c) != "late" {
		t.Errorf("boss give: %+v", inv)
	}
	if inv := mustParse(t, cmds, "pay btc 1"); inv.AdminOnly() || inv.JSON || inv.Help {
		t.Errorf("pay: %+v", inv)
	}
}

func TestParseHelpForms(t *testing.T) {
	cmds, _ := testCommands()
	for line, want := range map[string]string{
		"help": "", "--help": "", "-h": "", "help --json": "", "help boss": "boss", "boss --help": "boss",
		"boss give --help": "boss give", "help boss give": "boss give", "show x y z -h": "show",
		"boss give --reason --help": "boss give",
	} {
		inv := mustParse(t, cmds, line)
		if !inv.Help || inv.Name() != want {
			t.Errorf("%q: help=%v path %q, want help on %q", line, inv.Help, inv.Name(), want)
		}
	}
	if inv := mustParse(t, cmds, "help boss --json"); !inv.JSON {
		t.Error("help --json lost --json")
	}
	// After "--", -h is an argument like any other.
	if _, err := Parse(cmds, []string{"show", "--", "-h"}); err == nil {
		t.Error(`"show -- -h" accepted -h as an ID`)
	}
}

func TestParseRefusals(t *testing.T) {
	cmds, _ := testCommands()
	cases := map[string]string{
		"":                                   "no command",
		"nosuch":                             `unknown command "nosuch"; valid: show, pay, boss`,
		"--json show 1":                      "the command comes first",
		"show":                               "show: missing ID",
		"show 1 2":                           `unexpected argument "2"`,
		"show 0":                             "ID: want a positive whole number",
		"show 9007199254740993":              "ID: want a positive whole number",
		"show 1 --wait 0s":                   "--wait: want a duration from 1s to 20m",
		"show 1 --wait 21m":                  "--wait: want a duration",
		"show 1 --wait 5":                    "--wait: want a duration",
		"show 1 --wait":                      "--wait needs a value (DURATION)",
		"show 1 --when 2026-2-3":             "--when: want a day as YYYY-MM-DD",
		"show 1 --when 2026-02-30":           "--when: want a day",
		"show 1 --when 1999-12-31":           "--when: want a day",
		"show 1 --when 2026-11-25T00:00:00Z": "--when: want a day",
		"show 1 --limit 101":                 "--limit: want a whole number from 1 to 100",
		"show 1 --limit +5":                  "--limit: want a whole number",
		"show 1 --limit 0x10":                "--limit: want a whole number",
		"show 1 --limit ' 5'":                "--limit: want a whole number",
		"show 1 --all=true":                  "--all takes no value",
		"show 1 --all --all":                 "--all given twice",
		"show 1 --nope":                      `unknown flag "--nope"; flags: --when, --wait, --limit, --all, --json, --help`,
		"show 1 -x":                          `unknown flag "-x"`,
		"show 1 --json --json":               "--json given twice",
		"show 1 --json=1":                    "--json takes no value",
		"pay cash 5":                         "KIND: want one of card, btc",
		"pay card -5":                        "CENTS: want a whole number of cents from 1 to 10000",
		"pay card 10001":                     "CENTS: want a whole number",
		"pay card 5.00":                      "CENTS: want a whole number",
		"pay card 99999999999999999999":      "CENTS: want a whole number",
		"boss":                               "boss needs a sub-command: give",
		"boss take":                          `unknown boss sub-command "take"; valid: give`,
		"boss give a@b.co 5":                 "--reason is required",
		"boss give a@b.co 5 --reason":        "--reason needs a value",
		"boss give nobody 5 --reason x":      "EMAIL: enter a valid email address",
		"help nosuch":                        `unknown command "nosuch"`,
		"help show extra":                    "help: show has no sub-commands",
		"help --bogus":                       `help: unknown flag "--bogus"`,
	}
	for line, want := range cases {
		words := strings.Fields(line)
		if strings.Contains(line, "' 5'") {
			words = []string{"show", "1", "--limit", " 5"}
		}
		inv, err := Parse(cmds, words)
		if err == nil || !strings.Contains(err.Error(), want) || inv != nil {
			t.Errorf("Parse(%q) = %v, %v; want an error containing %q", line, inv, err, want)
		}
	}
	if _, err := Parse(cmds, nil); !errors.Is(err, ErrNoCommand) {
		t.Errorf("empty line: %v", err)
	}
	long := make([]string, maxArgs+1)
	for i := range long {
		long[i] = "show"
	}
	if _, err := Parse(cmds, long); err == nil || !strings.Contains(err.Error(), "too many words") {
		t.Errorf("%d words: %v", len(long), err)
	}
	if _, err := Parse(cmds, []string{"show", strings.Repeat("1", maxValueLen+1)}); err == nil {
		t.Error("an over-long word was accepted")
	}
	if _, err := Parse(cmds, []string{"show", "1", "--reason", "\xff"}); err == nil {
		t.Error("invalid UTF-8 was accepted")
	}
}

// Rejected words are repeated quoted and cut short: an escape sequence in
// a command line never reaches the terminal through the error message.
func TestParseErrorsQuoteWhatTheyRepeat(t *testing.T) {
	cmds, _ := testCommands()
	_, err := Parse(cmds, []string{"\x1b]52;c;aGk=\x07" + strings.Repeat("x", 100)})
	if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07") || !strings.Contains(err.Error(), `"\x1b]52;c;aGk=\a`) ||
		!strings.Contains(err.Error(), "…") || len(err.Error()) > 150 {
		t.Fatalf("error: %q", err)
	}
	_, err = Parse(cmds, []string{"nosuch\u202e"})
	if err == nil || strings.Contains(err.Error(), "\u202e") {
		t.Fatalf("bidi override repeated raw: %q", err)
	}
}

func TestCheckRefusesMalformedDefinitions(t *testing.T) {
	nop := func(*Call) error { return nil }
	ex := balanceResult{}
	cases := map[string][]*Command{
		"bad name":            {{Name: "Bad", Summary: "x", Run: nop, Example: ex}},
		"duplicate":           {{Name: "a", Summary: "x", Run: nop, Example: ex}, {Name: "a", Summary: "x", Run: nop, Example: ex}},
		"shadows help":        {{Name: "help", Summary: "x", Run: nop, Example: ex}},
		"no run, no subs":     {{Name: "a", Summary: "x", Example: ex}},
		"run and subs":        {{Name: "a", Summary: "x", Run: nop, Subs: []*Command{{Name: "b", Summary: "x", Run: nop, Example: ex}}}},
		"no summary":          {{Name: "a", Run: nop, Example: ex}},
		"no example":          {{Name: "a", Summary: "x", Run: nop}},
		"parent with params":  {{Name: "a", Summary: "x", Params: []Param{Flag("f", Bool, "")}, Subs: []*Command{{Name: "b", Summary: "x", Run: nop, Example: ex}}}},
		"reserved flag":       {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Flag("json", Bool, "")}}},
		"repeated param":      {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Flag("f", Bool, ""), Flag("f", Bool, "")}}},
		"lower-case argument": {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Arg("id", ID, "")}}},
		"bool argument":       {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Arg("ON", Bool, "")}}},
		"required argument":   {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Arg("ID", ID, "").Required()}}},
		"bad default":         {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Flag("n", Int(1, 5), "").Default("9")}}},
		"required default":    {{Name: "a", Summary: "x", Run: nop, Example: ex, Params: []Param{Flag("n", Int(1, 5), "").Default("2").Required()}}},
		"bad sub":             {{Name: "a", Summary: "x", Subs: []*Command{{Name: "b", Summary: "x", Run: nop}}}},
	}
	for name, cmds := range cases {
		if err := check(cmds, ""); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := check(all(), ""); err != nil {
		t.Fatalf("the real definitions: %v", err)
	}
}

func TestDurationText(t *testing.T) {
	for d, want := range map[time.Duration]string{time.Second: "1s", 2 * time.Minute: "2m", 90 * time.Minute: "1h30m",
		2 * time.Hour: "2h", 1500 * time.Millisecond: "1.5s"} {
		if got := short(d); got != want {
			t.Errorf("short(%v) = %q, want %q", d, got, want)
		}
	}
}
