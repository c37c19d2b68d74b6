package commands

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

// fixture is a real store with one account whose key is linked.
type fixture struct {
	st   *store.Store
	user store.User
	key  store.KeySpec
	log  bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(testdb.Path(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st}
	ctx := context.Background()
	if f.user, err = st.CreateUser(ctx, "me@example.com", "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	f.key = newKeySpec(t)
	if _, err := st.LinkKey(ctx, f.user.ID, f.key, "k", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func newKeySpec(t *testing.T) store.KeySpec {
	t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	pk, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return store.SpecOf(pk)
}

func (f *fixture) handler(t *testing.T, cmds []*Command) *Handler {
	t.Helper()
	h, err := newHandler(Deps{Store: f.st, Log: slog.New(slog.NewTextHandler(&f.log, nil))}, cmds)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *fixture) run(ctx context.Context, h *Handler, line string) (stdout, stderr string, status int) {
	var out, errOut bytes.Buffer
	status = h.Run(ctx, Request{Args: strings.Fields(line), Key: &f.key, SessionID: "0123456789abcdef-session",
		Stdout: &out, Stderr: &errOut, Origin: store.Origin{RemoteAddr: "192.0.2.1:22"}})
	return out.String(), errOut.String(), status
}

type lineResult struct {
	N int `json:"n"`
}

func (r lineResult) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, "line\n")
	return err
}

// Each way a command can end maps to its exit status and message.
func TestOutcomes(t *testing.T) {
	f := newFixture(t)
	ex := lineResult{}
	cmd := func(name string, run func(*Call) error) *Command {
		return &Command{Name: name, Summary: name, Run: run, Example: ex}
	}
	cmds := []*Command{
		cmd("fine", func(c *Call) error { return c.Print(lineResult{N: 1}) }),
		cmd("refuse", func(*Call) error { return store.ErrInsufficientFunds }),
		cmd("waited", func(*Call) error { return Exit(ExitWaitedOut, "no SMS within 2m; reservation 5 is still open") }),
		cmd("nosms", func(*Call) error { return Exit(ExitNoSMS, "reservation 5 ended without SMS; refunded") }),
		cmd("notadmin", func(*Call) error { return fmtWrap(store.ErrNotAdmin) }),
		cmd("broken", func(*Call) error { return errors.New("disk on fire: secret detail") }),
		cmd("panics", func(*Call) error { panic("boom") }),
		cmd("twice", func(c *Call) error { c.Print(lineResult{}); return c.Print(lineResult{}) }),
		cmd("silent", func(*Call) error { return nil }),
		{Name: "stream", Summary: "s", Stream: true, Example: ex, Run: func(c *Call) error {
			for i := range 3 {
				if err := c.Print(lineResult{N: i}); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	h := f.handler(t, cmds)
	ctx := context.Background()
	cases := []struct {
		line, stdout, stderr string
		status               int
	}{
		{"fine", "line\n", "", ExitOK},
		{"fine --json", `{"n":1}` + "\n", "", ExitOK},
		{"refuse", "", "wantsms: not enough credits\n", ExitRefused},
		{"waited", "", "wantsms: no SMS within 2m; reservation 5 is still open\n", ExitWaitedOut},
		{"nosms", "", "wantsms: reservation 5 ended without SMS; refunded\n", ExitNoSMS},
		{"notadmin", "", "wantsms: this needs an admin account\n", ExitUsage},
		{"broken", "", "wantsms: " + serverErrorMsg + " (session 0123456789ab)\n", ExitServer},
		{"panics", "", "wantsms: " + serverErrorMsg + " (session 0123456789ab)\n", ExitServer},
		{"twice --json", "{\"n\":0}\n", "wantsms: " + serverErrorMsg + " (session 0123456789ab)\n", ExitServer},
		{"silent", "", "wantsms: " + serverErrorMsg + " (session 0123456789ab)\n", ExitServer},
		{"stream --json", "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n", "", ExitOK},
		{"stream", "line\nline\nline\n", "", ExitOK},
	}
	for _, c := range cases {
		stdout, stderr, status := f.run(ctx, h, c.line)
		if stdout != c.stdout || stderr != c.stderr || status != c.status {
			t.Errorf("%q: status %d stdout %q stderr %q; want %d %q %q", c.line, status, stdout, stderr,
				c.status, c.stdout, c.stderr)
		}
	}
	for _, want := range []string{"disk on fire: secret detail", "panic in command panics: boom",
		"printed no result", "printed a second result"} {
		if !strings.Contains(f.log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("credit"), err) }

// A command cut by the server (shutdown, maximum session length) ends
// with status 5 and the server's reason, and a session that arrives while
// the server closes is refused at the door the same way.
func TestCancelledCommandTellsWhy(t *testing.T) {
	f := newFixture(t)
	started := make(chan struct{})
	h := f.handler(t, []*Command{{Name: "wait", Summary: "w", Example: lineResult{}, Stream: true,
		Run: func(c *Call) error {
			close(started)
			<-c.Ctx.Done()
			return c.Ctx.Err()
		}}})
	ctx, cancel := context.WithCancelCause(context.Background())
	go func() {
		<-started
		cancel(errors.New("The WantSMS server is restarting. Please reconnect in a minute."))
	}()
	stdout, stderr, status := f.run(ctx, h, "wait")
	if status != ExitServer || stdout != "" || stderr != "wantsms: The WantSMS server is restarting. Please reconnect in a minute.\n" {
		t.Fatalf("cut command: %d %q %q", status, stdout, stderr)
	}
	before, _ := f.st.SecurityEvents(context.Background(), f.user.ID, 100)
	if _, stderr, status := f.run(ctx, h, "wait"); status != ExitServer || !strings.Contains(stderr, "restarting") {
		t.Fatalf("refused at the door: %d %q", status, stderr)
	}
	if after, _ := f.st.SecurityEvents(context.Background(), f.user.ID, 100); len(after) != len(before) {
		t.Fatal("a session refused at the door signed in")
	}
}

// The gate sits on the admin parent: a sub-command added later is gated
// without a line of its own, for users and revoked admins alike.
func TestAdminGateCoversSubCommandsAddedLater(t *testing.T) {
	f := newFixture(t)
	ran := 0
	cmds := all()
	admin := find(cmds, "admin")
	admin.Subs = append(admin.Subs, &Command{Name: "later", Summary: "added later", Example: lineResult{},
		Run: func(c *Call) error { ran++; return c.Print(lineResult{}) }})
	h := f.handler(t, cmds)
	ctx := context.Background()
	if _, stderr, status := f.run(ctx, h, "admin later"); status != ExitUsage || ran != 0 ||
		stderr != "wantsms: admin later: this needs an admin account\n" {
		t.Fatalf("user: %d %q ran=%d", status, stderr, ran)
	}
	if _, err := f.st.MarkEmailVerified(ctx, "me@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.GrantAdmin(ctx, "me@example.com", f.key, "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, status := f.run(ctx, h, "admin later"); status != ExitOK || ran != 1 {
		t.Fatalf("admin: %d ran=%d", status, ran)
	}
	if _, err := f.st.RevokeAdmin(ctx, "me@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	if _, _, status := f.run(ctx, h, "admin later"); status != ExitUsage || ran != 1 {
		t.Fatalf("revoked: %d ran=%d", status, ran)
	}
	// Help is the public reference: it needs no role, runs nothing.
	if stdout, _, status := f.run(ctx, h, "admin later --help"); status != ExitOK || ran != 1 ||
		!strings.Contains(stdout, "usage: admin later [--json]") {
		t.Fatalf("help: %d %q", status, stdout)
	}
}

// Every result printed with --json is one line of valid JSON whose keys
// are those of the example in the definitions (the documented shape).
func TestExamplesMatchPrintedShapes(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, all())
	ctx := context.Background()
	for _, line := range []string{"balance", "whoami", "keys"} {
		stdout, stderr, status := f.run(ctx, h, line+" --json")
		if status != ExitOK || stderr != "" || strings.Count(stdout, "\n") != 1 {
			t.Fatalf("%s: %d %q %q", line, status, stdout, stderr)
		}
		inv, _ := Parse(h.cmds, []string{line})
		want, _ := json.Marshal(inv.Command().Example)
		if a, b := keysOf(t, []byte(stdout)), keysOf(t, want); a != b {
			t.Errorf("%s prints keys %s, its example documents %s", line, a, b)
		}
	}
}

// keysOf lists a JSON document's object keys, depth first.
func keysOf(t *testing.T, doc []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out = append(out, prefix+k)
				walk(prefix+k+".", e)
			}
		case []any:
			if len(x) > 0 {
				walk(prefix+"[].", x[0])
			}
		}
	}
	walk("", v)
	slices.Sort(out)
	return strings.Join(out, ",")
}
