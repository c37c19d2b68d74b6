package commands

// idHelp is what every command on one reservation says about ids.
const idHelp = "A reservation of another account is \"no reservation\" (status 2), like one that does not exist."

func statusCommand() *Command {
	id := Arg("ID", ID, "the reservation")
	return &Command{
		Name:    "status",
		Summary: "one of your numbers: its state, times, code and SMS",
		Help:    idHelp,
		Params:  []Param{id},
		Example: exampleReservation,
		Run: func(c *Call) error {
			r, err := c.Deps.Store.UserReservation(c.Ctx, c.User.ID, id.Get(c))
			if err != nil {
				return reservationErr(id.Get(c), err)
			}
			return c.Print(reservationOf(r))
		},
	}
}
