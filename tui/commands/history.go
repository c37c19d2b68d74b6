package commands

import (
	"fmt"
	"io"
	"strconv"

	"github.com/wantsms/wantsms/store"
)

// History page sizes: a screenful by default, and a bound on one answer.
const (
	defaultHistory = 20
	maxHistory     = 500
)

type historyResult struct {
	Reservations []reservationJSON `json:"reservations"` // newest ended first
	More         bool              `json:"more"`         // older ones match too: raise --limit
}

func (r historyResult) WriteText(w io.Writer) error {
	if len(r.Reservations) == 0 {
		_, err := fmt.Fprintln(w, "no ended numbers to show")
		return err
	}
	rows := make([][]string, 0, len(r.Reservations))
	for _, x := range r.Reservations {
		rows = append(rows, []string{strconv.FormatInt(x.ID, 10), x.EndedAt.String(), x.Service, x.Country,
			x.Phone.String(), store.FormatCents(x.PriceCents), x.stateText(), x.Code.String()})
	}
	if err := table(w, []string{"ID", "ENDED", "SERVICE", "COUNTRY", "NUMBER", "PRICE", "STATE", "CODE"}, rows); err != nil {
		return err
	}
	if r.More {
		_, err := fmt.Fprintln(w, "(older numbers too: raise --limit, or narrow with --since)")
		return err
	}
	return nil
}

func historyCommand() *Command {
	limit := Flag("limit", Int(1, maxHistory), "list at most this many").Default(strconv.Itoa(defaultHistory))
	since := Flag("since", Date, "only numbers that ended on this day or later")
	return &Command{
		Name:    "history",
		Summary: "your ended numbers, newest first, with their SMS (kept a year)",
		Params:  []Param{limit, since},
		Example: historyResult{Reservations: []reservationJSON{finishedExample()}},
		Run: func(c *Call) error {
			page, more, err := c.Deps.Store.History(c.Ctx, c.User.ID, store.HistoryQuery{Limit: limit.Get(c),
				Since: since.Get(c)})
			if err != nil {
				return err
			}
			r := historyResult{Reservations: make([]reservationJSON, 0, len(page)), More: more}
			for _, x := range page {
				r.Reservations = append(r.Reservations, reservationOf(x))
			}
			return c.Print(r)
		},
	}
}
