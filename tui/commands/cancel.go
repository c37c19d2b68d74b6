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
	id := Arg("ID", ID, "the reservation")
	return &Command{
		Name:    "cancel",
		Summary: "give back a number that got no SMS, for a full refund",
		Help: "Refused (status 2) once an SMS has arrived (the number is paid: finish it), before the early-" +
			"cancel delay has passed (the message says how long to wait), and on a number that has ended. " + idHelp,
		Params: []Param{id},
		Example: actionResult{reservationJSON: reservationJSON{ID: 42, Service: "telegram", Country: "gb",
			Phone: "+447700900123", PriceCents: 45, State: "cancelled", Refunded: true, CreatedAt: exampleTime,
			ExpiresAt: exampleTime, CancelAfter: exampleTime, EndedAt: exampleTime, Messages: []messageJSON{}}},
		Run: func(c *Call) error {
			n, err := numbersOf(c)
			if err != nil {
				return err
			}
			r, err := n.Cancel(c.Ctx, c.User.ID, id.Get(c))
			if err != nil {
				return reservationErr(id.Get(c), err)
			}
			r = reload(c, r)
			return c.Print(actionResult{reservationJSON: reservationOf(r),
				line: fmt.Sprintf("cancelled %d (%s): %s refunded", r.ID, Untrusted(r.Phone), store.FormatCents(r.PriceCents))})
		},
	}
}
