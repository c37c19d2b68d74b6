package e2e

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// ok runs a command that must succeed with nothing on stderr.
func ok(t *testing.T, env *testenv.Env, key ssh.Signer, command string) string {
	t.Helper()
	stdout, stderr, status := env.Run(t, key, command)
	if status != 0 || stderr != "" {
		t.Fatalf("%q: status %d, stderr %q, stdout %q", command, status, stderr, stdout)
	}
	return stdout
}

// okJSON runs a command with --json that must succeed, decoding strictly.
func okJSON(t *testing.T, env *testenv.Env, key ssh.Signer, command string, v any) {
	t.Helper()
	stderr, status := env.RunJSON(t, key, command, v)
	if status != 0 || stderr != "" {
		t.Fatalf("%q: status %d, stderr %q", command, status, stderr)
	}
}

// refused runs a command that must fail with status, nothing on stdout and
// a message on stderr containing want.
func refused(t *testing.T, env *testenv.Env, key ssh.Signer, command string, status int, want string) {
	t.Helper()
	stdout, stderr, got := env.Run(t, key, command)
	if got != status || stdout != "" || !strings.Contains(stderr, want) || strings.ContainsAny(stderr, "\x1b\a") {
		t.Fatalf("%q: status %d (want %d), stdout %q, stderr %q (want %q)", command, got, status, stdout, stderr, want)
	}
}

func TestCommandBalance(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("bal@example.com")
	if out := ok(t, env, key, "balance"); out != "$0.00\n" {
		t.Fatalf("balance: %q", out)
	}
	env.Credit(u.ID, 1250, "bal-1")
	if out := ok(t, env, key, "balance"); out != "$12.50\n" {
		t.Fatalf("balance after credit: %q", out)
	}
	var got struct {
		BalanceCents int64  `json:"balance_cents"`
		DebtCents    int64  `json:"debt_cents"`
		Currency     string `json:"currency"`
	}
	okJSON(t, env, key, "balance --json", &got)
	if got.BalanceCents != 1250 || got.Currency != "USD" {
		t.Fatalf("balance --json: %+v", got)
	}
}

type whoamiJSON struct {
	Email        string `json:"email"`
	Role         string `json:"role"`
	BalanceCents int64  `json:"balance_cents"`
	Banned       bool   `json:"banned"`
	BanReason    string `json:"ban_reason"`
	Key          struct {
		Fingerprint string `json:"fingerprint"`
		Name        string `json:"name"`
	} `json:"key"`
}

func TestCommandWhoami(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("who@example.com")
	env.Credit(u.ID, 42, "who-1")
	fp := ssh.FingerprintSHA256(key.PublicKey())
	out := ok(t, env, key, "whoami")
	for _, want := range []string{"who@example.com", "user", "$0.42", fp + " (test key)"} {
		if !strings.Contains(out, want) {
			t.Errorf("whoami lacks %q:\n%s", want, out)
		}
	}
	var got whoamiJSON
	okJSON(t, env, key, "whoami --json", &got)
	if got.Email != "who@example.com" || got.Role != "user" || got.BalanceCents != 42 || got.Banned ||
		got.Key.Fingerprint != fp || got.Key.Name != "test key" {
		t.Fatalf("whoami --json: %+v", got)
	}
	// The role is read afresh for each command.
	if _, _, err := env.Store().GrantAdmin(context.Background(), "who@example.com", store.SpecOf(key.PublicKey()),
		"test"); err != nil {
		t.Fatal(err)
	}
	okJSON(t, env, key, "whoami --json", &got)
	if got.Role != "admin" {
		t.Fatalf("role after grant: %q", got.Role)
	}
}

type keysJSON struct {
	Keys []struct {
		ID           int64   `json:"id"`
		Name         string  `json:"name"`
		Fingerprint  string  `json:"fingerprint"`
		PublicKey    string  `json:"public_key"`
		AddedAt      string  `json:"added_at"`
		LastUsedAt   *string `json:"last_used_at"`
		Current      bool    `json:"current"`
		Admin        bool    `json:"admin"`
		Pending      bool    `json:"pending"`
		PendingUntil *string `json:"pending_until"`
	} `json:"keys"`
}

