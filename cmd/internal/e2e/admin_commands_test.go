package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// state is what admin commands could change: every balance, role, ledger
// row and audit row.
func state(t *testing.T, env *testenv.Env, users ...store.User) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	for _, u := range users {
		cur, err := env.Store().UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := env.Store().Ledger(ctx, u.ID, 1000)
		fmt.Fprintf(&b, "%s %s %d ledger=%d\n", cur.Email, cur.Role, cur.BalanceCents, len(rows))
	}
	audit, err := env.Store().AuditLog(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "audit=%d\n", len(audit))
	return b.String()
}

// Every admin sub-command is refused to an account that is not an admin,
// with status 1, and nothing changes; an admin revoked from the server host
// loses the commands at once.
func TestAdminCommandsGated(t *testing.T) {
	env := testenv.Start(t)
	admin, adminKey := env.NewAdmin("boss@example.com")
	plain, plainKey := env.NewUser("plain@example.com")
	bob, _ := env.NewUser("bob@example.com")
	lines := []string{
		"admin users",
		"admin users --search bob --json",
		"admin credit bob@example.com 500 --reason 'goodwill'",
		"admin credit plain@example.com 500 --reason 'self-service' --json",
		"admin credit nobody@example.com 500 --reason 'probe'", // says nothing about who exists
		"admin ban bob@example.com --reason 'no reason'",
		"admin unban bob@example.com --reason 'no reason'",
	}
	before := state(t, env, admin, plain, bob)
	for _, line := range lines {
		refused(t, env, plainKey, line, 1, "this needs an admin account")
	}
	if after := state(t, env, admin, plain, bob); after != before {
		t.Fatalf("a non-admin changed data:\n%s\nwas\n%s", after, before)
	}

	ok(t, env, adminKey, "admin credit bob@example.com 100 --reason 'before revoke'")
	if _, err := env.Store().RevokeAdmin(context.Background(), "boss@example.com", "test"); err != nil {
		t.Fatal(err) // what `wantsms admin revoke boss@example.com` does
	}
	before = state(t, env, admin, plain, bob)
	for _, line := range lines {
		refused(t, env, adminKey, line, 1, "this needs an admin account")
	}
	if after := state(t, env, admin, plain, bob); after != before {
		t.Fatalf("a revoked admin changed data:\n%s\nwas\n%s", after, before)
	}
}

type creditJSON struct {
	Email        string `json:"email"`
	AmountCents  int64  `json:"amount_cents"`
	BalanceCents int64  `json:"balance_cents"`
	Reference    string `json:"reference"`
	AuditID      int64  `json:"audit_id"`
}

func TestAdminCredit(t *testing.T) {
	env := testenv.Start(t)
	admin, adminKey := env.NewAdmin("boss@example.com")
	bob, bobKey := env.NewUser("bob@example.com")
	env.Credit(bob.ID, 1000, "bob-1")
	dash := env.Dial(t, bobKey) // bob watches his dashboard
	expect(t, dash, "$10.00")

	out := ok(t, env, adminKey, "admin credit Bob@Example.com 500 --reason 'refund, ticket 7'")
	if !strings.HasPrefix(out, "credited $5.00 to bob@example.com: balance $15.00 (audit #") {
		t.Fatalf("admin credit: %q", out)
	}
	expect(t, dash, "$15.00") // live, through the hub

	var got creditJSON
	okJSON(t, env, adminKey, "admin credit bob@example.com 250 --reason=again --json", &got)
	if got.Email != "bob@example.com" || got.AmountCents != 250 || got.BalanceCents != 1750 ||
		got.Reference != fmt.Sprintf("audit:%d", got.AuditID) {
		t.Fatalf("admin credit --json: %+v", got)
	}
	ctx := context.Background()
	rows, _ := env.Store().Ledger(ctx, bob.ID, 10)
	if len(rows) != 3 || rows[0].Kind != store.LedgerAdjust || rows[0].Reference != got.Reference ||
		rows[0].Note != "again" || rows[1].Note != "refund, ticket 7" {
		t.Fatalf("ledger: %+v", rows)
	}
	audit, _ := env.Store().AuditLog(ctx, 10)
	if len(audit) != 2 || audit[0].ID != got.AuditID || audit[0].ActorID != admin.ID ||
		audit[0].Action != store.AuditCredit || audit[0].TargetUserID != bob.ID || audit[0].Reason != "again" ||
		!strings.HasPrefix(audit[0].RemoteAddr, "127.0.0.1:") {
		t.Fatalf("audit: %+v", audit)
	}
	if rep, err := env.Store().Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}

	// A refusal by a rule is status 2 and changes nothing.
	before := state(t, env, admin, bob)
	refused(t, env, adminKey, "admin credit nobody@example.com 5 --reason x", 2, "no such account")
	if after := state(t, env, admin, bob); after != before {
		t.Fatalf("a refused credit changed data:\n%s\nwas\n%s", after, before)
	}
}

