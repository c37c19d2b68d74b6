package commands

import "time"

func againCommand() *Command {
	id := Arg("ID", ID, "the reservation")
	wait := Flag("wait", Duration(time.Second, maxWait), "then wait this long for the new SMS")
	return &Command{
		Name:    "again",
		Summary: "ask for another SMS on a number that got one (free); with --wait, wait for it",
		Help: "Prints event \"again\" once asked. With --wait the command stays until the new SMS arrives " +
			"(event \"sms\", status 0), the wait ends (status 3) or the number ends (event \"end\", status 4). " +
			"Refused (status 2) before the first SMS and when the provider cannot send another. " + idHelp,
		Params:  []Param{id, wait},
		Stream:  true,
		Example: eventJSON{Event: evAgain, reservationJSON: exampleReservation},
		Run: func(c *Call) error {
			n, err := numbersOf(c)
			if err != nil {
				return err
			}
			before, err := c.Deps.Store.UserReservation(c.Ctx, c.User.ID, id.Get(c))
			if err != nil {
				return reservationErr(id.Get(c), err)
			}
			if err := n.Again(c.Ctx, c.User.ID, before.ID); err != nil {
				return reservationErr(before.ID, err)
			}
			if err := c.Print(event(evAgain, reload(c, before))); err != nil {
				return err
			}
			if !wait.Given(c) {
				return nil
			}
			return awaitSMS(c, before.ID, len(before.Messages), wait.Get(c))
		},
	}
}
