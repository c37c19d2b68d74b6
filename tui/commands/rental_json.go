package commands

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Rentals are named "R7" wherever a person reads or types their id: the
// rental's own numbers (its "id" in JSON) are counted apart from
// reservations', so cancel tells them apart by the R.

// rentalJSON is one rental as every rental command prints it.
type rentalJSON struct {
	ID          int64           `json:"id"`
	Ref         string          `json:"ref"` // "R7": how commands name it (cancel R7)
	Service     string          `json:"service"`
	Country     string          `json:"country"`
	Phone       Untrusted       `json:"phone"`
	Days        int             `json:"days"`        // days paid for, extensions included
	PriceCents  int64           `json:"price_cents"` // the first period
	PaidCents   int64           `json:"paid_cents"`  // in all, extensions included
	State       string          `json:"state"`       // active, ended, cancelled, failed
	RefundCents int64           `json:"refund_cents"`
	Simulated   bool            `json:"simulated"`
	CreatedAt   Timestamp       `json:"created_at"`
	EndsAt      Timestamp       `json:"ends_at"`      // moved by each extension
	CancelUntil Timestamp       `json:"cancel_until"` // a cancel is refunded until then; null once an SMS came, it was extended or it ended, or when its provider takes none back
	EndedAt     Timestamp       `json:"ended_at"`     // null while active
	EndingSoon  bool            `json:"ending_soon"`  // the notice of its end was given
	Extensions  []extensionJSON `json:"extensions"`
	Code        OptUntrusted    `json:"code"`     // the newest code, null until one came
	Messages    []messageJSON   `json:"messages"` // every SMS, oldest first
}

type extensionJSON struct {
	Days       int       `json:"days"`
	PriceCents int64     `json:"price_cents"`
	Refunded   bool      `json:"refunded"` // the provider refused it: paid back, its days taken off
	CreatedAt  Timestamp `json:"created_at"`
}

// rentalRef is how a person names a rental.
func rentalRef(id int64) string { return "R" + strconv.FormatInt(id, 10) }

func rentalOf(r store.Rental) rentalJSON {
	j := rentalJSON{ID: r.ID, Ref: rentalRef(r.ID), Service: r.Service, Country: r.Country, Phone: Untrusted(r.Phone),
		Days: r.TotalDays(), PriceCents: r.PriceCents, PaidCents: r.PaidCents(), State: string(r.State),
		RefundCents: r.RefundCents, Simulated: r.Simulated, CreatedAt: Timestamp(r.CreatedAt),
		EndsAt: Timestamp(r.EndsAt), EndedAt: Timestamp(r.EndedAt), EndingSoon: r.Noticed(),
		Extensions: []extensionJSON{}, Code: OptUntrusted(r.LatestCode()), Messages: []messageJSON{}}
	if r.CancelOffered() {
		j.CancelUntil = Timestamp(r.CancelUntil)
	}
	for _, e := range r.Extensions {
		j.Extensions = append(j.Extensions, extensionJSON{Days: e.Days, PriceCents: e.PriceCents, Refunded: e.Refunded,
			CreatedAt: Timestamp(e.CreatedAt)})
	}
	for _, m := range r.Messages {
		j.Messages = append(j.Messages, messageJSON{Sender: Untrusted(m.Sender), Text: UntrustedText(m.Body),
			Code: OptUntrusted(m.Code), ReceivedAt: Timestamp(m.ReceivedAt)})
	}
	return j
}

// stateText is where the rental stands, in words.
func (r rentalJSON) stateText() string {
	switch store.RentalState(r.State) {
	case store.RentActive:
		if r.EndingSoon {
			return "active, ending soon"
		}
		return "active"
	case store.RentCancelled:
		return "cancelled, " + store.FormatCents(r.RefundCents) + " refunded"
	case store.RentFailed:
		if r.RefundCents > 0 {
			return "ended early by its provider, " + store.FormatCents(r.RefundCents) + " refunded for the time left"
		}
		return "ended early by its provider"
	}
	return "ended"
}

