package commands

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wantsms/wantsms/store"
)

// rentalEventJSON is an event of wait R7: "sms" or "end", with the rental.
type rentalEventJSON struct {
	Event string `json:"event"`
	rentalJSON
}

func (e rentalEventJSON) WriteText(w io.Writer) error {
	if e.Event == evEnd {
		_, err := fmt.Fprintf(w, "rental %s ended: %s\n", e.Ref, e.stateText())
		return err
	}
	if n := len(e.Messages); n > 0 {
		if err := e.Messages[n-1].writeLine(w); err != nil {
			return err
		}
	}
	if e.Code != "" {
		_, err := fmt.Fprintf(w, "code %s\n", e.Code.String())
		return err
	}
	return nil
}

// awaitRentalSMS waits, without polling, for the rental's next SMS (one
// that comes after the wait began), for its end, or for limit to pass
// (0: as long as the rental lives), as awaitSMS does for a number.
func awaitRentalSMS(c *Call, id int64, limit time.Duration) error {
	sub := c.Deps.Store.Hub().Subscribe(c.User.ID)
	defer sub.Close()
	timeout, stop := waitLimit(limit)
	defer stop()
	seen := -1
	for {
		if err := stillLinked(c); err != nil {
			return err
		}
		r, err := c.Deps.Store.UserRental(c.Ctx, c.User.ID, id)
		if err != nil {
			return rentalErr(id, err)
		}
		switch {
		case seen < 0:
			seen = len(r.Messages)
		case len(r.Messages) > seen:
			return c.Print(rentalEventJSON{Event: evSMS, rentalJSON: rentalOf(r)})
		}
		if !r.State.Open() {
			if err := c.Print(rentalEventJSON{Event: evEnd, rentalJSON: rentalOf(r)}); err != nil {
				return err
			}
			return Exit(ExitNoSMS, "rental %s ended (%s) without another SMS", rentalRef(id), r.State)
		}
		concerns := func(e store.Event) bool { return e.ConcernsRental(id) }
		if err := nextChange(c.Ctx, sub, concerns, timeout); errors.Is(err, errWaitedOut) {
			return Exit(ExitWaitedOut, "no new SMS on %s within %s; it stays yours until %s", rentalRef(id),
				short(limit), Timestamp(r.EndsAt))
		} else if err != nil {
			return err
		}
	}
}
