package billing

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
)

// eventJSON builds a webhook body the way Stripe sends it for a Checkout
// session; paymentIntent is the raw JSON of the expandable field.
func eventJSON(t *testing.T, typ, apiVersion, paymentStatus, paymentIntent string) []byte {
	t.Helper()
	obj := map[string]any{
		"id": "cs_test_a1", "object": "checkout.session", "status": "complete",
		"payment_status": paymentStatus, "payment_intent": json.RawMessage(paymentIntent),
		"client_reference_id": "T-42", "metadata": map[string]string{"order": "T-42"},
		"currency": "usd", "amount_total": 2500, "livemode": false, "mode": "payment",
	}
	ev := map[string]any{
		"id": "evt_test_1", "object": "event", "type": typ, "api_version": apiVersion,
		"created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": obj},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{
		Payload: payload, Secret: secret, Timestamp: at,
	}).Header
}

func webhookStripe(t *testing.T) *Stripe {
	t.Helper()
	s, err := NewStripe(StripeConfig{SecretKey: testKey, WebhookSecret: testWebhook, PublicURL: testPublic})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseWebhookCheckoutEvents(t *testing.T) {
	s := webhookStripe(t)
	for _, typ := range []string{EventCheckoutCompleted, EventCheckoutAsyncSucceeded, EventCheckoutAsyncFailed, EventCheckoutExpired} {
		body := eventJSON(t, typ, stripe.APIVersion, "paid", `"pi_test_9"`)
		ev, err := s.ParseWebhook(body, sign(body, testWebhook, time.Time{}))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		want := StripeEvent{
			ID: "evt_test_1", Type: typ, APIVersion: stripe.APIVersion, Handled: true,
			SessionID: "cs_test_a1", Status: "complete", PaymentStatus: PaymentStatusPaid,
			PaymentIntentID: "pi_test_9", ClientReferenceID: "T-42", OrderNumber: "T-42",
			Currency: "usd", AmountTotal: 2500,
		}
		if ev != want {
			t.Errorf("%s:\n got %+v\nwant %+v", typ, ev, want)
		}
	}
}

func TestParseWebhookPaymentIntentShapes(t *testing.T) {
	s := webhookStripe(t)
	for raw, want := range map[string]string{
		`null`: "",
		`{"id":"pi_test_x","object":"payment_intent"}`: "pi_test_x",
	} {
		body := eventJSON(t, EventCheckoutCompleted, stripe.APIVersion, "unpaid", raw)
		ev, err := s.ParseWebhook(body, sign(body, testWebhook, time.Time{}))
		if err != nil || ev.PaymentIntentID != want || ev.PaymentStatus != "unpaid" {
			t.Errorf("payment_intent %s: %+v, %v", raw, ev, err)
		}
	}
}

// An endpoint made in the Dashboard sends the account's API version; its
// events must still be accepted.
func TestParseWebhookOtherAPIVersion(t *testing.T) {
	s := webhookStripe(t)
	body := eventJSON(t, EventCheckoutCompleted, "2025-03-31.basil", "paid", `"pi_1"`)
	ev, err := s.ParseWebhook(body, sign(body, testWebhook, time.Time{}))
	if err != nil || !ev.Handled || ev.APIVersion != "2025-03-31.basil" || ev.SessionID != "cs_test_a1" {
		t.Fatalf("%+v, %v", ev, err)
	}
}

func TestParseWebhookIgnoredType(t *testing.T) {
	s := webhookStripe(t)
	body := eventJSON(t, "payment_intent.succeeded", stripe.APIVersion, "paid", `"pi_1"`)
	ev, err := s.ParseWebhook(body, sign(body, testWebhook, time.Time{}))
	if err != nil || ev.Handled || ev.Type != "payment_intent.succeeded" || ev.ID != "evt_test_1" || ev.SessionID != "" {
		t.Fatalf("%+v, %v", ev, err)
	}
}

func TestParseWebhookBadSignatures(t *testing.T) {
	s := webhookStripe(t)
	body := eventJSON(t, EventCheckoutCompleted, stripe.APIVersion, "paid", `"pi_1"`)
	tampered := []byte(strings.Replace(string(body), `"amount_total":2500`, `"amount_total":250000`, 1))
	cases := []struct {
		name    string
		payload []byte
		header  string
		cause   error
	}{
		{"forged", body, sign(body, "whsec_someone_else", time.Time{}), webhook.ErrNoValidSignature},
		{"tampered body", tampered, sign(body, testWebhook, time.Time{}), webhook.ErrNoValidSignature},
		{"old", body, sign(body, testWebhook, time.Now().Add(-10*time.Minute)), webhook.ErrTooOld},
		{"unsigned", body, "", webhook.ErrNotSigned},
		{"garbled", body, "t=yesterday,v1=00", webhook.ErrInvalidHeader},
		{"no v1", body, "t=1,v0=abc", webhook.ErrNoValidSignature},
	}
	for _, c := range cases {
		_, err := s.ParseWebhook(c.payload, c.header)
		if !errors.Is(err, ErrBadSignature) || !errors.Is(err, c.cause) {
			t.Errorf("%s: err = %v, want ErrBadSignature wrapping %v", c.name, err, c.cause)
		}
	}
}

// While a secret rolls, Stripe signs with both; either one verifies.
func TestParseWebhookRollingSecret(t *testing.T) {
	s := webhookStripe(t)
	body := eventJSON(t, EventCheckoutExpired, stripe.APIVersion, "unpaid", `null`)
	now := time.Now()
	old := sign(body, "whsec_old", now)
	cur := sign(body, testWebhook, now)
	header := old + "," + cur[strings.Index(cur, "v1="):]
	if ev, err := s.ParseWebhook(body, header); err != nil || !ev.Handled {
		t.Fatalf("%+v, %v", ev, err)
	}
}

func TestParseWebhookMalformed(t *testing.T) {
	s := webhookStripe(t)
	bodies := map[string]string{
		"not json":       `{"id":"evt_1","type":`,
		"no id":          `{"type":"checkout.session.completed","data":{"object":{"object":"checkout.session","id":"cs_1"}}}`,
		"no type":        `{"id":"evt_1","data":{"object":{}}}`,
		"wrong object":   `{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"object":"payment_intent","id":"pi_1"}}}`,
		"session no id":  `{"id":"evt_1","type":"checkout.session.expired","data":{"object":{"object":"checkout.session"}}}`,
		"bad field type": `{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"object":"checkout.session","id":"cs_1","amount_total":"lots"}}}`,
		"bad pi":         `{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"object":"checkout.session","id":"cs_1","payment_intent":7}}}`,
	}
	for name, b := range bodies {
		payload := []byte(b)
		_, err := s.ParseWebhook(payload, sign(payload, testWebhook, time.Time{}))
		if !errors.Is(err, ErrMalformedEvent) || errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrMalformedEvent", name, err)
		}
	}
}

func TestParseWebhookNotConfigured(t *testing.T) {
	s, err := NewStripe(StripeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	body := eventJSON(t, EventCheckoutCompleted, stripe.APIVersion, "paid", `"pi_1"`)
	if _, err := s.ParseWebhook(body, sign(body, "", time.Time{})); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("err = %v", err)
	}
}