// WriteText writes the rental in full: a row per fact, then its SMS.
func (r rentalJSON) WriteText(w io.Writer) error {
	paid := fmt.Sprintf("%s for %s", store.FormatCents(r.PaidCents), days(r.Days))
	if r.Simulated {
		paid += " (simulated: a built-in test number, no real SMS)"
	}
	rows := [][]string{
		{"rental", r.Ref},
		{"number", r.Phone.String()},
		{"service", r.Service + " (" + wording.Service(r.Service) + ")"},
		{"country", r.Country + " (" + wording.Country(r.Country) + ")"},
		{"paid", paid},
		{"state", r.stateText()},
	}
	if time.Time(r.EndedAt).IsZero() {
		rows = append(rows, []string{"ends", r.EndsAt.String()})
		if !time.Time(r.CancelUntil).IsZero() {
			rows = append(rows, []string{"cancel until", r.CancelUntil.String() + " (if no SMS came and not extended)"})
		}
	} else {
		rows = append(rows, []string{"ended", r.EndedAt.String()})
	}
	if r.Code != "" {
		rows = append(rows, []string{"code", r.Code.String()})
	}
	if err := table(w, nil, rows); err != nil {
		return err
	}
	for _, m := range r.Messages {
		if err := m.writeLine(w); err != nil {
			return err
		}
	}
	return nil
}

// days writes "1 day", "7 days".
func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// rentalErr words a missing rental: another account's is "no rental",
// like one that never was.
func rentalErr(id int64, err error) error {
	if errors.Is(err, store.ErrNoRental) {
		return Exit(ExitRefused, "no rental %s on this account", rentalRef(id))
	}
	return err
}

// reloadRental reads the rental again with its SMS and extensions.
func reloadRental(c *Call, r store.Rental) store.Rental {
	if fresh, err := c.Deps.Store.UserRental(c.Ctx, c.User.ID, r.ID); err == nil {
		return fresh
	}
	return r
}

// rentalsOf is the rental engine, or a refusal on a server without one.
func rentalsOf(c *Call) (Rentals, error) {
	if c.Deps.Rentals == nil {
		return nil, Exit(ExitRefused, "rentals are not available on this server")
	}
	return c.Deps.Rentals, nil
}

// RentalID is a rental's id, as "R7" (or "r7", or plain 7 where only a
// rental can be meant).
var RentalID = Type[int64]{Name: "ID", Help: "a rental's id, like R7 (the rentals command lists them)",
	Parse: func(s string) (int64, error) {
		return parseDigits(strings.TrimPrefix(strings.TrimPrefix(s, "R"), "r"), 1, 1<<53,
			"a rental's id, like R7")
	}}

// Target is what cancel acts on: a reservation (42) or a rental (R7).
type Target struct {
	ID     int64
	Rental bool
}

// NumberOrRental is a reservation's id (42) or a rental's (R7).
var NumberOrRental = Type[Target]{Name: "ID", Help: "a number's id, like 42, or a rental's, like R7",
	Parse: func(s string) (Target, error) {
		if rest, ok := strings.CutPrefix(strings.ToUpper(s), "R"); ok {
			n, err := parseDigits(rest, 1, 1<<53, "a number's id, like 42, or a rental's, like R7")
			return Target{ID: n, Rental: true}, err
		}
		n, err := parseDigits(s, 1, 1<<53, "a number's id, like 42, or a rental's, like R7")
		return Target{ID: n}, err
	}}

// Days is a rental's period: 1, 7, 14 or 30 days.
var Days = Type[int]{Name: "N", Help: "1, 7, 14 or 30", Parse: func(s string) (int, error) {
	n, err := parseDigits(s, 1, 30, "1, 7, 14 or 30 days")
	if err != nil || !store.ValidRentalDays(int(n)) {
		return 0, errors.New("want 1, 7, 14 or 30 days")
	}
	return int(n), nil
}}

// exampleRental documents the shape of a rental with an SMS.
var exampleRental = func() rentalJSON {
	at := time.Time(exampleTime)
	return rentalJSON{ID: 7, Ref: "R7", Service: "telegram", Country: "gb", Phone: "+447700900123", Days: 7,
		PriceCents: 600, PaidCents: 600, State: "active", CreatedAt: exampleTime,
		EndsAt: Timestamp(at.Add(7 * 24 * time.Hour)), CancelUntil: Timestamp(at.Add(20 * time.Minute)),
		Extensions: []extensionJSON{}, Code: "12345",
		Messages: []messageJSON{{Sender: "Telegram", Text: "Telegram code: 12345. Do not give this code to anyone",
			Code: "12345", ReceivedAt: Timestamp(at.Add(time.Hour))}}}
}()
