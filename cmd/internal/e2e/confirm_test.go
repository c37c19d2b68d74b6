package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// Every question of the dashboard is bound to what it was asked about: a
// list changed meanwhile by another session never turns "yes" into an
// action on another row. (The Inbox's own tests are in inbox_test.go.)

// Removing a key: another session removes a key above the one chosen,
// which shifts the rows; y still removes the chosen key and no other.
func TestAccountKeyRemovalStaysOnItsKey(t *testing.T) {
	env := testenv.Start(t)
	u, key := env.NewUser("keys@example.com")
	ctx := context.Background()
	for _, name := range []string{"alpha", "bravo", "charlie"} {
		if _, err := env.Store().LinkKey(ctx, u.ID, store.SpecOf(testenv.NewKey(t).PublicKey()), name,
			store.Origin{}); err != nil {
			t.Fatal(err)
		}
	}
	term := env.Dial(t, key)
	openPane(t, term, "Account", "SSH keys (4)")
	term.Press(sshterm.Down, sshterm.Down) // test key, alpha, ▸ bravo
	expect(t, term, "▸ bravo")
	term.Type("x")
	expect(t, term, `Remove key "bravo"?`)

	other := env.Dial(t, key)
	openPane(t, other, "Account", "SSH keys (4)")
	other.Press(sshterm.Down)
	expect(t, other, "▸ alpha")
	other.Type("x")
	expect(t, other, `Remove key "alpha"?`)
	other.Type("y")
	expect(t, other, `Key "alpha" removed`)

	expect(t, term, "SSH keys (3)")
	if screen := term.Screen(); !strings.Contains(screen, `Remove key "bravo"?`) || !strings.Contains(screen, "▸ bravo") {
		t.Fatalf("the question or the cursor left bravo:\n%s", screen)
	}
	term.Type("y")
	expect(t, term, `Key "bravo" removed`)
	keys, err := env.Store().Keys(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	if got := strings.Join(names, ","); got != "test key,charlie" {
		t.Fatalf("keys left: %s; want test key,charlie", got)
	}
}

// Force-cancel: a number reserved meanwhile by someone else comes first
// in the live list; the reason typed still cancels the number chosen.
func TestAdminForceCancelStaysOnItsNumber(t *testing.T) {
	env := testenv.Start(t, stillSimNow())
	_, bossKey := env.NewAdmin("boss@example.com")
	bob, bobKey := env.NewUser("bob@example.com")
	carol, carolKey := env.NewUser("carol@example.com")
	env.Credit(bob.ID, 500, "g-bob")
	env.Credit(carol.ID, 500, "g-carol")
	chosen := reserveByCommand(t, env, bobKey, "telegram")

	boss := env.Dial(t, bossKey)
	openPane(t, boss, "Admin", "All accounts")
	boss.Press(sshterm.Right, sshterm.Right) // Users → Orders → Numbers
	expect(t, boss, "Open numbers  1")
	boss.Type("x")
	expect(t, boss, "Force-cancel "+chosen.Phone)
	boss.Type("duplicate charge")

	other := reserveByCommand(t, env, carolKey, "whatsapp")
	expect(t, boss, "Open numbers  2")
	if screen := boss.Screen(); !strings.Contains(screen, "Force-cancel "+chosen.Phone) {
		t.Fatalf("the force-cancel moved off %s:\n%s", chosen.Phone, screen)
	}
	boss.Press(sshterm.Enter)
	expect(t, boss, "Number "+chosen.Phone+" cancelled")
	if open := env.Reservations(carol.ID); len(open) != 1 || open[0].ID != other.ID {
		t.Fatalf("carol's number after the force-cancel: %+v", open)
	}
	if got := env.Balance(bob.ID); got != 500 || len(env.Reservations(bob.ID)) != 0 {
		t.Fatalf("bob: balance %d, %d open; want his number refunded", got, len(env.Reservations(bob.ID)))
	}
}
