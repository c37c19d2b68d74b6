package commands

import "fmt"

func finishCommand() *Command {
	id := Arg("ID", ID, "the reservation")
	return &Command{
		Name:    "finish",
		Summary: "close a number that got its SMS: no more SMS arrive on it",
		Help: "Refused (status 2) before any SMS has arrived (cancel it instead, for a refund) and on a number " +
			"that has ended. " + idHelp,
		Params:  []Param{id},
		Example: actionResult{reservationJSON: finishedExample()},
		Run: func(c *Call) error {
			n, err := numbersOf(c)
			if err != nil {
				return err
			}
			r, err := n.Finish(c.Ctx, c.User.ID, id.Get(c))
			if err != nil {
				return reservationErr(id.Get(c), err)
			}
			r = reload(c, r)
			return c.Print(actionResult{reservationJSON: reservationOf(r),
				line: fmt.Sprintf("finished %d (%s)", r.ID, Untrusted(r.Phone))})
		},
	}
}

func finishedExample() reservationJSON {
	r := exampleReservation
	r.State, r.EndedAt = "finished", r.Messages[0].ReceivedAt
	return r
}
