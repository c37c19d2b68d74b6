package commands

import (
	"fmt"
	"io"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// rentedResult is a rental just rented or changed: its JSON, and a line
// saying what was done.
type rentedResult struct {
	rentalJSON
	line string
}

func (r rentedResult) WriteText(w io.Writer) error {
	_, err := fmt.Fprintln(w, r.line)
	return err
}

func rentCommand() *Command {
	service := Arg("SERVICE", Service, "what the number is for (a rented number takes SMS from anyone)")
	country := Flag("country", Country, "the number's country").Required()
	period := Flag("days", Days, "how long to rent it").Required()
	maxPrice := Flag("max-price", Cents(maxRentCents), "take the offer only at this price or below")
	return &Command{
		Name:    "rent",
		Summary: "rent a number for 1, 7, 14 or 30 days: it receives any number of SMS until it ends",
		Help: "The price is the one of the day for the service, country and period, debited at once. " +
			"Cancelling (cancel R7) refunds it in full within the first 20 minutes if no SMS came and it was " +
			"not extended; after that the rental is paid (CANT_CANCEL). A notice comes a day before it ends " +
			"(6 hours for a one-day rental), by mail too if your address is verified; extend R7 --days N keeps " +
			"it longer. Its SMS are in the rentals command and the dashboard's Rentals tab.",
		Params:  []Param{service, country, period, maxPrice},
		Example: rentedResult{rentalJSON: exampleRental},
		Run: func(c *Call) error {
			rs, err := rentalsOf(c)
			if err != nil {
				return err
			}
			o, err := rs.RentOffer(c.Ctx, service.Get(c), country.Get(c), period.Get(c))
			if err != nil {
				return err
			}
			if m := maxPrice.Get(c); m > 0 && o.SellCents > m {
				return Exit(ExitRefused, "a %s number in %s for %s costs %s, more than --max-price %d (%s)",
					wording.Service(o.Service), wording.Country(o.Country), days(o.Days), store.FormatCents(o.SellCents),
					m, store.FormatCents(m))
			}
			r, err := rs.Rent(c.Ctx, c.User.ID, o.Service, o.Country, o.Days, o.SellCents)
			if err != nil {
				return err
			}
			sim := ""
			if r.Simulated {
				sim = " (simulated)"
			}
			return c.Print(rentedResult{rentalJSON: rentalOf(r), line: fmt.Sprintf("rented %s: %s, %s in %s for %s, %s%s; "+
				"ends %s", rentalRef(r.ID), Untrusted(r.Phone), wording.Service(r.Service), wording.Country(r.Country),
				days(r.Days), store.FormatCents(r.PriceCents), sim, Timestamp(r.EndsAt))})
		},
	}
}

// maxRentCents bounds --max-price of a rental: a month costs dollars to
// tens of dollars, so $1,000 is far above any offer.
const maxRentCents = 100_000

func extendCommand() *Command {
	id := Arg("ID", RentalID, "the rental")
	period := Flag("days", Days, "how many days to add").Required()
	maxPrice := Flag("max-price", Cents(maxRentCents), "extend only at this price or below")
	return &Command{
		Name:    "extend",
		Summary: "keep a rental longer: 1, 7, 14 or 30 more days, at the price of the day",
		Help: "Debited at once; if the provider then refuses (it has no number to keep, or no such period), the " +
			"price comes back at once and the command says so (status 2). An extended rental can no longer be " +
			"cancelled. Refused on a rental that ended, and on one whose provider cannot extend. A rental of " +
			"another account is \"no rental\" (status 2), like one that does not exist.",
		Params:  []Param{id, period, maxPrice},
		Example: rentedResult{rentalJSON: exampleRental},
		Run: func(c *Call) error {
			rs, err := rentalsOf(c)
			if err != nil {
				return err
			}
			price, err := rs.ExtendQuote(c.Ctx, c.User.ID, id.Get(c), period.Get(c))
			if err != nil {
				return rentalErr(id.Get(c), err)
			}
			if m := maxPrice.Get(c); m > 0 && price > m {
				return Exit(ExitRefused, "%s more costs %s, more than --max-price %d (%s)", days(period.Get(c)),
					store.FormatCents(price), m, store.FormatCents(m))
			}
			r, err := rs.Extend(c.Ctx, c.User.ID, id.Get(c), period.Get(c), price)
			if err != nil {
				return rentalErr(id.Get(c), err)
			}
			r = reloadRental(c, r)
			return c.Print(rentedResult{rentalJSON: rentalOf(r), line: fmt.Sprintf("extended %s (%s) by %s for %s: "+
				"ends %s", rentalRef(r.ID), Untrusted(r.Phone), days(period.Get(c)), store.FormatCents(price),
				Timestamp(r.EndsAt))})
		},
	}
}

type rentalsResult struct {
	Rentals []rentalJSON `json:"rentals"` // active ones soonest to end first; with --ended, then ended ones, newest first
}

func (r rentalsResult) WriteText(w io.Writer) error {
	if len(r.Rentals) == 0 {
		_, err := fmt.Fprintln(w, "no rentals to show: rent a number with rent SERVICE --country C --days N")
		return err
	}
	for i, x := range r.Rentals {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		when := "ends " + x.EndsAt.String()
		if !time.Time(x.EndedAt).IsZero() {
			when = "ended " + x.EndedAt.String()
		}
		if _, err := fmt.Fprintf(w, "%s  %s  %s in %s  %s  %s; %d SMS\n", x.Ref, x.Phone.String(),
			wording.Service(x.Service), wording.Country(x.Country), x.stateText(), when, len(x.Messages)); err != nil {
			return err
		}
		for _, m := range x.Messages {
			if _, err := fmt.Fprint(w, "  "); err != nil {
				return err
			}
			if err := m.writeLine(w); err != nil {
				return err
			}
		}
	}
	return nil
}

func rentalsCommand() *Command {
	ended := Flag("ended", Bool, "also list rentals that ended (kept a year)")
	return &Command{
		Name:    "rentals",
		Summary: "your active rentals, soonest to end first, with every SMS",
		Params:  []Param{ended},
		Example: rentalsResult{Rentals: []rentalJSON{exampleRental}},
		Run: func(c *Call) error {
			open, err := c.Deps.Store.OpenRentals(c.Ctx, c.User.ID)
			if err != nil {
				return err
			}
			if ended.Get(c) {
				past, err := c.Deps.Store.RentalHistory(c.Ctx, c.User.ID, maxHistory)
				if err != nil {
					return err
				}
				open = append(open, past...)
			}
			r := rentalsResult{Rentals: make([]rentalJSON, 0, len(open))}
			for _, x := range open {
				r.Rentals = append(r.Rentals, rentalOf(x))
			}
			return c.Print(r)
		},
	}
}
