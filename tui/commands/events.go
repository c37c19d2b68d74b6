package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Streams (reserve, wait, again) print events: with --json one object
// per line, the number's fields with "event" first.
const (
	evReserved = "reserved" // reserve: the number is yours
	evAgain    = "again"    // again: another SMS was asked for
	evSMS      = "sms"      // an SMS arrived: "code" holds the newest code
	evEnd      = "end"      // the number ended before an SMS came
)

type eventJSON struct {
	Event string `json:"event"`
	reservationJSON
}

func event(kind string, r store.Reservation) eventJSON {
	return eventJSON{Event: kind, reservationJSON: reservationOf(r)}
}

// WriteText writes the event on a line or two.
func (e eventJSON) WriteText(w io.Writer) error {
	var err error
	switch e.Event {
	case evReserved:
		sim := ""
		if e.Simulated {
			sim = " (simulated)"
		}
		from := ""
		if e.Operator != "" {
			from = " from " + wording.Operator(e.Operator)
		}
		_, err = fmt.Fprintf(w, "reserved %d: %s, %s in %s%s, %s%s; open until %s\n", e.ID, e.Phone.String(),
			wording.Service(e.Service), wording.Country(e.Country), from, store.FormatCents(e.PriceCents), sim,
			e.ExpiresAt.String())
	case evAgain:
		_, err = fmt.Fprintf(w, "asked for another SMS on %d (%s)\n", e.ID, e.Phone.String())
	case evSMS:
		if n := len(e.Messages); n > 0 {
			err = e.Messages[n-1].writeLine(w)
		}
		if err == nil && e.Code != "" {
			_, err = fmt.Fprintf(w, "code %s\n", e.Code.String())
		}
	case evEnd:
		_, err = fmt.Fprintf(w, "reservation %d ended: %s\n", e.ID, e.stateText())
	}
	return err
}

// errLiveEnded: the store's live updates stopped (the server is closing).
var errLiveEnded = errors.New("live updates ended")

// awaitSMS waits, without polling, for the number to hold more than seen
// messages (it prints the "sms" event and returns nil), to end first (the
// "end" event, then ExitNoSMS), or for limit to pass (ExitWaitedOut; 0
// waits as long as the number lives). It listens to the account's live
// events as the dashboard does, reading the number again on each change.
func awaitSMS(c *Call, id int64, seen int, limit time.Duration) error {
	sub := c.Deps.Store.Hub().Subscribe(c.User.ID)
	defer sub.Close()
	timeout, stop := waitLimit(limit)
	defer stop()
	for {
		// The key this call was identified by may be unlinked meanwhile:
		// the wait ends with it, as a dashboard signed in with it does.
		if err := stillLinked(c); err != nil {
			return err
		}
		// Read after subscribing: a change from now on is an event.
		r, err := c.Deps.Store.UserReservation(c.Ctx, c.User.ID, id)
		if err != nil {
			return reservationErr(id, err)
		}
		switch {
		case len(r.Messages) > seen:
			return c.Print(event(evSMS, r))
		case !r.State.Open():
			if err := c.Print(event(evEnd, r)); err != nil {
				return err
			}
			return endedErr(r, seen)
		}
		if err := nextChange(c.Ctx, sub, func(e store.Event) bool { return e.ConcernsReservation(id) }, timeout); errors.Is(err, errWaitedOut) {
			return Exit(ExitWaitedOut, "no SMS on %d within %s; it stays open until %s (%s gives the credits "+
				"back if none comes)", id, short(limit), Timestamp(r.ExpiresAt), c.Deps.SSHWith("", fmt.Sprintf("cancel %d", id)))
		} else if err != nil {
			return err
		}
	}
}

var errWaitedOut = errors.New("waited out")

// waitLimit is a wait's timeout: a channel that fires after limit, or
// never when limit is 0; stop releases its timer.
func waitLimit(limit time.Duration) (<-chan time.Time, func()) {
	if limit <= 0 {
		return nil, func() {}
	}
	t := time.NewTimer(limit)
	return t.C, func() { t.Stop() }
}

// nextChange returns at the next event that concerns the wait (or when
// events were missed), when timeout fires (errWaitedOut) or ctx ends.
func nextChange(ctx context.Context, sub *store.Subscription, concerns func(store.Event) bool, timeout <-chan time.Time) error {
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				return errLiveEnded
			}
			if sub.Missed() || concerns(ev) {
				return nil
			}
		case <-timeout:
			return errWaitedOut
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// stillLinked ends a call whose key is no longer linked to its account,
// or that a password reset ended with every session of the account.
func stillLinked(c *Call) error {
	lapse, err := c.Deps.Store.CheckStanding(c.Ctx, store.Standing{UserID: c.User.ID, Key: c.Key.Fingerprint,
		Epoch: c.User.SessionEpoch})
	switch {
	case err != nil:
		return err
	case lapse == store.LapseAccountGone:
		return Exit(ExitUsage, "the account was deleted: the wait ends here")
	case lapse == store.LapseSessionsEnded:
		return Exit(ExitUsage, "a password reset ended every session of the account: the wait ends here")
	case lapse != store.StandingHolds:
		return Exit(ExitUsage, "this SSH key (%s) is no longer linked to the account: the wait ends here",
			c.Key.Fingerprint)
	}
	return nil
}

// endedErr is ExitNoSMS with what became of the number.
func endedErr(r store.Reservation, seen int) error {
	what := "without an SMS"
	if seen > 0 {
		what = "without another SMS"
	}
	if r.Refunded {
		return Exit(ExitNoSMS, "reservation %d ended %s (%s): %s refunded", r.ID, what, r.State,
			store.FormatCents(r.PriceCents))
	}
	return Exit(ExitNoSMS, "reservation %d ended %s (%s)", r.ID, what, r.State)
}