func TestCommandKeys(t *testing.T) {
	env := testenv.Start(t)
	u, first := env.NewUser("keys@example.com")
	second := testenv.NewKey(t)
	if _, err := env.Store().LinkKey(context.Background(), u.ID, store.SpecOf(second.PublicKey()), "desktop",
		store.Origin{}); err != nil {
		t.Fatal(err)
	}
	env.NewUser("other@example.com") // another account's key must not show
	var got keysJSON
	okJSON(t, env, second, "keys --json", &got)
	if len(got.Keys) != 2 {
		t.Fatalf("keys: %+v", got)
	}
	a, b := got.Keys[0], got.Keys[1]
	if a.Name != "test key" || a.Current || a.LastUsedAt != nil ||
		a.Fingerprint != ssh.FingerprintSHA256(first.PublicKey()) ||
		a.PublicKey != strings.TrimSpace(string(ssh.MarshalAuthorizedKey(first.PublicKey()))) {
		t.Errorf("first key: %+v", a)
	}
	if b.Name != "desktop" || !b.Current || b.LastUsedAt == nil || !strings.HasSuffix(b.AddedAt, "Z") {
		t.Errorf("second key (this session): %+v", b)
	}
	out := ok(t, env, first, "keys")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "test key") || !strings.Contains(lines[1], "this session") ||
		strings.Contains(lines[2], "this session") || !strings.Contains(lines[3], "2 of at most 20 keys") {
		t.Fatalf("keys:\n%s", out)
	}
}

// The account comes only from the key the session proved: no key, an
// unknown key, the victim's email as user name, or the victim's key offered
// but not proved all get status 1 and nothing of the victim's.
func TestCommandsIdentityOnlyFromProvenKey(t *testing.T) {
	env := testenv.Start(t)
	victim, victimKey := env.NewUser("victim@example.com")
	env.Credit(victim.ID, 777, "victim-1")
	attacker := testenv.NewKey(t)
	refused(t, env, nil, "balance", 1, "need an SSH key linked to your account")
	refused(t, env, attacker, "balance", 1, "is not linked to an account")

	o := env.Options(attacker)
	o.User = "victim@example.com"
	if stdout, stderr, status := env.RunWith(t, o, "whoami"); status != 1 || stdout != "" ||
		!strings.Contains(stderr, ssh.FingerprintSHA256(attacker.PublicKey())) {
		t.Fatalf("user name as identity: status %d stdout %q stderr %q", status, stdout, stderr)
	}

	calls := 0
	offer := sshterm.Options{Addr: env.Svc.SSHAddr(), User: "victim@example.com",
		AuthMethods: []ssh.AuthMethod{ssh.PublicKeys(queryOnlySigner{shown: victimKey.PublicKey()})},
		AuthCallback: func(ctx *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
			calls++
			switch {
			case calls == 1:
				return nil, nil
			case calls == 2 && slices.Contains(ctx.TriedMethods, "publickey"):
				return ssh.PublicKeys(attacker), nil
			}
			return nil, errors.New("no more methods")
		}}
	stdout, stderr, status := env.RunWith(t, offer, "balance --json")
	if status != 1 || stdout != "" || strings.Contains(stdout+stderr, "777") {
		t.Fatalf("offered the victim's key: status %d stdout %q stderr %q", status, stdout, stderr)
	}
	// The victim's own key still works.
	if out := ok(t, env, victimKey, "balance"); out != "$7.77\n" {
		t.Fatalf("victim's balance: %q", out)
	}
}

