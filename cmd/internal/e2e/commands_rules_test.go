package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

// The same rule refuses the same way in the dashboard and in a command:
// one test per rule, each comparing the words a person reads.

// sameOnScreen waits until the dashboard shows the refusal a command
// printed, word for word (wrapped to the pane's width; most panes start
// it with a capital).
func sameOnScreen(t *testing.T, term *sshterm.Term, stderr string) {
	t.Helper()
	msg := strings.TrimSuffix(strings.TrimPrefix(stderr, "wantsms: "), "\n")
	if msg == "" || strings.Contains(msg, "\n") {
		t.Fatalf("not one refusal: %q", stderr)
	}
	want := strings.Join(strings.Fields(msg), " ")
	capital := strings.ToUpper(want[:1]) + want[1:]
	if err := term.WaitUntil(testenv.Wait, want, func(screen string) bool {
		words := strings.Join(strings.Fields(screen), " ")
		return strings.Contains(words, want) || strings.Contains(words, capital)
	}); err != nil {
		t.Fatal(err)
	}
}

// toConfirm drives the Numbers pane to the confirmation of the cheapest
// Telegram number: the offer `reserve telegram` takes.
func toConfirm(t *testing.T, term *sshterm.Term) {
	t.Helper()
	expect(t, term, "choose a service")
	term.Type("tele")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "Telegram · choose a country")
	term.Press(sshterm.Enter)
	expect(t, term, "Reserve this number?")
}

func TestSameRefusalNoBalance(t *testing.T) {
	env := testenv.Start(t, frozenSim)
	u, key := env.NewUser("poor@example.com")
	env.Credit(u.ID, 3, "g1")
	stdout, stderr, status := env.Run(t, key, "reserve telegram")
	if status != 2 || stdout != "" ||
		!strings.HasPrefix(stderr, "wantsms: not enough credits: this number costs $") ||
		!strings.HasSuffix(stderr, " and your balance is $0.03\n") {
		t.Fatalf("command: %d %q %q", status, stdout, stderr)
	}
	term := env.Dial(t, key)
	toConfirm(t, term)
	sameOnScreen(t, term, stderr)
	if len(env.Reservations(u.ID)) != 0 || env.Balance(u.ID) != 3 {
		t.Fatal("something was reserved or debited")
	}
}

func TestSameRefusalTooEarlyToCancel(t *testing.T) {
	env := testenv.Start(t, frozenSim, func(c *service.Config) { c.Numbers.CancelGuard = 2 * time.Minute })
	u, key := env.NewUser("hasty@example.com")
	env.Credit(u.ID, 500, "g1")
	evs, _, status := stream(t, env, key, "reserve telegram --json")
	if status != 0 || kinds(evs) != "reserved" {
		t.Fatalf("reserve: %d %s", status, kinds(evs))
	}
	stdout, stderr, status := env.Run(t, key, fmt.Sprintf("cancel %d", evs[0].ID))
	if status != 2 || stdout != "" ||
		stderr != "wantsms: a number can be cancelled 2 min after it was reserved: try again in 2 min\n" {
		t.Fatalf("command: %d %q %q", status, stdout, stderr)
	}
	term := env.Dial(t, key)
	openPane(t, term, "Inbox", "Inbox · 1 open")
	term.Type("x") // refused before it asks
	sameOnScreen(t, term, stderr)
	if r := onlyOpen(t, env, u.ID); r.ID != evs[0].ID || env.Balance(u.ID) != 500-r.PriceCents {
		t.Fatal("the number was let go")
	}
}

func TestSameRefusalOpenLimit(t *testing.T) {
	env := testenv.Start(t, frozenSim, func(c *service.Config) { c.Numbers.MaxOpen = 1 })
	u, key := env.NewUser("greedy@example.com")
	env.Credit(u.ID, 500, "g1")
	ok(t, env, key, "reserve whatsapp")
	before := env.Balance(u.ID)
	stdout, stderr, status := env.Run(t, key, "reserve telegram")
	if status != 2 || stdout != "" || !strings.HasPrefix(stderr, "wantsms: you already have an open number") {
		t.Fatalf("command: %d %q %q", status, stdout, stderr)
	}
	term := env.Dial(t, key)
	toConfirm(t, term)
	term.Type("y")
	sameOnScreen(t, term, stderr)
	if len(env.Reservations(u.ID)) != 1 || env.Balance(u.ID) != before {
		t.Fatal("a number beyond the limit")
	}
}

// A suspended account may neither reserve nor top up, and is told why in
// the same words both ways.
func TestSameRefusalBanned(t *testing.T) {
	t.Parallel()
	env := testenv.StartWithPayments(t, frozenSim)
	u, key := env.NewUser("mallory@example.com")
	env.Credit(u.ID, 500, "g1")
	env.Ban(t, u.ID, "chargeback")
	want := "wantsms: your account is suspended (chargeback): contact support\n"
	for _, line := range []string{"reserve telegram", "topup card 10", "topup btc 10 --json"} {
		if stdout, stderr, status := env.Run(t, key, line); status != 2 || stdout != "" || stderr != want {
			t.Fatalf("%s: %d %q %q", line, status, stdout, stderr)
		}
	}
	term := env.Dial(t, key)
	toConfirm(t, term)
	term.Type("y")
	sameOnScreen(t, term, want)
	openPane(t, term, "Wallet", "top-ups are closed")
	term.Press(sshterm.Enter)
	sameOnScreen(t, term, want)
	if len(env.Reservations(u.ID)) != 0 || env.Balance(u.ID) != 500 {
		t.Fatal("a suspended account reserved")
	}
	if orders, _ := env.Store().Orders(t.Context(), u.ID, 10); len(orders) != 0 {
		t.Fatalf("a suspended account opened %d orders", len(orders))
	}
}
