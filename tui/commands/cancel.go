package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/store"
)

// actionResult is a number after an action: the number's JSON, and a line
// of text saying what was done.
type actionResult struct {
	reservationJSON
	line string
}

func (r actionResult) WriteText(w io.Writer) error {
	_, err := fmt.Fprintln(w, r.line)
	return err
}

func cancelCommand() *Command {
	id := Arg("ID", NumberOrRental, "the number (42) or the rental (R7)")
	return &Command{
		Name:    "cancel",
		Summary: "give back a number that got no SMS, or a rental in its first 20 minutes, for a full refund",
		Help: "A number: refused (status 2) once an SMS has arrived (the number is paid: finish it), before the " +
			"early-cancel delay has passed (the message says how long to wait), and on a number that has ended. " +
			"A rental (R7): refunded in full only within its first 20 minutes, before any SMS and before any " +
			"extension, refused after with CANT_CANCEL (status 2); a rental cancelled prints as rentals prints " +
			"it. " + idHelp,
		Params: []Param{id},
		Example: actionResult{reservationJSON: reservationJSON{ID: 42, Service: "telegram", Country: "gb",
			Phone: "+447700900123", PriceCents: 45, State: "cancelled", Refunded: true, CreatedAt: exampleTime,
			ExpiresAt: exampleTime, CancelAfter: exampleTime, EndedAt: exampleTime, Messages: []messageJSON{}}},
		Run: func(c *Call) error {
			if id.Get(c).Rental {
				return cancelRental(c, id.Get(c).ID)
			}
			n, err := numbersOf(c)
			if err != nil {
				return err
			}
			r, err := n.Cancel(c.Ctx, c.User.ID, id.Get(c).ID)
			if err != nil {
				return reservationErr(id.Get(c).ID, err)
			}
			r = reload(c, r)
			return c.Print(actionResult{reservationJSON: reservationOf(r),
				line: fmt.Sprintf("cancelled %d (%s): %s refunded", r.ID, Untrusted(r.Phone), store.FormatCents(r.PriceCents))})
		},
	}
}

// cancelRental gives a rental back for a full refund, by the market's
// rule (CANT_CANCEL otherwise).
func cancelRental(c *Call, id int64) error {
	rs, err := rentalsOf(c)
	if err != nil {
		return err
	}
	r, err := rs.CancelRental(c.Ctx, c.User.ID, id)
	if err != nil {
		return rentalErr(id, err)
	}
	r = reloadRental(c, r)
	return c.Print(rentedResult{rentalJSON: rentalOf(r), line: fmt.Sprintf("cancelled %s (%s): %s refunded",
		rentalRef(r.ID), Untrusted(r.Phone), store.FormatCents(r.RefundCents))})
}