type usersJSON struct {
	Users []struct {
		ID           int64   `json:"id"`
		Email        string  `json:"email"`
		Role         string  `json:"role"`
		BalanceCents int64   `json:"balance_cents"`
		CreatedAt    *string `json:"created_at"`
		Banned       bool    `json:"banned"`
		BanReason    string  `json:"ban_reason"`
	} `json:"users"`
	More bool `json:"more"`
}

func TestAdminUsers(t *testing.T) {
	env := testenv.Start(t)
	admin, adminKey := env.NewAdmin("boss@example.com")
	ann, _ := env.NewUser("ann@shop.example")
	env.Credit(ann.ID, 300, "ann-1")
	env.NewUser("bob@shop.example")
	evil, _ := env.NewUser("evil@evil.example")
	env.ExecSQL(t, `UPDATE users SET email = ? WHERE id = ?`, "a\u202eb\u009b31mc@evil.example", evil.ID)

	out := ok(t, env, adminKey, "admin users --search SHOP")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "ann@shop.example") ||
		!strings.Contains(lines[1], "$3.00") || !strings.Contains(lines[2], "bob@shop.example") {
		t.Fatalf("admin users --search SHOP:\n%s", out)
	}
	var got usersJSON
	okJSON(t, env, adminKey, "admin users --json --limit 2", &got)
	if len(got.Users) != 2 || !got.More || got.Users[0].ID != admin.ID || got.Users[0].Role != "admin" ||
		got.Users[1].Email != "ann@shop.example" || got.Users[1].BalanceCents != 300 || got.Users[1].CreatedAt == nil {
		t.Fatalf("admin users --json --limit 2: %+v", got)
	}
	okJSON(t, env, adminKey, "admin users --search evil --json", &got)
	if len(got.Users) != 1 || got.Users[0].Email != "abc@evil.example" || got.More {
		t.Fatalf("hostile email not sanitized: %+v", got)
	}
	if out := ok(t, env, adminKey, "admin users --search nobody"); out != "no accounts match\n" {
		t.Fatalf("empty search: %q", out)
	}
	// Every look at the accounts is in the audit trail, with its search.
	audit, _ := env.Store().AuditLog(context.Background(), 10)
	if len(audit) != 4 || audit[0].Action != store.AuditUserSearch || audit[0].Target != "nobody" ||
		audit[3].Target != "shop" || audit[0].ActorID != admin.ID {
		t.Fatalf("audit: %+v", audit)
	}
}

// An admin suspends an account from the command line: the person is told
// the reason when reserving; unban lifts it. Both are audited.
func TestAdminBanAndUnban(t *testing.T) {
	env := testenv.Start(t)
	_, adminKey := env.NewAdmin("boss@example.com")
	bob, bobKey := env.NewUser("bob@example.com")
	env.Credit(bob.ID, 500, "ban-test")
	var res struct {
		Email     string  `json:"email"`
		UserID    int64   `json:"user_id"`
		Banned    bool    `json:"banned"`
		BanReason *string `json:"ban_reason"`
	}
	if stderr, status := env.RunJSON(t, adminKey, "admin ban bob@example.com --reason 'chargebacks' --json", &res); status != 0 ||
		!res.Banned || res.BanReason == nil || *res.BanReason != "chargebacks" || res.UserID != bob.ID {
		t.Fatalf("ban: %d %q %+v", status, stderr, res)
	}
	refused(t, env, bobKey, "reserve telegram", 2, "chargebacks")
	refused(t, env, adminKey, "admin ban bob@example.com --reason 'again'", 2, "already")
	if stderr, status := env.RunJSON(t, adminKey, "admin unban bob@example.com --reason 'paid back' --json", &res); status != 0 ||
		res.Banned || res.BanReason != nil {
		t.Fatalf("unban: %d %q %+v", status, stderr, res)
	}
	rows, err := env.Store().AuditLog(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range rows {
		if r.TargetUserID == bob.ID {
			actions = append(actions, string(r.Action))
		}
	}
	if strings.Join(actions, ",") != "unban,ban" {
		t.Fatalf("audit rows about bob: %v", actions)
	}
}
