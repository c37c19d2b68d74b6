package e2e

import (
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	fivesimfake "github.com/wantsms/wantsms/provider/fivesim/fake"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

// A clone of SMS-Activate that hands numbers out with a leading '+'
// serves people like any other; one whose number cannot be used (not in
// the country asked for) is refused in clear words, nothing is charged,
// and the activation is cancelled upstream, where it is refunded.
func TestSMSActivateCloneNumbers(t *testing.T) {
	up := fake.New(fake.Options{Balance: "10"})
	defer up.Close()
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(fake.Script{Never: true})
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = up.URL, up.APIKey()
	})
	u, key := env.NewUser("clone@example.com")
	env.Credit(u.ID, 500, "g1")

	up.SetDialect(fake.Dialect{PlusPhone: true})
	r := reserveByCommand(t, env, key, "telegram --country gb")
	if !strings.HasPrefix(r.Phone, "+44") || r.PriceCents != 75 {
		t.Fatalf("reserved %+v", r)
	}
	if state, _, _ := up.Status(onlyOpen(t, env, u.ID).ProviderRef); state != "wait" {
		t.Fatalf("the activation is %q upstream", state)
	}

	up.SetDialect(fake.Dialect{PlusPhone: true, ForeignPhone: true})
	before, spent := env.Balance(u.ID), up.Balance()
	stdout, stderr, status := env.Run(t, key, "reserve telegram --country gb")
	if status == 0 || stdout != "" || !strings.Contains(stderr, "the number providers are not answering") {
		t.Fatalf("unusable number: %d %q %q", status, stdout, stderr)
	}
	last := up.Requests()[len(up.Requests())-1].URL.Query()
	if last.Get("action") != "setStatus" || last.Get("status") != "8" {
		t.Fatalf("the unusable activation was not cancelled; last request %v", last)
	}
	if state, _, _ := up.Status(last.Get("id")); state != "cancel" || up.Balance() != spent {
		t.Fatalf("activation %s is %q upstream, upstream balance %d (was %d)", last.Get("id"), state, up.Balance(), spent)
	}
	if env.Balance(u.ID) != before || len(env.Reservations(u.ID)) != 1 {
		t.Fatal("the refused number was charged or recorded")
	}
}

// 5sim has no "another SMS": the Inbox does not offer it on its numbers,
// and says why when asked anyway.
func TestNoAnotherSMSWhereTheProviderHasNone(t *testing.T) {
	up := fivesimfake.New(fivesimfake.Options{})
	defer up.Close()
	up.SetPrice("england", "telegram", "virtual8", "0.50", 10)
	up.SetScript(fivesimfake.Script{SMSAfterChecks: 0, Text: "Telegram code {code}", Sender: "Telegram"})
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"fivesim"}
		c.Numbers.FiveSimURL, c.Numbers.FiveSimToken = up.BaseURL(), up.Token()
	})
	u, key := env.NewUser("five@example.com")
	env.Credit(u.ID, 500, "g1")
	reserveByCommand(t, env, key, "telegram --country gb")
	term := env.Dial(t, key)
	openPane(t, term, "Inbox", "Inbox · 1 open")
	expect(t, term, "Telegram code")
	if f := footer(term.Screen()); !strings.Contains(f, "f finish") || strings.Contains(f, "another SMS") {
		t.Fatalf("help bar on a received 5sim number: %q", f)
	}
	term.Type("a")
	expect(t, term, "This provider cannot send another SMS on the same number.")
}
