package crashtest

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

// screenWait bounds one wait for a screen; a killed server ends the
// session at once, so this only matters for a server that hangs.
const screenWait = 15 * time.Second

// reservedPhone finds the number on the Numbers pane once it is reserved.
var reservedPhone = regexp.MustCompile(`(?s)Your Telegram number in [^\n]*United Kingdom.*?(\+\d{8,15})`)

// reserver is a person in the dashboard: reserve a number, now and then
// cancel the newest in Inbox, again; on a lost connection, reconnect.
func (w *world) reserver(p person, rng *rand.Rand) func(context.Context) {
	return func(ctx context.Context) {
		for ctx.Err() == nil {
			dctx, cancel := context.WithTimeout(ctx, screenWait)
			term, err := sshterm.Dial(dctx, sshterm.Options{Addr: w.server.sshAddr, User: "crash",
				Signers: []ssh.Signer{p.key}})
			cancel()
			if err != nil {
				sleep(ctx, 50*time.Millisecond)
				continue
			}
			w.session(ctx, term, p, rng)
			term.Close()
		}
	}
}

// session runs reservations on one connection until it breaks.
func (w *world) session(ctx context.Context, term *sshterm.Term, p person, rng *rand.Rand) {
	if term.WaitFor(screenWait, "choose a service") != nil {
		return
	}
	for ctx.Err() == nil {
		// Half the numbers get their SMS at the first poll; the others
		// never do (unless pushed) and are refunded at the end of their
		// lifetime.
		if rng.IntN(2) == 0 {
			w.up.SetScript(fake.Script{Never: true})
		} else {
			w.up.SetScript(fake.Script{CodeAfterPolls: 0, Text: "Your Telegram code is {code}"})
		}
		phone, err := reserveOnce(term)
		if err != nil {
			return
		}
		w.acks.do(func() { w.acks.reserved[p.id] = append(w.acks.reserved[p.id], phone) })
		if rng.IntN(3) == 0 {
			cancelled, err := cancelNewest(term)
			if err != nil {
				return
			}
			if cancelled {
				w.acks.do(func() { w.acks.cancels[p.id]++ })
			}
			term.Type("1")
			if term.WaitFor(screenWait, "Your Telegram number") != nil {
				return
			}
		}
		term.Press(sshterm.Enter) // another number
		if term.WaitFor(screenWait, "choose a service") != nil {
			return
		}
	}
}

// reserveOnce picks Telegram in the UK and confirms; it returns the number
// the screen shows.
func reserveOnce(term *sshterm.Term) (string, error) {
	term.Type("tele")
	if err := term.WaitFor(screenWait, "Filter"); err != nil {
		return "", err
	}
	term.Press(sshterm.Enter)
	if err := term.WaitFor(screenWait, "choose a country"); err != nil {
		return "", err
	}
	term.Press(sshterm.Enter)
	if err := term.WaitFor(screenWait, "Reserve this number?"); err != nil {
		return "", err
	}
	term.Type("y")
	m, err := term.WaitForMatch(screenWait, reservedPhone)
	if err != nil {
		return "", err
	}
	return m[1], nil
}

// cancelNewest cancels the selected open number in Inbox (the newest when
// the Inbox first loaded; the selection then stays on its number); it
// reports whether the screen said it was cancelled (an SMS may have come
// first, or its lifetime ended).
func cancelNewest(term *sshterm.Term) (bool, error) {
	term.Type("2")
	listed := false
	err := term.WaitUntil(screenWait, "the Inbox list", func(s string) bool {
		listed = strings.Contains(s, "Inbox ·")
		return listed || strings.Contains(s, "No open numbers")
	})
	if err != nil || !listed {
		return false, err
	}
	term.Type("x")
	asked := false
	err = term.WaitUntil(screenWait, "a cancel question or refusal", func(s string) bool {
		asked = strings.Contains(s, "back.")
		return asked || strings.Contains(s, "cannot be cancelled") || strings.Contains(s, "No open numbers")
	})
	if err != nil || !asked {
		return false, err
	}
	term.Type("y")
	// The question stays up while the cancel runs; then comes the outcome.
	if err := term.WaitGone(screenWait, "back."); err != nil {
		return false, err
	}
	return strings.Contains(term.Screen(), "Cancelled +"), nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
