// Package wording is what both front doors say alike: the dashboard's
// panes and the scripting commands (tui/commands) name services,
// countries, a reservation's state and a webhook delivery's, tell a
// person what they owe and apologise for an error on our side in these
// words, and tell people how to reach the server. One place, so a pane
// and a command never drift apart.
//
// May import from this repository: provider, store, tui/sanitize.
package wording

import (
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// ServerError is all a person learns about an error on our side; the
// details go to the log.
const ServerError = "something went wrong on our side; please try again in a minute"

// Service is a service's display name ("Telegram"), or its code, cleaned,
// when the table does not know it.
func Service(code string) string {
	if s, ok := provider.LookupService(code); ok {
		return s.Name
	}
	return sanitize.Line(code)
}

// Country is a country's name ("United Kingdom"), or its code, cleaned.
func Country(code string) string {
	if c, ok := provider.LookupCountry(code); ok {
		return c.Name
	}
	return sanitize.Line(code)
}

// FlagCountry is a country's flag and name ("🇬🇧 United Kingdom"), or its
// code in capitals, cleaned.
func FlagCountry(code string) string {
	if c, ok := provider.LookupCountry(code); ok {
		return c.Flag() + " " + c.Name
	}
	return sanitize.Line(strings.ToUpper(code))
}

// State says where a reservation stands, refunds included: "waiting"
// (active), "refunded (expired)", "finished".
func State(state store.ReservationState, refunded bool) string {
	switch {
	case state == store.ResActive:
		return "waiting"
	case refunded:
		return "refunded (" + string(state) + ")"
	}
	return string(state)
}

// Rate is a success rate as people read it: "92%", or "new" while too
// few numbers had an outcome to tell (store.MinRateSample).
func Rate(t store.Tally) string {
	if pct, ok := t.Percent(); ok {
		return strconv.Itoa(pct) + "%"
	}
	return "new"
}

// Operator names the operator a number was asked from: "any operator"
// for none, else its name, cleaned.
func Operator(name string) string {
	if name == "" {
		return "any operator"
	}
	return sanitize.Line(name)
}

// ReportReason says what a report said about a number.
func ReportReason(r store.ReportReason) string {
	switch r {
	case store.ReportBanned:
		return "banned by the service"
	case store.ReportUsed:
		return "already used at the service"
	case store.ReportNoSMS:
		return "the code never came"
	}
	return sanitize.Line(string(r))
}

// Owed tells an account in debt (a card payment refunded or disputed
// after its credits were spent) what it owes and what settles it.
func Owed(cents int64) string {
	return "you owe " + store.FormatCents(cents) + ": a top-up pays it first"
}

// SSHWith is the SSH command people reach this server with (sshCommand,
// e.g. "ssh -p 2222 localhost"; "ssh localhost" when unset) with extra
// client flags and a remote command: SSHWith(…, "-T", "export") → "ssh
// -T -p 2222 localhost export". Flags must precede the host: OpenSSH
// reads everything after it as the command.
func SSHWith(sshCommand, flags, command string) string {
	base := sshCommand
	if base == "" {
		base = "ssh localhost"
	}
	if flags != "" {
		base = "ssh " + flags + strings.TrimPrefix(base, "ssh")
	}
	if command != "" {
		base += " " + command
	}
	return base
}

// Delivery says where a webhook delivery stands in a few words:
// "delivered (200)", "retry at 12:01:30 (500, 2 attempts)", "given up (no
// answer, 27 attempts)".
func Delivery(d store.WebhookDelivery) string {
	answer := "no answer"
	if d.HTTPStatus != 0 {
		answer = strconv.Itoa(d.HTTPStatus)
	}
	if d.Attempts > 1 {
		answer += ", " + strconv.Itoa(d.Attempts) + " attempts"
	}
	switch d.Status {
	case store.DeliveryDelivered:
		return "delivered (" + answer + ")"
	case store.DeliveryFailed:
		return "given up (" + answer + ")"
	case store.DeliverySending:
		return "sending"
	}
	if d.Attempts == 0 {
		return "queued"
	}
	return "retry at " + d.NextAttemptAt.UTC().Format("15:04:05") + " (" + answer + ")"
}
