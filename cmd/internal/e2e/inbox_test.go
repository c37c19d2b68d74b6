package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// stillSim is the simulator on a clock that moves only when the test says
// (started on a whole second: the store keeps times in seconds), whose
// numbers never get an SMS; cancel waits guard.
func stillSim(clock *sim.FakeClock, guard time.Duration) func(*service.Config) {
	return func(c *service.Config) {
		c.Clock, c.Numbers.SimClock = clock.Now, clock
		c.Numbers.Providers, c.Numbers.SimNeverSharePct = []string{"sim"}, 100
		c.Numbers.Lifetime, c.Numbers.CancelGuard = 20*time.Minute, guard
	}
}

// stillSimNow is stillSim from now, without a guard.
func stillSimNow() func(*service.Config) {
	return stillSim(sim.NewFakeClock(time.Now().Truncate(time.Second)), 0)
}

// reserveByCommand reserves a number from a script's connection.
func reserveByCommand(t *testing.T, env *testenv.Env, key ssh.Signer, service string) resJSON {
	t.Helper()
	evs, stderr, status := stream(t, env, key, "reserve "+service+" --json")
	if status != 0 || kinds(evs) != "reserved" {
		t.Fatalf("reserve %s: %d %s %q", service, status, kinds(evs), stderr)
	}
	return evs[0].resJSON
}

// footer is the screen's last line: the help bar.
func footer(screen string) string {
	lines := strings.Split(strings.TrimRight(screen, "\n "), "\n")
	return lines[len(lines)-1]
}

// A question is bound to the number it was asked about: a number
// reserved meanwhile from another connection neither moves the cursor nor
// takes over the question, and y cancels the number the person chose.
func TestInboxQuestionStaysOnItsNumber(t *testing.T) {
	env := testenv.Start(t, stillSimNow())
	u, key := env.NewUser("chooser@example.com")
	env.Credit(u.ID, 1000, "g1")
	chosen := reserveByCommand(t, env, key, "telegram")
	term := env.Dial(t, key)
	openPane(t, term, "Inbox", "Inbox · 1 open")
	term.Type("x")
	question := "Cancel " + chosen.Phone + "? You get " + tuiCents(chosen.PriceCents) + " back."
	expect(t, term, question)

	other := reserveByCommand(t, env, key, "whatsapp")
	expect(t, term, "Inbox · 2 open")
	screen := term.Screen()
	if !strings.Contains(screen, question) || !strings.Contains(screen, "▸ "+chosen.Phone) ||
		strings.Contains(screen, "▸ "+other.Phone) {
		t.Fatalf("the question or the cursor moved to the new number %s:\n%s", other.Phone, screen)
	}
	term.Type("y")
	expect(t, term, "Cancelled "+chosen.Phone+": "+tuiCents(chosen.PriceCents)+" refunded.")
	open := env.Reservations(u.ID)
	if len(open) != 1 || open[0].ID != other.ID || open[0].State != store.ResActive {
		t.Fatalf("open after the cancel: %+v; want only %d", open, other.ID)
	}
	if got, want := env.Balance(u.ID), 1000-other.PriceCents; got != want {
		t.Fatalf("balance %d, want %d: only the chosen number is refunded", got, want)
	}
	expect(t, term, "▸ "+other.Phone) // the one left is selected now
}

// Within the early-cancel guard, x says when cancel becomes possible
// instead of asking; the help bar offers cancel only once the guard has
// passed, and changes by itself when it does, the refusal going with it.
func TestInboxCancelGuardSaysWhen(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, stillSim(clock, 2*time.Minute))
	u, key := env.NewUser("patient@example.com")
	env.Credit(u.ID, 1000, "g1")
	r := reserveByCommand(t, env, key, "telegram")
	term := env.Dial(t, key)
	openPane(t, term, "Inbox", "Can be cancelled in 2 min.") // minutes until its last 30 s
	if f := footer(term.Screen()); !strings.Contains(f, "n copy number") || strings.Contains(f, "cancel") {
		t.Fatalf("help bar during the guard: %q", f)
	}
	term.Type("x")
	refusal := "A number can be cancelled 2 min after it was reserved: try again in 2 min."
	expect(t, term, refusal)
	expect(t, term, "Can be cancelled in 2:00.") // to the second while refused
	if screen := term.Screen(); strings.Contains(screen, "You get") {
		t.Fatalf("asked to cancel during the guard:\n%s", screen)
	}

	clock.Advance(90 * time.Second)
	expect(t, term, "try again in 30 s.") // it counts down, no key pressed
	expect(t, term, "Can be cancelled in 0:30.")
	clock.Advance(30 * time.Second)
	if err := term.WaitUntil(testenv.Wait, "the help bar to offer cancel", func(screen string) bool {
		return strings.Contains(footer(screen), "x cancel number") && !strings.Contains(screen, "try again") &&
			!strings.Contains(screen, "Can be cancelled")
	}); err != nil {
		t.Fatal(err)
	}
	term.Type("x")
	expect(t, term, "Cancel "+r.Phone+"? You get "+tuiCents(r.PriceCents)+" back.")
	term.Type("y")
	expect(t, term, "Cancelled "+r.Phone)
	if got := env.Balance(u.ID); got != 1000 {
		t.Fatalf("balance %d after the cancel", got)
	}
}

// A question closes, saying why, when its number ends elsewhere (a
// script, another session) before the person answers.
func TestInboxQuestionClosesWhenItsNumberEnds(t *testing.T) {
	env := testenv.Start(t, stillSimNow())
	u, key := env.NewUser("stale@example.com")
	env.Credit(u.ID, 1000, "g1")
	r := reserveByCommand(t, env, key, "telegram")
	term := env.Dial(t, key)
	openPane(t, term, "Inbox", "Inbox · 1 open")
	term.Type("x")
	expect(t, term, "You get")
	// The number ends elsewhere while the question is open.
	if _, _, status := env.Run(t, key, fmt.Sprintf("cancel %d", r.ID)); status != 0 {
		t.Fatalf("cancel by command: %d", status)
	}
	expect(t, term, r.Phone+" ended meanwhile: nothing was done.")
	if screen := term.Screen(); strings.Contains(screen, "You get") {
		t.Fatalf("the question outlived its number:\n%s", screen)
	}
	term.Press(sshterm.Down) // any key clears it
	if err := term.WaitGone(testenv.Wait, "ended meanwhile"); err != nil {
		t.Fatal(err)
	}
}
