package billing

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/wantsms/wantsms/store"
)

// The Checkout event types WantSMS acts on (payment mode).
const (
	// EventCheckoutCompleted: the person finished Checkout; credit when
	// PaymentStatus is "paid", wait when "unpaid" (a delayed method).
	EventCheckoutCompleted = string(stripe.EventTypeCheckoutSessionCompleted)
	// EventCheckoutAsyncSucceeded: a delayed payment arrived; credit.
	EventCheckoutAsyncSucceeded = string(stripe.EventTypeCheckoutSessionAsyncPaymentSucceeded)
	// EventCheckoutAsyncFailed: a delayed payment failed.
	EventCheckoutAsyncFailed = string(stripe.EventTypeCheckoutSessionAsyncPaymentFailed)
	// EventCheckoutExpired: the session expired unpaid.
	EventCheckoutExpired = string(stripe.EventTypeCheckoutSessionExpired)
	// EventChargeRefunded: money of a charge was given back (in part or
	// whole); its credits are taken back.
	EventChargeRefunded = string(stripe.EventTypeChargeRefunded)
	// EventDisputeCreated: the payer's bank disputes a charge and Stripe
	// withdrew the amount; its credits are taken back.
	EventDisputeCreated = string(stripe.EventTypeChargeDisputeCreated)
)

// PaymentStatusPaid is a Checkout session's payment_status once funds are
// guaranteed.
const PaymentStatusPaid = string(stripe.CheckoutSessionPaymentStatusPaid)

// Errors of ParseWebhook.
var (
	// ErrBadSignature means the Stripe-Signature header is missing, garbled,
	// too old or does not match: answer 400 and credit nothing.
	ErrBadSignature = errors.New("stripe webhook: bad signature")
	// ErrMalformedEvent means a correctly signed body that is not a usable
	// event: answer 400 so it shows in Stripe's dashboard.
	ErrMalformedEvent = errors.New("stripe webhook: malformed event")
)

// StripeEvent is what a verified webhook says about a Checkout session or,
// for a refund or dispute, about a charge. Handled is false for other event
// types (and for charges made outside Checkout, without a PaymentIntent):
// the HTTP layer answers 2xx and ignores them; then only ID, Type,
// APIVersion and Livemode are set.
type StripeEvent struct {
	ID, Type   string
	APIVersion string
	Handled    bool
	Livemode   bool

	// Reversal is set for charge.refunded and charge.dispute.created, with
	// PaymentIntentID, Currency and ReversalMinor: the charge's amount
	// refunded so far, or the amount disputed, in the currency's smallest
	// unit.
	Reversal      store.ReversalKind
	ReversalMinor int64

	SessionID         string
	Status            string // open, complete or expired
	PaymentStatus     string // paid, unpaid or no_payment_required
	PaymentIntentID   string
	ClientReferenceID string
	OrderNumber       string // metadata["order"]
	Currency          string // lower case ISO code, "usd"
	AmountTotal       int64  // cents
}

// sessionObject holds the few session fields we read. Decoding them
// ourselves, rather than into stripe.CheckoutSession, keeps an event of
// another API version from failing on a field we never use.
type sessionObject struct {
	Object            string            `json:"object"`
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	PaymentStatus     string            `json:"payment_status"`
	PaymentIntent     idOrObject        `json:"payment_intent"`
	ClientReferenceID string            `json:"client_reference_id"`
	Metadata          map[string]string `json:"metadata"`
	Currency          string            `json:"currency"`
	AmountTotal       int64             `json:"amount_total"`
}

// idOrObject reads an expandable field: "pi_…", {"id":"pi_…",…} or null.
type idOrObject string

func (v *idOrObject) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*v = idOrObject(s)
		return nil
	}
	var o struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	*v = idOrObject(o.ID)
	return nil
}

