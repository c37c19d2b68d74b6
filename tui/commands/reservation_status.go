package commands

// idHelp is what every command on one reservation says about ids.
const idHelp = "A reservation of another account is \"no reservation\" (status 2), like one that does not exist."

func statusCommand() *Command {
	id := Arg("ID", NumberOrRental, "the number (42) or the rental (R7)")
	return &Command{
		Name:    "status",
		Summary: "one of your numbers or rentals: its state, times, code and SMS",
		Help: "A rental (R7) prints in full, as rent prints it (its JSON an object of the rentals list). " +
			idHelp,
		Params:  []Param{id},
		Example: exampleReservation,
		Run: func(c *Call) error {
			if t := id.Get(c); t.Rental {
				r, err := c.Deps.Store.UserRental(c.Ctx, c.User.ID, t.ID)
				if err != nil {
					return rentalErr(t.ID, err)
				}
				return c.Print(rentalOf(r))
			}
			r, err := c.Deps.Store.UserReservation(c.Ctx, c.User.ID, id.Get(c).ID)
			if err != nil {
				return reservationErr(id.Get(c).ID, err)
			}
			return c.Print(reservationOf(r))
		},
	}
}
