// Package stripetest builds Stripe webhook events the way Stripe sends
// them — Checkout session events, and the refunds and disputes of their
// charges — and signs them with an endpoint secret
// (webhook.GenerateTestSignedPayload), for tests and for `wantsms dev
// stripe-event`, which fires one at a local server by hand. stripe-mock
// sends no webhooks, so this is how a payment is completed (or taken
// back) locally.
//
// May import from this repository: nothing.
package stripetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// postTimeout bounds one delivery.
const postTimeout = 30 * time.Second

// Event describes one Checkout event. Zero fields get the values of a
// paid card session.
type Event struct {
	ID            string // evt_…; "" draws one from the session id and type
	Type          string // checkout.session.completed, …
	SessionID     string // cs_…
	Order         string // client_reference_id and metadata["order"]
	PaymentStatus string // "paid" (default) or "unpaid"
	PaymentIntent string // pi_…
	AmountTotal   int64  // cents
	Currency      string // default "usd"
	Livemode      bool
	APIVersion    string // default stripe.APIVersion
}

// Payload is the JSON body Stripe would post.
func Payload(e Event) []byte {
	if e.ID == "" {
		e.ID = "evt_" + e.SessionID + "_" + e.Type
	}
	if e.PaymentStatus == "" {
		e.PaymentStatus = string(stripe.CheckoutSessionPaymentStatusPaid)
	}
	if e.Currency == "" {
		e.Currency = "usd"
	}
	if e.APIVersion == "" {
		e.APIVersion = stripe.APIVersion
	}
	status := "complete"
	if e.Type == string(stripe.EventTypeCheckoutSessionExpired) {
		status = "expired"
	}
	var pi any
	if e.PaymentIntent != "" {
		pi = e.PaymentIntent
	}
	obj := map[string]any{
		"id": e.SessionID, "object": "checkout.session", "mode": "payment", "status": status,
		"payment_status": e.PaymentStatus, "payment_intent": pi, "client_reference_id": e.Order,
		"metadata": map[string]string{"order": e.Order}, "currency": e.Currency, "amount_total": e.AmountTotal,
		"livemode": e.Livemode,
	}
	ev := map[string]any{
		"id": e.ID, "object": "event", "type": e.Type, "api_version": e.APIVersion, "created": time.Now().Unix(),
		"livemode": e.Livemode, "pending_webhooks": 1, "data": map[string]any{"object": obj},
	}
	b, _ := json.Marshal(ev) // maps of strings and numbers always encode
	return b
}

// ChargeEvent describes a refund (charge.refunded, whose object is the
// charge) or a dispute (charge.dispute.created, whose object is the
// dispute) of a card payment.
type ChargeEvent struct {
	ID            string // evt_…; "" draws one from the PaymentIntent, type and amounts
	Type          string // charge.refunded or charge.dispute.created
	PaymentIntent string // pi_…
	Amount        int64  // the charge's amount, or the disputed amount
	Refunded      int64  // charge.refunded: amount_refunded so far (0: all of Amount)
	Currency      string // default "usd"
	Livemode      bool
}

// ChargePayload is the JSON body Stripe would post for e.
func ChargePayload(e ChargeEvent) []byte {
	if e.Currency == "" {
		e.Currency = "usd"
	}
	if e.Refunded == 0 {
		e.Refunded = e.Amount
	}
	if e.ID == "" {
		e.ID = fmt.Sprintf("evt_%s_%s_%d_%d", e.PaymentIntent, e.Type, e.Amount, e.Refunded)
	}
	var obj map[string]any
	if e.Type == string(stripe.EventTypeChargeDisputeCreated) {
		obj = map[string]any{"id": "dp_" + e.ID, "object": "dispute", "amount": e.Amount, "currency": e.Currency,
			"charge": "ch_" + e.PaymentIntent, "payment_intent": e.PaymentIntent, "reason": "fraudulent",
			"status": "needs_response", "livemode": e.Livemode}
	} else {
		obj = map[string]any{"id": "ch_" + e.PaymentIntent, "object": "charge", "amount": e.Amount,
			"amount_captured": e.Amount, "amount_refunded": e.Refunded, "refunded": e.Refunded >= e.Amount,
			"currency": e.Currency, "payment_intent": e.PaymentIntent, "paid": true, "status": "succeeded",
			"livemode": e.Livemode}
	}
	ev := map[string]any{
		"id": e.ID, "object": "event", "type": e.Type, "api_version": stripe.APIVersion, "created": time.Now().Unix(),
		"livemode": e.Livemode, "pending_webhooks": 1, "data": map[string]any{"object": obj},
	}
	b, _ := json.Marshal(ev) // maps of strings, numbers and booleans always encode
	return b
}

// PostCharge delivers a signed refund or dispute event and returns the
// HTTP status.
func PostCharge(ctx context.Context, url, secret string, e ChargeEvent) (int, error) {
	body := ChargePayload(e)
	return PostRaw(ctx, url, body, Sign(body, secret, time.Time{}))
}

// Sign returns the Stripe-Signature header of payload signed with secret at
// the given time (zero: now).
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret,
		Timestamp: at}).Header
}

// Post delivers a signed event to a webhook URL and returns the HTTP status.
func Post(ctx context.Context, url, secret string, e Event) (int, error) {
	body := Payload(e)
	return PostRaw(ctx, url, body, Sign(body, secret, time.Time{}))
}

// PostRaw delivers body with the given Stripe-Signature header.
func PostRaw(ctx context.Context, url string, body []byte, signature string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, postTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("stripe event: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", signature)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("stripe event: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, nil
}
