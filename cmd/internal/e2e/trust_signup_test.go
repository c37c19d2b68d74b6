package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// A sign-up with the email of an account is a sign-in attempt on it: the
// right password lets its owner in, a wrong one is refused and shows in
// the owner's Sign-in activity. Sign-ups from one address are throttled,
// whatever their outcome, before any password is hashed.
func TestSignUpWithATakenEmailAndTheThrottle(t *testing.T) {
	clock := testenv.NewClock(time.Now()) // frozen: the throttle's delays do not pass
	env := testenv.Start(t, func(c *service.Config) { c.Clock = clock.Now })
	_, key := env.NewUser("taken@example.com")

	forgot := env.Dial(t, nil)
	signUp(t, forgot, "taken@example.com", testenv.Password)
	expect(t, forgot, "You had an account with this email already")
	onDashboard(t, forgot)

	guess := env.Dial(t, nil)
	signUp(t, guess, "taken@example.com", "a guessed password")
	expect(t, guess, "cannot create an account with this email: if it is yours, sign in")

	owner := env.Dial(t, key)
	openPane(t, owner, "Account", "SSH keys (1)")
	owner.Press(sshterm.Right)
	expect(t, owner, "sign-up, wrong password")

	// Two attempts so far from this address; three more sign-ups pass,
	// the next is refused before anything is created.
	for i := range 3 {
		term := env.Dial(t, nil)
		signUp(t, term, fmt.Sprintf("new%d@example.com", i), testenv.Password)
		onDashboard(t, term)
	}
	late := env.Dial(t, nil)
	signUp(t, late, "late@example.com", testenv.Password)
	expect(t, late, "too many attempts")
	if _, err := env.Store().UserByEmail(t.Context(), "late@example.com"); err == nil {
		t.Fatal("a throttled sign-up created an account")
	}
}

// Someone at a signed-in dashboard cannot guess the password through the
// confirmations (delete, change email, change password) faster than at
// the sign-in screen, and the guesses show in the owner's activity.
func TestPasswordConfirmationsGoThroughTheThrottle(t *testing.T) {
	clock := testenv.NewClock(time.Now())
	env := testenv.Start(t, func(c *service.Config) { c.Clock = clock.Now })
	_, key := env.NewUser("held@example.com")
	term := env.Dial(t, key)
	openPane(t, term, "Account", "SSH keys (1)")
	term.Press(sshterm.Left) // Privacy & data
	term.Type("D")
	expect(t, term, "Delete your account")
	u := mustUser(t, env, "held@example.com")
	failures := func() int {
		evs, _ := env.Store().SecurityEvents(t.Context(), u.ID, 50)
		n := 0
		for _, e := range evs {
			if e.Kind == store.SecuritySigninFailed && e.Detail == "to delete the account" {
				n++
			}
		}
		return n
	}
	for i := range 5 {
		if err := refusedOnce(term, fmt.Sprintf("guess number %d", i), "the current password is wrong"); err != nil {
			t.Fatal(err)
		}
		eventually(t, func() bool { return failures() == i+1 })
		expect(t, term, "the current password is wrong")
	}
	term.Type(testenv.Password) // right, but too soon
	term.Press(sshterm.Enter)
	expect(t, term, "too many attempts")
	if _, err := env.Store().UserByEmail(t.Context(), "held@example.com"); err != nil {
		t.Fatalf("the account is gone: %v", err)
	}
	term.Press(sshterm.Esc)
	expect(t, term, "D delete account")
	term.Press(sshterm.Left, sshterm.Left, sshterm.Left, sshterm.Left) // Webhooks, API keys, Mail, Sign-in activity
	expect(t, term, "wrong password: delete")
	expect(t, term, "refused: too many tries")
}
