package commands

import "time"

func waitCommand() *Command {
	id := Arg("ID", NumberOrRental, "the number (42) or the rental (R7)")
	timeout := Flag("timeout", Duration(time.Second, maxWait), "give up after this long (default: as long as the number lives)")
	return &Command{
		Name:    "wait",
		Summary: "wait for a number's SMS and print it with its code",
		Help: "Prints the newest SMS at once if one came already, else waits for the first (event \"sms\", " +
			"status 0). The number ending without an SMS prints event \"end\" (status 4: refunded); the timeout " +
			"passing first is status 3 (the number stays open). A reservation of another account is \"no " +
			"reservation\" (status 2), like one that does not exist. A rental (R7) takes any number of SMS, so " +
			"wait R7 waits for the next one to come (event \"sms\" with the rental as the rentals command " +
			"prints it); its end coming first prints event \"end\" (status 4).",
		Params:  []Param{id, timeout},
		Stream:  true,
		Example: eventJSON{Event: evSMS, reservationJSON: exampleReservation},
		Run: func(c *Call) error {
			if t := id.Get(c); t.Rental {
				return awaitRentalSMS(c, t.ID, timeout.Get(c))
			}
			return awaitSMS(c, id.Get(c).ID, 0, timeout.Get(c))
		},
	}
}
