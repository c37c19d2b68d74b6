package e2e

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store/metrics"
)

// scrape reads /metrics and parses it back.
func scrape(t *testing.T, env *testenv.Env) map[string]metrics.Family {
	t.Helper()
	res, err := http.Get(env.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != metrics.ContentType {
		t.Fatalf("/metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	body, _ := io.ReadAll(res.Body)
	fams, err := metrics.Parse(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

func value(t *testing.T, fams map[string]metrics.Family, name string, labels ...string) int64 {
	t.Helper()
	v, ok := fams[name].Value(labels...)
	if !ok {
		t.Fatalf("no %s%v in /metrics", name, labels)
	}
	return v
}

// Two accounts, one granted admin, over SSH: the admin suspends the other,
// whose reservation and top-up are then refused with the reason; the
// other writes to support and the admin's answer shows as unread in their
// tab without a key press; the admin force-cancels their number and the
// refund lands. /metrics counts it all.
func TestAdminRunsTheBusinessOverSSH(t *testing.T) {
	env := testenv.StartWithPayments(t, testenv.SimNumbers(time.Hour, true, time.Hour))
	_, bossKey := env.NewAdmin("boss@example.com")
	bob, bobKey := env.NewUser("bob@example.com")
	env.Credit(bob.ID, 500, "g-bob")

	user := env.Dial(t, bobKey)
	expect(t, user, "$5.00")
	reserve(t, user, "tele", "Telegram")
	r := onlyOpen(t, env.Env, bob.ID)
	paid := env.Balance(bob.ID)
	if strings.Contains(user.Screen(), "Admin") {
		t.Fatalf("a customer sees an Admin tab:\n%s", user.Screen())
	}

	boss := env.Dial(t, bossKey)
	expect(t, boss, "WantSMS admin")
	openPane(t, boss, "Admin", "All accounts")
	expect(t, boss, "bob@example.com")
	boss.Press(sshterm.Down, sshterm.Enter)
	expect(t, boss, "joined")
	boss.Type("b")
	expect(t, boss, "Reason")
	boss.Type("chargeback on order 7")
	boss.Press(sshterm.Enter)
	expect(t, boss, "suspended: chargeback on order 7")

	// Bob is told why, when reserving and when topping up; he can still
	// read his numbers.
	user.Press(sshterm.Esc)
	expect(t, user, "choose a service")
	user.Press(sshterm.Enter)
	expect(t, user, "choose a country")
	user.Press(sshterm.Enter)
	expect(t, user, "Reserve this number?")
	user.Type("y")
	expect(t, user, "suspended (chargeback on order 7): contact support")
	user.Type("n")
	expect(t, user, "choose a country")
	openPane(t, user, "Wallet", "top-ups are closed")
	user.Press(sshterm.Enter)
	expect(t, user, "suspended (chargeback on order 7)")
	if got := env.Balance(bob.ID); got != paid || len(env.Reservations(bob.ID)) != 1 {
		t.Fatalf("a suspended account moved money: balance %d, %d open", got, len(env.Reservations(bob.ID)))
	}
	openPane(t, user, "Inbox", r.Phone)

	// Support, both ways, live.
	openPane(t, user, "Support", "Press w")
	user.Type("w")
	expect(t, user, "send")
	user.Type("Why am I suspended?")
	user.Press(sshterm.Enter)
	expect(t, user, "Sent.")
	openPane(t, user, "Inbox", r.Phone) // away from Support: a reply is unread
	boss.Press(sshterm.Esc)
	expect(t, boss, "All accounts")
	for range 5 { // Users → Support
		boss.Press(sshterm.Right)
	}
	expect(t, boss, "WAITS")
	boss.Press(sshterm.Enter)
	expect(t, boss, "Why am I suspended?")
	boss.Type("w")
	expect(t, boss, "new line")
	boss.Type("Your bank reported a chargeback; write back once it is resolved.")
	boss.Press(sshterm.Enter)
	expect(t, boss, "Answer sent")
	expect(t, user, "Support (1)")

	// Force-cancel with a refund, from the live list of open numbers.
	boss.Press(sshterm.Esc)
	expect(t, boss, "Support inbox")
	for range 3 { // Support → Numbers
		boss.Press(sshterm.Left)
	}
	expect(t, boss, "Open numbers  1")
	expect(t, boss, r.Phone)
	boss.Type("x")
	expect(t, boss, "Force-cancel "+r.Phone)
	boss.Type("refund while suspended")
	boss.Press(sshterm.Enter)
	expect(t, boss, "refunded to #")
	expect(t, user, "No open numbers") // gone from the Inbox, refunded in the header:
	expect(t, user, "$5.00")
	if got := env.Balance(bob.ID); got != 500 {
		t.Fatalf("balance %d after the force-cancel, want 500", got)
	}
	checkLedgerOf(t, env.Env)

	ctx := context.Background()
	log, _ := env.Store().AuditLog(ctx, 20)
	var actions []string
	for _, a := range log {
		actions = append(actions, string(a.Action))
	}
	if got := strings.Join(actions, " "); got != "reservation.cancel support.reply ban users.view users.search" {
		t.Fatalf("audit trail: %s", got)
	}
	fams := scrape(t, env.Env)
	for _, c := range []struct {
		name   string
		labels []string
		want   int64
	}{
		{"wantsms_ssh_sessions_open", nil, 2},
		{"wantsms_signins_total", []string{"method", "key"}, 2},
		{"wantsms_reservations_created_total", nil, 1},
		{"wantsms_refunds_total", nil, 1},
		{"wantsms_reservations", []string{"state", "cancelled"}, 1},
		{"wantsms_reservations", []string{"state", "active"}, 0},
		{"wantsms_provider_enabled", []string{"provider", "sim"}, 1},
		{"wantsms_database_up", nil, 1},
	} {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %d, want %d", c.name, c.labels, got, c.want)
		}
	}
}

func checkLedgerOf(t *testing.T, env *testenv.Env) {
	t.Helper()
	rep, err := env.Store().Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

// An admin who signs in with a password (with a key that is not linked,
// or none) gets no admin powers; one revoked on the host loses the tab in
// the next session.
func TestAdminNeedsALinkedKeyAndTheRole(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewAdmin("boss@example.com")

	other := env.Dial(t, testenv.NewKey(t))
	signIn(t, other, "boss@example.com", testenv.Password)
	expect(t, other, "Remember this key?")
	other.Type("n")
	onDashboard(t, other)
	keyless := env.Dial(t, nil)
	signIn(t, keyless, "boss@example.com", testenv.Password)
	onDashboard(t, keyless)
	for _, term := range []*sshterm.Term{other, keyless} {
		if s := term.Screen(); strings.Contains(s, "Admin") || strings.Contains(s, "WantSMS admin") {
			t.Fatalf("a password session shows admin powers:\n%s", s)
		}
	}

	byKey := env.Dial(t, key)
	openPane(t, byKey, "Admin", "All accounts")
	byKey.Type("q")
	if _, err := env.Store().RevokeAdmin(context.Background(), "boss@example.com", "test"); err != nil {
		t.Fatal(err) // what `wantsms admin revoke` does
	}
	again := env.Dial(t, key)
	onDashboard(t, again)
	if s := again.Screen(); strings.Contains(s, "Admin") {
		t.Fatalf("a revoked admin still has the tab:\n%s", s)
	}
}
