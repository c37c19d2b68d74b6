package provider

import (
	"errors"
	"strconv"
)

// Typed errors every adapter maps its upstream's answers to. They are
// wrapped with context (and the upstream's own word), so test with
// errors.Is.
var (
	// ErrNoNumbers: none in stock for that service and country.
	ErrNoNumbers = errors.New("no numbers available")
	// ErrNoBalance: the upstream account cannot pay.
	ErrNoBalance = errors.New("upstream balance too low")
	// ErrBadService: the service or country is unknown or not sold there.
	ErrBadService = errors.New("bad service or country")
	// ErrEarlyCancel: the upstream refuses to cancel this soon.
	ErrEarlyCancel = errors.New("too early to cancel")
	// ErrUnknownActivation: the upstream does not know that reference.
	ErrUnknownActivation = errors.New("unknown activation")
	// ErrBadState: the activation's state forbids the action, e.g. cancel
	// after an SMS came, or an order that already expired.
	ErrBadState = errors.New("action not allowed in this state")
	// ErrUnavailable: the upstream cannot serve us now: network error,
	// timeout, 5xx, garbage, rate limit, account barred, bad key or an
	// answer we do not know.
	ErrUnavailable = errors.New("provider unavailable")
	// ErrNotSupported: the provider has no such call.
	ErrNotSupported = errors.New("not supported by provider")
	// ErrMaxPrice: the price is above the cap.
	ErrMaxPrice = errors.New("price above cap")
	// ErrBadSignature: a pushed webhook is not signed with our secret.
	ErrBadSignature = errors.New("bad webhook signature")
)

// answerErrors are the typed errors an upstream's answer maps to.
var answerErrors = []error{ErrNoNumbers, ErrNoBalance, ErrBadService, ErrEarlyCancel,
	ErrUnknownActivation, ErrBadState, ErrUnavailable, ErrMaxPrice}

// IsAnswerError reports whether err is one of the typed errors an adapter
// maps its upstream's answers to, the ones the router and the engine act
// on: an answer we cannot read must never surface as anything else.
func IsAnswerError(err error) bool {
	for _, e := range answerErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// excerptLimit bounds how much of an upstream answer goes into an error
// message: enough to recognise it, not enough to flood a log.
const excerptLimit = 80

// Excerpt quotes the start of an upstream answer for an error message,
// truncated to a short, printable form.
func Excerpt(body []byte) string {
	s := string(body)
	cut := false
	if len(s) > excerptLimit {
		s, cut = s[:excerptLimit], true
	}
	q := strconv.QuoteToASCII(s)
	if cut {
		q += "…"
	}
	return q
}
