package commands

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// reservationJSON is one number as every reservation command prints it.
type reservationJSON struct {
	ID          int64         `json:"id"`
	Service     string        `json:"service"`
	Country     string        `json:"country"`
	Phone       Untrusted     `json:"phone"` // E.164, "+447700900123"
	PriceCents  int64         `json:"price_cents"`
	State       string        `json:"state"`    // active (waiting), received, finished, cancelled, expired, failed
	Refunded    bool          `json:"refunded"` // the price came back (cancelled, expired, failed)
	Simulated   bool          `json:"simulated"`
	CreatedAt   Timestamp     `json:"created_at"`
	ExpiresAt   Timestamp     `json:"expires_at"`   // the number ends then unless finished first
	CancelAfter Timestamp     `json:"cancel_after"` // cancel is refused before this
	EndedAt     Timestamp     `json:"ended_at"`     // null while open
	Code        OptUntrusted  `json:"code"`         // the newest code, null until one came
	Operator    string        `json:"operator"`     // the mobile operator asked for; "" for any
	Report      string        `json:"report"`       // banned, used or no-sms once you reported it; "" if not
	Messages    []messageJSON `json:"messages"`     // oldest first
}

type messageJSON struct {
	Sender     Untrusted     `json:"sender"`
	Text       UntrustedText `json:"text"`
	Code       OptUntrusted  `json:"code"` // the code found in the text, null when none
	ReceivedAt Timestamp     `json:"received_at"`
}

func reservationOf(r store.Reservation) reservationJSON {
	j := reservationJSON{ID: r.ID, Service: r.Service, Country: r.Country, Phone: Untrusted(r.Phone),
		PriceCents: r.PriceCents, State: string(r.State), Refunded: r.Refunded, Simulated: r.Simulated,
		CreatedAt: Timestamp(r.CreatedAt), ExpiresAt: Timestamp(r.ExpiresAt), CancelAfter: Timestamp(r.CancelAfter),
		EndedAt: Timestamp(r.EndedAt), Code: OptUntrusted(r.LatestCode()), Operator: r.Operator,
		Report: string(r.Report), Messages: []messageJSON{}}
	for _, m := range r.Messages {
		j.Messages = append(j.Messages, messageJSON{Sender: Untrusted(m.Sender), Text: UntrustedText(m.Body),
			Code: OptUntrusted(m.Code), ReceivedAt: Timestamp(m.ReceivedAt)})
	}
	return j
}

// stateText is where the number stands, as the dashboard says it (a
// waiting number waits "for an SMS" here, with room to say so).
func (r reservationJSON) stateText() string {
	if r.State == string(store.ResActive) {
		return "waiting for an SMS"
	}
	return wording.State(store.ReservationState(r.State), r.Refunded)
}

func (r reservationJSON) open() bool { return time.Time(r.EndedAt).IsZero() }

// WriteText writes the number in full: a row per fact, then its SMS.
func (r reservationJSON) WriteText(w io.Writer) error {
	price := store.FormatCents(r.PriceCents)
	if r.Simulated {
		price += " (simulated: a built-in test number, no real SMS)"
	}
	rows := [][]string{
		{"reservation", strconv.FormatInt(r.ID, 10)},
		{"number", r.Phone.String()},
		{"service", r.Service + " (" + wording.Service(r.Service) + ")"},
		{"country", r.Country + " (" + wording.Country(r.Country) + ")"},
	}
	if r.Operator != "" {
		rows = append(rows, []string{"operator", r.Operator})
	}
	rows = append(rows, []string{"price", price}, []string{"state", r.stateText()})
	if r.Report != "" {
		rows = append(rows, []string{"reported", wording.ReportReason(store.ReportReason(r.Report))})
	}
	switch {
	case !r.open():
		rows = append(rows, []string{"ended", r.EndedAt.String()})
	case r.State == string(store.ResActive):
		rows = append(rows, []string{"open until", r.ExpiresAt.String()}, []string{"cancel from", r.CancelAfter.String()})
	default:
		rows = append(rows, []string{"open until", r.ExpiresAt.String()})
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

// writeLine writes one SMS on one line.
func (m messageJSON) writeLine(w io.Writer) error {
	from := ""
	if m.Sender != "" {
		from = " from " + m.Sender.String()
	}
	_, err := fmt.Fprintf(w, "SMS %s%s: %s\n", m.ReceivedAt.String(), from, sanitize.Line(string(m.Text)))
	return err
}

// reservationErr words a missing reservation for commands: another
// account's number is "no reservation" just like one that never was, so
// ids tell nothing about other accounts.
func reservationErr(id int64, err error) error {
	if errors.Is(err, store.ErrNoReservation) {
		return Exit(ExitRefused, "no reservation %d on this account", id)
	}
	return err
}

// reload reads the number again with its messages after an action (the
// engine returns it without them); on failure the action's copy does.
func reload(c *Call, r store.Reservation) store.Reservation {
	if fresh, err := c.Deps.Store.UserReservation(c.Ctx, c.User.ID, r.ID); err == nil {
		return fresh
	}
	return r
}

// exampleReservation documents the shape of a number with its code.
var exampleReservation = reservationJSON{ID: 42, Service: "telegram", Country: "gb", Phone: "+447700900123",
	PriceCents: 45, State: "received", CreatedAt: exampleTime,
	ExpiresAt:   Timestamp(time.Time(exampleTime).Add(20 * time.Minute)),
	CancelAfter: Timestamp(time.Time(exampleTime).Add(2 * time.Minute)), Code: "12345",
	Messages: []messageJSON{{Sender: "Telegram", Text: "Telegram code: 12345. Do not give this code to anyone",
		Code: "12345", ReceivedAt: Timestamp(time.Time(exampleTime).Add(40 * time.Second))}}}