// ParseWebhook verifies a webhook body against its Stripe-Signature header
// (default tolerance, 5 minutes) and extracts the Checkout session. payload
// must be the raw body, byte for byte.
//
// API version: stripe-go refuses, by default, events whose api_version is
// not its own (2023-10-16). We turn that check off. An endpoint created from
// the Dashboard gets the account's default version, often newer; with the
// check on, every event of such an endpoint would be refused and the person
// never credited, while Stripe retried for days. The check protects the SDK's
// own decoding of whole objects; we decode only stable session fields
// ourselves, and the signature, which is what makes an event trustworthy, is
// still verified. APIVersion is reported so a mismatch can be logged.
func (s *Stripe) ParseWebhook(payload []byte, sigHeader string) (StripeEvent, error) {
	if !s.Configured() {
		return StripeEvent{}, ErrNotConfigured
	}
	ev, err := webhook.ConstructEventWithOptions(payload, sigHeader, s.cfg.WebhookSecret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		if isSignatureError(err) {
			return StripeEvent{}, fmt.Errorf("%w: %w", ErrBadSignature, err)
		}
		return StripeEvent{}, fmt.Errorf("%w: %w", ErrMalformedEvent, err)
	}
	if ev.ID == "" || ev.Type == "" {
		return StripeEvent{}, fmt.Errorf("%w: no id or type", ErrMalformedEvent)
	}
	out := StripeEvent{ID: ev.ID, Type: string(ev.Type), APIVersion: ev.APIVersion, Livemode: ev.Livemode}
	var fill func(*StripeEvent, *stripe.EventData) error
	switch {
	case isCheckoutEvent(out.Type):
		fill = fillSession
	case out.Type == EventChargeRefunded:
		fill = fillRefund
	case out.Type == EventDisputeCreated:
		fill = fillDispute
	default:
		return out, nil
	}
	if err := fill(&out, ev.Data); err != nil {
		return StripeEvent{}, fmt.Errorf("%w: event %s (%s): %w", ErrMalformedEvent, out.ID, out.Type, err)
	}
	out.Handled = out.SessionID != "" || out.PaymentIntentID != ""
	return out, nil
}

func isSignatureError(err error) bool {
	return errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrTooOld) ||
		errors.Is(err, webhook.ErrInvalidHeader) || errors.Is(err, webhook.ErrNotSigned)
}

func isCheckoutEvent(t string) bool {
	switch t {
	case EventCheckoutCompleted, EventCheckoutAsyncSucceeded, EventCheckoutAsyncFailed, EventCheckoutExpired:
		return true
	}
	return false
}

// fillSession decodes data.object as a Checkout session into out.
func fillSession(out *StripeEvent, data *stripe.EventData) error {
	if data == nil || len(data.Raw) == 0 {
		return errors.New("no data.object")
	}
	var cs sessionObject
	if err := json.Unmarshal(data.Raw, &cs); err != nil {
		return fmt.Errorf("data.object: %w", err)
	}
	if cs.Object != "checkout.session" || cs.ID == "" {
		return fmt.Errorf("data.object is %q %q, want a checkout.session with an id", cs.Object, cs.ID)
	}
	out.SessionID = cs.ID
	out.Status = cs.Status
	out.PaymentStatus = cs.PaymentStatus
	out.PaymentIntentID = string(cs.PaymentIntent)
	out.ClientReferenceID = cs.ClientReferenceID
	out.OrderNumber = cs.Metadata["order"]
	out.Currency = cs.Currency
	out.AmountTotal = cs.AmountTotal
	return nil
}

// chargeObject holds the few fields of a charge (charge.refunded) or a
// dispute (charge.dispute.created) we read.
type chargeObject struct {
	Object         string     `json:"object"`
	ID             string     `json:"id"`
	PaymentIntent  idOrObject `json:"payment_intent"`
	Currency       string     `json:"currency"`
	Amount         int64      `json:"amount"`
	AmountRefunded int64      `json:"amount_refunded"`
}

// decodeCharge decodes data.object as an object of the given kind.
func decodeCharge(data *stripe.EventData, object string) (chargeObject, error) {
	if data == nil || len(data.Raw) == 0 {
		return chargeObject{}, errors.New("no data.object")
	}
	var c chargeObject
	if err := json.Unmarshal(data.Raw, &c); err != nil {
		return chargeObject{}, fmt.Errorf("data.object: %w", err)
	}
	if c.Object != object || c.ID == "" {
		return chargeObject{}, fmt.Errorf("data.object is %q %q, want a %s with an id", c.Object, c.ID, object)
	}
	if c.Amount < 0 || c.AmountRefunded < 0 {
		return chargeObject{}, fmt.Errorf("%s %s: negative amount", object, c.ID)
	}
	return c, nil
}

// fillRefund decodes a refunded charge: Stripe reports the running total
// refunded, so a replay or a late delivery says nothing new.
func fillRefund(out *StripeEvent, data *stripe.EventData) error {
	c, err := decodeCharge(data, "charge")
	if err != nil {
		return err
	}
	out.Reversal, out.ReversalMinor = store.ReversalRefund, c.AmountRefunded
	out.PaymentIntentID, out.Currency = string(c.PaymentIntent), c.Currency
	return nil
}

// fillDispute decodes a dispute: the amount Stripe withdrew for it.
func fillDispute(out *StripeEvent, data *stripe.EventData) error {
	d, err := decodeCharge(data, "dispute")
	if err != nil {
		return err
	}
	out.Reversal, out.ReversalMinor = store.ReversalDispute, d.Amount
	out.PaymentIntentID, out.Currency = string(d.PaymentIntent), d.Currency
	return nil
}
