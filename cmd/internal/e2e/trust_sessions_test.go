package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// ended waits for a session to print its goodbye and close.
func ended(t *testing.T, term *sshterm.Term, goodbye string) {
	t.Helper()
	expect(t, term, goodbye)
	if _, err := term.Wait(); err != nil {
		t.Fatalf("session did not end cleanly: %v", err)
	}
}

// alive checks that a session still answers keys: it opens a pane.
func alive(t *testing.T, term *sshterm.Term, title, text string) {
	t.Helper()
	openPane(t, term, title, text)
	if strings.Contains(term.Screen(), "Goodbye") || strings.Contains(term.Screen(), "Sign in again") {
		t.Fatalf("session ended:\n%s", term.Screen())
	}
}

// Someone who learnt the password and signed in with it is thrown out as
// soon as the owner changes the password, from any session; the session
// that changed it and the sessions of linked keys go on.
func TestPasswordChangeEndsTheOtherPasswordSessions(t *testing.T) {
	env := testenv.Start(t)
	_, key := env.NewUser("pw@example.com")

	owner := env.Dial(t, nil) // no key: signs in with the password
	signIn(t, owner, "pw@example.com", testenv.Password)
	onDashboard(t, owner)
	intruder := env.Dial(t, testenv.NewKey(t))
	signIn(t, intruder, "pw@example.com", testenv.Password)
	expect(t, intruder, "Remember this key?")
	intruder.Type("n")
	onDashboard(t, intruder)
	byKey := env.Dial(t, key)
	onDashboard(t, byKey)

	openPane(t, owner, "Account", "SSH keys (1)")
	owner.Type("p")
	expect(t, owner, "Change password")
	owner.Type(testenv.Password)
	owner.Press(sshterm.Tab)
	owner.Type("a fresh secret")
	owner.Press(sshterm.Tab)
	owner.Type("a fresh secret")
	owner.Press(sshterm.Enter)
	expect(t, owner, "Password changed")

	ended(t, intruder, "password was changed in another session")
	alive(t, owner, "History", "History")
	alive(t, byKey, "Account", "SSH keys (1)")
	// Changed from a key session, it ends the password sessions too.
	second := env.Dial(t, nil)
	signIn(t, second, "pw@example.com", "a fresh secret")
	onDashboard(t, second)
	if _, err := env.Store().ChangePassword(context.Background(), mustUser(t, env, "pw@example.com").ID,
		"a fresh secret", "yet another one", originForTest); err != nil {
		t.Fatal(err)
	}
	ended(t, second, "password was changed in another session")
	ended(t, owner, "password was changed in another session")
	alive(t, byKey, "History", "History")
}

// Removing a key ends at once the dashboards it signed in, and the
// commands still waiting with it; the other sessions go on.
func TestRemovingAKeyEndsItsSessions(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	u, key := env.NewUser("keys@example.com")
	env.Credit(u.ID, 500, "g1")
	lost := testenv.NewKey(t)
	if _, err := env.Store().LinkKey(context.Background(), u.ID, store.SpecOf(lost.PublicKey()), "lost laptop",
		originForTest); err != nil {
		t.Fatal(err)
	}
	thief := env.Dial(t, lost)
	onDashboard(t, thief)
	waiting := env.Stream(t, lost, "reserve google --wait 10m")
	if line, err := waiting.Line(); err != nil || !strings.HasPrefix(line, "reserved ") {
		t.Fatalf("reserve: %q %v", line, err)
	}

	owner := env.Dial(t, key)
	openPane(t, owner, "Account", "SSH keys (2)")
	owner.Press(sshterm.Down)
	owner.Type("x")
	expect(t, owner, `Remove key "lost laptop"?`)
	owner.Type("y")
	expect(t, owner, `Key "lost laptop" removed`)

	ended(t, thief, "SSH key this session signed in with was removed")
	_, stderr, status, err := waiting.Wait()
	if err != nil || status != 1 || !strings.Contains(stderr, "no longer linked to the account") {
		t.Fatalf("the waiting command: status %d, stderr %q, %v", status, stderr, err)
	}
	alive(t, owner, "History", "History")
}

// Revoking an admin on the server host, from another process on the same
// database (the tool's store relays its events), ends the admin sessions
// at once; removing one admin key ends only the sessions that used it.
func TestHostRevokeEndsAdminSessions(t *testing.T) {
	env := testenv.Start(t)
	_, first := env.NewAdmin("boss@example.com")
	second := testenv.NewKey(t)
	if _, _, err := env.Store().GrantAdmin(context.Background(), "boss@example.com",
		store.SpecOf(second.PublicKey()), "test"); err != nil {
		t.Fatal(err)
	}
	one, two := env.Dial(t, first), env.Dial(t, second)
	openPane(t, one, "Admin", "All accounts")
	openPane(t, two, "Admin", "All accounts")

	tool, err := service.OpenStore(env.Dir, "", store.Options{Relay: true}) // as `wantsms admin` opens it
	if err != nil {
		t.Fatal(err)
	}
	defer tool.Close()
	fp := store.SpecOf(second.PublicKey()).Fingerprint
	if err := tool.RemoveAdminKey(context.Background(), "boss@example.com", fp, "test"); err != nil {
		t.Fatal(err)
	}
	ended(t, two, "admin powers ended")
	alive(t, one, "Admin", "All accounts")
	if _, err := tool.RevokeAdmin(context.Background(), "boss@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	ended(t, one, "admin powers ended")
	// They come back as the user they still are, without the tab.
	noAdmin(t, env.Dial(t, first))
}

func mustUser(t *testing.T, env *testenv.Env, email string) store.User {
	t.Helper()
	u, err := env.Store().UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
