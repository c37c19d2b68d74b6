package multi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopPostgres()
	os.Exit(code)
}

// simSecret signs the SMS pushed to /webhooks/provider/sim, as an
// upstream's secret would.
const simSecret = "multi-secret"

// twoInstances starts two services on one new PostgreSQL database. Their
// simulators never send an SMS by themselves: SMS come as webhooks.
func twoInstances(t *testing.T) (a, b *testenv.Env) {
	t.Helper()
	url := testenv.PostgresURL(t)
	opts := []func(*service.Config){testenv.OnDatabase(url), testenv.SimNumbers(time.Hour, true, time.Hour),
		func(c *service.Config) { c.Numbers.SimWebhookSecret = simSecret }}
	return testenv.Start(t, opts...), testenv.Start(t, opts...)
}

func expect(t *testing.T, term *sshterm.Term, text string) {
	t.Helper()
	testenv.Expect(t, term, text)
}

// A dashboard on A shows, without a key press, the credits given through
// B (a grant, as `wantsms credit` makes) and through a tool that opens
// the database while both serve.
func TestInstancesShowACreditLive(t *testing.T) {
	a, b := twoInstances(t)
	u, key := a.NewUser("bob@example.com")
	term := a.Dial(t, key)
	expect(t, term, "$0.00")

	b.Credit(u.ID, 500, "grant-on-b")
	expect(t, term, "$5.00")

	tool, err := service.OpenStore(t.TempDir(), b.Store().Path(), store.Options{Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	if _, err := tool.Move(context.Background(), store.Movement{UserID: u.ID, AmountCents: 250,
		Kind: store.LedgerGrant, Reference: "cli-1", Note: "goodwill"}); err != nil {
		t.Fatal(err)
	}
	expect(t, term, "$7.50")
}

// An SMS pushed to B's webhook for a number reserved on A shows on A's
// dashboard by itself.
func TestInstancesShowAnSMSPushedToTheOther(t *testing.T) {
	a, b := twoInstances(t)
	u, key := a.NewUser("bob@example.com")
	a.Credit(u.ID, 500, "g1")
	term := a.Dial(t, key)
	expect(t, term, "choose a service")
	term.Type("tele")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "Telegram · choose a country")
	term.Press(sshterm.Enter)
	expect(t, term, "Reserve this number?")
	term.Type("y")
	expect(t, term, "Your Telegram number")
	open := b.Reservations(u.ID)
	if len(open) != 1 {
		t.Fatalf("%d open reservations, want 1", len(open))
	}

	pushSMS(t, b, open[0].ProviderRef, "Your Telegram code is 424242")
	expect(t, term, "424 242") // the code, grouped as the dashboard shows codes
}

// pushSMS posts a signed SMS for activation ref to env's webhook, as the
// simulated upstream would.
func pushSMS(t *testing.T, env *testenv.Env, ref, text string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"activationId": ref, "service": "tg", "text": text,
		"receivedAt": time.Now().UTC().Format(time.DateTime)})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.URL("/webhooks/provider/sim"), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(provider.WebhookSignatureHeader, provider.SignWebhook([]byte(simSecret), body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %s", res.Status)
	}
}

// An admin on A switches the only provider off: B stops selling its
// numbers without a restart, and sells them again once it is back on.
func TestInstancesFollowAProviderSwitchedOff(t *testing.T) {
	a, b := twoInstances(t)
	_, bossKey := a.NewAdmin("boss@example.com")
	_, key := a.NewUser("bob@example.com")
	if n := services(t, b, key); n == 0 {
		t.Fatal("B sells nothing to start with")
	}

	boss := a.Dial(t, bossKey)
	expect(t, boss, "8 Admin")
	boss.Type("8")
	expect(t, boss, "All accounts")
	for range 3 { // Users → Providers
		boss.Press(sshterm.Right)
	}
	toggleSim(t, boss, "on", "off")
	waitServices(t, b, key, false)
	toggleSim(t, boss, "off", "on")
	waitServices(t, b, key, true)
}

// toggleSim switches the sim provider in the Admin pane's Providers
// section from was to to, confirming.
func toggleSim(t *testing.T, boss *sshterm.Term, was, to string) {
	t.Helper()
	waitMatch(t, boss, `▸ sim +`+was+` `)
	boss.Type("e")
	expect(t, boss, "(y/n)")
	boss.Type("y")
	expect(t, boss, "sim is "+to)
	waitMatch(t, boss, `▸ sim +`+to+` `)
}

func waitMatch(t *testing.T, term *sshterm.Term, re string) {
	t.Helper()
	if _, err := term.WaitForMatch(testenv.Wait, regexp.MustCompile(re)); err != nil {
		t.Fatal(err)
	}
}

// services counts the services env sells, as `ssh … services` lists them.
func services(t *testing.T, env *testenv.Env, key ssh.Signer) int {
	t.Helper()
	var out struct {
		Services []struct{ Code string } `json:"services"`
	}
	stdout, stderr, status := env.Run(t, key, "services --json")
	if status != 0 {
		t.Fatalf("services: %d %s", status, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("services: %v in %q", err, stdout)
	}
	return len(out.Services)
}

// waitServices waits until env sells something (want) or nothing.
func waitServices(t *testing.T, env *testenv.Env, key ssh.Signer, want bool) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for (services(t, env, key) > 0) != want {
		if time.Now().After(deadline) {
			t.Fatalf("B still sells %s", map[bool]string{true: "nothing", false: "numbers"}[want])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Each instance says on its own /metrics which leases it holds and
// whether it hears the others: of two, exactly one runs each job, and
// both listen. When the holder stops, the other takes its leases.
func TestInstancesSayWhichJobsTheyRun(t *testing.T) {
	a, b := twoInstances(t)
	held := func(env *testenv.Env, lease string) int64 {
		return gauge(t, env, "wantsms_lease_held", "lease", lease)
	}
	leases := []string{store.LeaseNumbers, store.LeasePurge, store.LeasePayments}
	eventually(t, "each lease held by exactly one instance", func() bool {
		for _, l := range leases {
			if held(a, l)+held(b, l) != 1 {
				return false
			}
		}
		return true
	})
	for _, env := range []*testenv.Env{a, b} {
		if gauge(t, env, "wantsms_events_listener_up") != 1 {
			t.Fatal("an instance does not hear the other's events")
		}
	}
	holder, other := a, b
	if held(b, store.LeaseNumbers) == 1 {
		holder, other = b, a
	}
	holder.Stop()
	eventually(t, "the other instance takes every lease", func() bool {
		for _, l := range leases {
			if held(other, l) != 1 {
				return false
			}
		}
		return true
	})
}

// gauge reads one sample of an instance's /metrics.
func gauge(t *testing.T, env *testenv.Env, name string, labels ...string) int64 {
	t.Helper()
	res, err := http.Get(env.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	fams, err := metrics.Parse(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := fams[name].Value(labels...)
	if !ok {
		t.Fatalf("no %s%v in /metrics", name, labels)
	}
	return v
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", testenv.Wait, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
