package e2e

import (
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
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
