package commands

import (
	"time"

	"github.com/wantsms/wantsms/provider"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Bounds of the reserve command's flags.
const (
	// maxPriceCents bounds --max-price: a number costs cents to a few
	// dollars, so $100 is far above any offer.
	maxPriceCents = 10_000
	// maxWait bounds --wait and --timeout: numbers live 20 minutes by
	// default, and an hour covers any lifetime a server is likely to set.
	maxWait = time.Hour
)

func reserveCommand() *Command {
	service := Arg("SERVICE", Service, "what the number is for")
	country := Flag("country", Country, "the number's country (default: the cheapest with stock)")
	operator := Flag("operator", Operator, "a number of this mobile operator (needs --country; the operators "+
		"command lists them)")
	maxPrice := Flag("max-price", Cents(maxPriceCents), "take only an offer at this price or below")
	wait := Flag("wait", Duration(time.Second, maxWait), "then wait this long for the first SMS")
	return &Command{
		Name:    "reserve",
		Summary: "reserve a number; with --wait, wait for its SMS and print the code",
		Help: "Prints the reservation at once (event \"reserved\"): its id, for status, wait, cancel, finish " +
			"and again, and the number. The price is the one prices shows now, debited at once and refunded in " +
			"full if no SMS comes. With --wait the command stays until the first SMS arrives and prints it " +
			"(event \"sms\", its \"code\" field holds the code; status 0), or the wait ends first (status 3: the " +
			"number stays open), or the number ends without an SMS (event \"end\", status 4: refunded). With " +
			"--json each event is one JSON object on its own line.",
		Params:  []Param{service, country, operator, maxPrice, wait},
		Stream:  true,
		Example: eventJSON{Event: evSMS, reservationJSON: exampleReservation},
		Run: func(c *Call) error {
			pick := provider.Pick{Service: service.Get(c), Country: country.Get(c), Operator: operator.Get(c)}
			if pick.Operator != "" && pick.Country == "" {
				return Exit(ExitUsage, "--operator needs --country: operators differ from country to country")
			}
			o, err := pickOffer(c, pick, maxPrice.Get(c))
			if err != nil {
				return err
			}
			r, err := c.Deps.Numbers.ReservePick(c.Ctx, c.User.ID, o.Pick(), o.SellCents)
			if err != nil {
				return err
			}
			if err := c.Print(event(evReserved, r)); err != nil {
				return err
			}
			if !wait.Given(c) {
				return nil
			}
			return awaitSMS(c, r.ID, 0, wait.Get(c))
		},
	}
}

// pickOffer chooses what to reserve: the engine's cheapest offer of the
// pick (Cheapest), refused above maxCents (0: any price). Its price is
// what the person agrees to pay, as a price confirmed in the Numbers pane
// is: if it rose meanwhile, the engine refuses. --max-price is a hard
// cap: never an offer above it.
func pickOffer(c *Call, p provider.Pick, maxCents int64) (provider.RoutedOffer, error) {
	n, err := numbersOf(c)
	if err != nil {
		return provider.RoutedOffer{}, err
	}
	where := inCountry(p.Country)
	if p.Operator != "" {
		where += " from " + wording.Operator(p.Operator)
	}
	o, ok := n.Cheapest(c.Ctx, p)
	if !ok {
		if p.Operator != "" {
			return provider.RoutedOffer{}, Exit(ExitRefused, "no %s numbers%s in stock right now: the operators "+
				"command lists the operators there, or leave --operator out for any", wording.Service(p.Service), where)
		}
		return provider.RoutedOffer{}, Exit(ExitRefused, "no %s numbers%s in stock right now: try another "+
			"country, or again in a few minutes", wording.Service(p.Service), where)
	}
	if maxCents > 0 && o.SellCents > maxCents {
		return o, Exit(ExitRefused, "the cheapest %s number%s costs %s, more than --max-price %d (%s)",
			wording.Service(p.Service), where, store.FormatCents(o.SellCents), maxCents, store.FormatCents(maxCents))
	}
	return o, nil
}