// A bad command line gets status 1 and a message, and never reaches the
// store: not even the key's sign-in is recorded.
func TestCommandLineErrorsNeverReachTheStore(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("strict@example.com")
	ctx := context.Background()
	before, err := env.Store().SecurityEvents(ctx, u.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ line, want string }{
		{"nosuch", `unknown command "nosuch"; valid: balance, services, countries, prices, operators, favourite, reserve, `},
		{"balance extra", `balance: unexpected argument "extra"`},
		{"balance --bogus", `unknown flag "--bogus"`},
		{"balance --json --json", "--json given twice"},
		{"balance --json=yes", "--json takes no value"},
		{"--json balance", "the command comes first"},
		{"admin", "admin needs a sub-command: users, credit"},
		{"admin nosuch", `unknown admin sub-command "nosuch"`},
		{"admin credit bob@example.com 500", "--reason is required"},
		{"admin credit bob@example.com --reason x", "missing CENTS"},
		{"admin credit bob@example.com 0 --reason x", "CENTS: want a whole number of cents from 1 to 1000000"},
		{"admin credit bob@example.com -5 --reason x", "CENTS: want a whole number"},
		{"admin credit bob@example.com 1e3 --reason x", "CENTS: want a whole number"},
		{"admin credit bob@example.com 1000001 --reason x", "CENTS: want a whole number"},
		{"admin credit nobody 5 --reason x", "EMAIL: enter a valid email address"},
		{"admin credit bob@example.com 5 --reason ' '", "--reason: a reason is 1 to 200 printable characters"},
		{"admin credit bob@example.com 5 --reason", "--reason needs a value (TEXT)"},
		{"admin credit bob@example.com 5 --reason a --reason b", "--reason given twice"},
		{"admin users --limit 0", "--limit: want a whole number from 1 to 500"},
		{"admin users --limit=x", "--limit: want a whole number"},
		{"admin users extra", `unexpected argument "extra"`},
		{"help nosuch", `unknown command "nosuch"`},
		// Rejected words are repeated quoted: escapes never reach the terminal.
		{"balance '\x1b]52;c;aGk=\x07'", `unexpected argument "\x1b]52;c;aGk=\a"`},
	}
	for _, c := range cases {
		refused(t, env, key, c.line, 1, c.want)
	}
	after, _ := env.Store().SecurityEvents(ctx, u.ID, 1000)
	if len(after) != len(before) {
		t.Fatalf("invalid command lines reached the store: %d security events, was %d", len(after), len(before))
	}
	// A usage error of a runnable command shows its usage line.
	_, stderr, _ := env.Run(t, key, "admin credit bob@example.com 500")
	if !strings.Contains(stderr, "usage: admin credit EMAIL CENTS --reason TEXT [--json]") {
		t.Fatalf("no usage line:\n%s", stderr)
	}
}

type helpJSON struct {
	Commands []struct {
		Name      string `json:"name"`
		Usage     string `json:"usage"`
		Summary   string `json:"summary"`
		Help      string `json:"help"`
		AdminOnly bool   `json:"admin_only"`
		Stream    bool   `json:"stream"`
		Args      []struct {
			Name     string  `json:"name"`
			Type     string  `json:"type"`
			Help     string  `json:"help"`
			Accepts  string  `json:"accepts"`
			Required bool    `json:"required"`
			Default  *string `json:"default"`
		} `json:"args"`
		Flags []struct {
			Name     string  `json:"name"`
			Type     string  `json:"type"`
			Help     string  `json:"help"`
			Accepts  string  `json:"accepts"`
			Required bool    `json:"required"`
			Default  *string `json:"default"`
		} `json:"flags"`
		Example map[string]any `json:"example"`
	} `json:"commands"`
}

