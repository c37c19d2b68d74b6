package commands

import (
	"fmt"
	"io"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// reportResult is a reported number and the offer of another of its pair.
type reportResult struct {
	reservationJSON
	// Another is another number of the same service and country (and
	// operator, while it has stock) as it sells now; null when none is in
	// stock. Reserve it with the command it names.
	Another *anotherJSON `json:"another"`
}

type anotherJSON struct {
	Service    string `json:"service"`
	Country    string `json:"country"`
	Operator   string `json:"operator"` // "" for any
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
	Command    string `json:"command"` // the reserve command that takes it
}

func (r reportResult) WriteText(w io.Writer) error {
	line := fmt.Sprintf("reported %d (%s) as %s: %s refunded", r.ID, r.Phone.String(), r.Report,
		store.FormatCents(r.PriceCents))
	if !r.Refunded {
		line = fmt.Sprintf("reported %d (%s) as %s; it had ended already", r.ID, r.Phone.String(), r.Report)
	}
	if _, err := fmt.Fprintln(w, line); err != nil {
		return err
	}
	if r.Another == nil {
		_, err := fmt.Fprintln(w, "no other number of this service in this country is in stock right now")
		return err
	}
	_, err := fmt.Fprintf(w, "another %s number in %s costs %s now: %s\n", wording.Service(r.Another.Service),
		wording.Country(r.Another.Country), store.FormatCents(r.Another.PriceCents), r.Another.Command)
	return err
}

func reportCommand() *Command {
	id := Arg("ID", ID, "the reservation")
	reason := Flag("reason", ReportReason, "what is wrong with the number").Required()
	return &Command{
		Name:    "report",
		Summary: "report a bad number (banned or already used at the service, or no code) for a full refund",
		Help: fmt.Sprintf("While no SMS has come, the number is given back, its price refunded in full and the "+
			"provider told; it counts against the provider's success rate. The result offers another number of "+
			"the same service and country. A report may come before the cancel delay is over, up to %d times an "+
			"hour; past that it waits like a cancel. Refused (status 2) once an SMS has arrived. %s",
			store.MaxEarlyReports, idHelp),
		Params: []Param{id, reason},
		Example: reportResult{reservationJSON: reservationJSON{ID: 42, Service: "telegram", Country: "gb",
			Phone: "+447700900123", PriceCents: 45, State: "cancelled", Refunded: true, Report: "banned",
			CreatedAt: exampleTime, ExpiresAt: exampleTime, CancelAfter: exampleTime, EndedAt: exampleTime,
			Messages: []messageJSON{}},
			Another: &anotherJSON{Service: "telegram", Country: "gb", PriceCents: 46, Stock: 118,
				Command: "reserve telegram --country gb"}},
		Run: func(c *Call) error {
			n, err := numbersOf(c)
			if err != nil {
				return err
			}
			r, err := n.Report(c.Ctx, c.User.ID, id.Get(c), reason.Get(c))
			if err != nil {
				return reservationErr(id.Get(c), err)
			}
			r = reload(c, r)
			out := reportResult{reservationJSON: reservationOf(r)}
			if o, ok := n.Replacement(c.Ctx, r); ok {
				cmd := "reserve " + o.Service + " --country " + o.Country
				if o.Operator != "" {
					cmd += " --operator " + o.Operator
				}
				out.Another = &anotherJSON{Service: o.Service, Country: o.Country, Operator: o.Operator,
					PriceCents: o.SellCents, Stock: o.Stock, Command: cmd}
			}
			return c.Print(out)
		},
	}
}
