package provider

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WebhookSignatureHeader is the HTTP header that carries a pushed SMS's
// signature: hex HMAC-SHA256 of the raw body with our shared secret.
const WebhookSignatureHeader = "X-Webhook-Signature"

// webhookTimeLayout is SMS-Activate's receivedAt format; its time zone is
// unconfirmed upstream, so it is read as UTC.
const webhookTimeLayout = "2006-01-02 15:04:05"

// Push is one SMS pushed to us by an upstream.
type Push struct {
	Ref        string // the activation id, as Number.Ref
	ID         string // same as the polled Message.ID for this SMS
	Text       string // raw text: sanitise before showing
	Code       string // upstream's code, or ExtractCode(Text) when it gives none
	ReceivedAt time.Time
}

// webhookBody is SMS-Activate's activation webhook.
type webhookBody struct {
	ActivationID Numeric `json:"activationId"`
	Service      string  `json:"service"`
	Text         string  `json:"text"`
	Code         string  `json:"code"`
	Country      Numeric `json:"country"`
	ReceivedAt   string  `json:"receivedAt"`
}

// ParseWebhook checks a pushed SMS's signature and reads it. The body is
// shaped like SMS-Activate's activation webhook
// ({"activationId":123456,"service":"go","text":"…","code":"12345",
// "country":0,"receivedAt":"2025-01-01 12:00:00"}); activationId may be a
// number or a string. signatureHeader is the value of
// WebhookSignatureHeader (an optional "sha256=" prefix is allowed). A
// missing or wrong signature, or an empty secret, is ErrBadSignature.
func ParseWebhook(secret []byte, signatureHeader string, body []byte) (Push, error) {
	if err := checkSignature(secret, signatureHeader, body); err != nil {
		return Push{}, err
	}
	var w webhookBody
	if err := json.Unmarshal(body, &w); err != nil {
		return Push{}, fmt.Errorf("webhook: %w", err)
	}
	id, err := w.ActivationID.Int()
	if err != nil || id <= 0 {
		return Push{}, fmt.Errorf("webhook: activationId %q is not a positive integer", w.ActivationID)
	}
	at, err := parseWebhookTime(w.ReceivedAt)
	if err != nil {
		return Push{}, fmt.Errorf("webhook: receivedAt: %w", err)
	}
	code := w.Code
	if code == "" {
		code = ExtractCode(w.Text)
	}
	return Push{
		Ref:        strconv.FormatInt(id, 10),
		ID:         MessageID(code, w.Text),
		Text:       w.Text,
		Code:       code,
		ReceivedAt: at,
	}, nil
}

func checkSignature(secret []byte, header string, body []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("webhook: no secret configured: %w", ErrBadSignature)
	}
	h := strings.TrimPrefix(strings.TrimSpace(header), "sha256=")
	got, err := hex.DecodeString(h)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("webhook: malformed or missing signature: %w", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("webhook: %w", ErrBadSignature)
	}
	return nil
}

func parseWebhookTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(webhookTimeLayout, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("not a time: " + Excerpt([]byte(s)))
	}
	return t.UTC(), nil
}

// SignWebhook is the signature ParseWebhook expects for body: hex
// HMAC-SHA256 with secret. For tests and the load tool.
func SignWebhook(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// MessageID is the stable id of an SMS known only by its code and text:
// distinct codes are distinct messages; without a code, the text decides.
// Adapters and webhooks use it alike, so a pushed SMS and the same SMS
// polled later de-duplicate.
func MessageID(code, text string) string {
	key := "c:" + code
	if code == "" {
		key = "t:" + text
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}
