// Package provider owns where numbers come from: the Provider interface
// that every upstream adapter implements (sim, the SMS-Activate protocol,
// 5sim), the canonical service and country tables, money in Micros, the
// extraction of codes from SMS text, sell pricing, the Router that picks a
// provider per service and country (and mobile operator, where numbers are
// sold by operator; the cheapest, our own success rates breaking price
// ties), and the parsing of pushed SMS webhooks.
//
// Adapters receive no user data at all: the interface carries only
// protocol facts (service, country, cost cap, activation reference), so
// nothing that identifies a WantSMS user can ever be sent upstream.
//
// May import from this repository: nothing (the adapters and the engine
// build on it).
package provider

import (
	"context"
	"time"
)

// Provider is one upstream source of numbers. Every call goes upstream
// (or, for sim, to the simulation) and honours ctx.
type Provider interface {
	// Name is the provider's stable name: "sim", "smsactivate", "fivesim".
	Name() string
	// Catalogue lists what can be bought now: services × countries in
	// canonical codes, with cost and stock. Unknown upstream entries are
	// left out.
	Catalogue(ctx context.Context) ([]Offer, error)
	// Buy rents a number for a canonical service and country. maxCost 0
	// means no cap; otherwise a number costing more is never bought
	// (ErrMaxPrice).
	Buy(ctx context.Context, service, country string, maxCost Micros) (Number, error)
	// Check reports the activation's state and every message known so far.
	Check(ctx context.Context, ref string) (Status, error)
	// Cancel gives the number back (refunded upstream when no SMS came).
	Cancel(ctx context.Context, ref string) error
	// Finish closes an activation that got what it needed.
	Finish(ctx context.Context, ref string) error
	// Again asks for another SMS on a received number, free of charge;
	// ErrNotSupported where the upstream has no such call.
	Again(ctx context.Context, ref string) error
	// Balance is the upstream account's balance in Micros.
	Balance(ctx context.Context) (Micros, error)
}

// Pusher is implemented by providers that deliver messages as they arrive
// instead of (or as well as) waiting to be polled. The sink is called once
// per message, from a goroutine owned by the provider; it must not block.
type Pusher interface {
	Subscribe(sink func(ref string, m Message))
}

// AgainSupport is implemented by providers that can say up front whether
// they send another SMS on a number (5sim cannot), so that it is offered
// only where it works; without it, Again is assumed to work.
type AgainSupport interface {
	SupportsAgain() bool
}

// ExtendSupport is implemented by renters that can say up front whether
// they extend a rental (5sim cannot), so that an extension is offered
// only where it works; without it, ExtendRent is assumed to work.
type ExtendSupport interface {
	SupportsExtend() bool
}

// Banner is implemented by providers that can report a number as banned by
// the target service (SMS-Activate status 8, 5sim /ban), which cancels it.
type Banner interface {
	Ban(ctx context.Context, ref string) error
}

// OperatorSeller is implemented by providers that sell the numbers of a
// chosen mobile operator (SMS-Activate's operator parameter, 5sim's
// operator in the buy path), where numbers of one operator work for a
// service when another's do not.
type OperatorSeller interface {
	// Operators lists the operators whose numbers service can be bought
	// with in country now, each with its cost and stock. Names are lower
	// case (ValidOperator); "any" is never one of them.
	Operators(ctx context.Context, service, country string) ([]OperatorOffer, error)
	// BuyOperator is Buy restricted to one operator's numbers.
	BuyOperator(ctx context.Context, service, country, operator string, maxCost Micros) (Number, error)
}

// OperatorOffer is what one provider sells of one operator's numbers for
// a service in a country.
type OperatorOffer struct {
	Operator string
	Cost     Micros
	Stock    int
}

// Pick is what a person asks for: a service in a country, from one mobile
// operator or, with Operator "", from any.
type Pick struct {
	Service, Country, Operator string
}

// Offer is what one provider sells for one service in one country.
type Offer struct {
	Service string // canonical service code, e.g. "telegram"
	Country string // ISO 3166-1 alpha-2, lower case, e.g. "gb"
	Cost    Micros // what the provider charges us
	Stock   int    // numbers available now
}

// Number is a rented phone number.
type Number struct {
	Ref   string // the provider's activation id, opaque to callers
	Phone string // E.164, e.g. "+4915112345678"
	Cost  Micros // what the provider charged (or will charge) us
	// ExpiresAt is the upstream's own end of the activation when it says
	// so (5sim's expires); zero otherwise.
	ExpiresAt time.Time
}

// State is where an activation stands upstream.
type State string

// The states an activation can be in.
const (
	Waiting   State = "waiting"   // open, no SMS yet
	Received  State = "received"  // at least one SMS came; more may come
	Cancelled State = "cancelled" // given back
	Finished  State = "finished"  // closed after use
	Expired   State = "expired"   // upstream timed it out
	Banned    State = "banned"    // reported banned by the target service
)

// Status is an activation's state and all the messages known so far.
type Status struct {
	State    State
	Messages []Message
}

// Message is one SMS received on a number. Text and Sender are raw
// upstream text: whoever shows them must sanitise them.
type Message struct {
	// ID is stable per message, so polling the same activation again
	// yields the same IDs and callers can de-duplicate.
	ID         string
	Sender     string
	Text       string
	Code       string // the code in Text, "" when none was found
	ReceivedAt time.Time
}