// Help needs no account (it is the README's reference, which is public)
// and is generated from the definitions.
func TestCommandHelp(t *testing.T) {
	env := testenv.Start(t)
	stranger := testenv.NewKey(t)
	for _, key := range []ssh.Signer{nil, stranger} {
		out := ok(t, env, key, "help")
		for _, want := range []string{"balance", "whoami", "keys", "help [COMMAND [SUB-COMMAND]]",
			"Admin accounts only:", "admin users [--search TEXT] [--limit N]", "admin credit EMAIL CENTS --reason TEXT",
			"3  waited out"} {
			if !strings.Contains(out, want) {
				t.Errorf("help lacks %q:\n%s", want, out)
			}
		}
	}
	if a, b := ok(t, env, nil, "--help"), ok(t, env, nil, "help"); a != b {
		t.Errorf("--help and help differ")
	}
	detail := ok(t, env, nil, "admin credit --help")
	if detail != ok(t, env, nil, "help admin credit") || detail != ok(t, env, nil, "admin credit x y -h") {
		t.Error("the three ways to ask for a command's help differ")
	}
	for _, want := range []string{"usage: admin credit EMAIL CENTS --reason TEXT [--json]", "Admin accounts only.",
		"CENTS", "a whole number of cents from 1 to 1000000", "--reason TEXT", "(required)", `"audit_id": 12`} {
		if !strings.Contains(detail, want) {
			t.Errorf("admin credit --help lacks %q:\n%s", want, detail)
		}
	}
	var all helpJSON
	okJSON(t, env, nil, "help --json", &all)
	var names []string
	for _, c := range all.Commands {
		names = append(names, c.Name)
	}
	// In the order of the definitions, the account's commands, help, then
	// the admin ones (others may be added between them).
	want := []string{"balance", "services", "reserve", "wait", "topup", "orders", "whoami", "keys", "privacy",
		"export", "help", "admin users", "admin credit", "admin delete"}
	if i := slices.Index(names, "help"); !isSubsequence(want, names) || i < 0 || strings.HasPrefix(names[i-1], "admin") {
		t.Fatalf("help --json lists %v", names)
	}
	var one helpJSON
	okJSON(t, env, nil, "admin users --help --json", &one)
	c := one.Commands[0]
	if len(one.Commands) != 1 || !c.AdminOnly || len(c.Flags) != 2 || c.Flags[1].Name != "limit" ||
		c.Flags[1].Default == nil || *c.Flags[1].Default != "50" || c.Example["users"] == nil {
		t.Fatalf("admin users --help --json: %+v", one)
	}
	var admin helpJSON
	okJSON(t, env, nil, "help admin --json", &admin)
	var adminNames []string
	for _, c := range admin.Commands {
		if !c.AdminOnly {
			t.Errorf("%s listed under admin without the gate", c.Name)
		}
		adminNames = append(adminNames, c.Name)
	}
	if !isSubsequence([]string{"admin users", "admin credit", "admin ban", "admin unban", "admin delete"}, adminNames) {
		t.Fatalf("help admin lists %v", adminNames)
	}
}

// Text from outside is sanitized in text and JSON output alike. Sign-up
// and the store's rules keep hostile characters out of emails and key
// names, so the rows are planted as older or buggier code could have
// written them: a bidi override, a C1 escape sequence (removed whole), an
// OSC 52 clipboard write.
func TestCommandsSanitizeUntrustedText(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("plain@example.com")
	env.ExecSQL(t, `UPDATE users SET email = ?, banned_at = 1, ban_reason = ? WHERE id = ?`,
		"a\u202eb\u009b31mc@example.com", "spam\x1b]52;c;aGk=\x07 \u202erot", u.ID)
	env.ExecSQL(t, `UPDATE ssh_keys SET name = ? WHERE user_id = ?`, "lap\x1b[2Jtop", u.ID)
	for _, line := range []string{"whoami", "whoami --json", "keys", "keys --json"} {
		out := ok(t, env, key, line)
		if strings.ContainsAny(out, "\u202e\u009b\x1b\x07") || strings.Contains(out, `\u00`) {
			t.Errorf("%s not sanitized: %q", line, out)
		}
	}
	var got whoamiJSON
	okJSON(t, env, key, "whoami --json", &got)
	if got.Email != "abc@example.com" || got.BanReason != "spam rot" || got.Key.Name != "laptop" || !got.Banned {
		t.Fatalf("whoami --json: %+v", got)
	}
}

// isSubsequence reports whether want appears in list in order, maybe with
// other items between.
func isSubsequence(want, list []string) bool {
	i := 0
	for _, x := range list {
		if i < len(want) && x == want[i] {
			i++
		}
	}
	return i == len(want)
}
