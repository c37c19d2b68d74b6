package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// An attacker who has an admin's password, and a key of their own: the
// password signs them in, the dashboard lets them link their key ("remember
// this key"), and the next connection with that key lands on the admin's
// account. None of it reaches admin powers: no Admin tab, `admin users`
// and `admin credit` refused, nothing changed. Only a key enrolled on the
// server host carries them.
func TestAdminPowersNeedAKeyEnrolledOnTheHost(t *testing.T) {
	env := testenv.Start(t)
	_, enrolled := env.NewAdmin("boss@example.com")
	bob, _ := env.NewUser("bob@example.com")

	mine := testenv.NewKey(t)
	term := env.Dial(t, mine)
	signIn(t, term, "boss@example.com", testenv.Password)
	expect(t, term, "Remember this key?")
	term.Type("y")
	expect(t, term, "Key linked")
	noAdmin(t, term)
	term.Type("q")

	// The key linked from the dashboard identifies the admin's account…
	again := env.Dial(t, mine)
	noAdmin(t, again)
	openPane(t, again, "Account", "admin powers need a host-enrolled key")

	// …and its commands, but no admin command.
	if out := ok(t, env, mine, "whoami"); !strings.Contains(out, "boss@example.com") {
		t.Fatalf("whoami with the linked key: %q", out)
	}
	before := state(t, env, bob)
	refused(t, env, mine, "admin users", 1, "enrolled for admin use on the server host")
	refused(t, env, mine, "admin credit bob@example.com 1000000 --reason 'mine now'", 1,
		"enrolled for admin use on the server host")
	if after := state(t, env, bob); after != before {
		t.Fatalf("a dashboard-linked key acted as an admin:\n%s\nwas\n%s", after, before)
	}

	// The host-enrolled key works, in commands and in the dashboard.
	if out := ok(t, env, enrolled, "admin users"); !strings.Contains(out, "bob@example.com") {
		t.Fatalf("admin users with the enrolled key: %q", out)
	}
	ok(t, env, enrolled, "admin credit bob@example.com 500 --reason 'goodwill'")
	if u, _ := env.Store().UserByID(context.Background(), bob.ID); u.BalanceCents != 500 {
		t.Fatalf("bob's balance after the admin's credit: %d", u.BalanceCents)
	}
	admin := env.Dial(t, enrolled)
	expect(t, admin, "WantSMS admin")
	openPane(t, admin, "Admin", "All accounts")

	// Enrolling the dashboard-linked key on the host (by its fingerprint)
	// is what makes it an admin key.
	if _, _, err := env.Store().GrantAdmin(context.Background(), "boss@example.com",
		store.KeySpec{Fingerprint: store.SpecOf(mine.PublicKey()).Fingerprint}, "test"); err != nil {
		t.Fatal(err)
	}
	if out := ok(t, env, mine, "admin users"); !strings.Contains(out, "bob@example.com") {
		t.Fatalf("admin users once enrolled: %q", out)
	}
}

// noAdmin fails when the screen shows admin powers.
func noAdmin(t *testing.T, term *sshterm.Term) {
	t.Helper()
	onDashboard(t, term)
	if s := term.Screen(); strings.Contains(s, "Admin") || strings.Contains(s, "WantSMS admin") {
		t.Fatalf("a session without an enrolled key shows admin powers:\n%s", s)
	}
}
