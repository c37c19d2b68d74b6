package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/checkout/session"

	"github.com/wantsms/wantsms/store"
)

// Stripe Checkout figures.
const (
	// DefaultSessionTTL is how long a Checkout page stays payable.
	DefaultSessionTTL = 30 * time.Minute
	// minSessionTTL is Stripe's shortest allowed expires_at (30 min after the
	// session is created, docs.stripe.com/api/checkout/sessions/create).
	minSessionTTL = 30 * time.Minute
	// maxSessionLife is Stripe's longest allowed expires_at (24 h).
	maxSessionLife = 24 * time.Hour
	// maxSessionTTL is ours: a top-up should not stay open for longer.
	maxSessionTTL = 60 * time.Minute
	// expirySlack is added to the TTL because Stripe measures its 30-minute
	// minimum from the moment it creates the session on its own clock:
	// latency, an SDK retry or clock skew would otherwise push expires_at
	// under the minimum and the request would be refused.
	expirySlack = 5 * time.Minute
	// skewMargin is the least headroom above Stripe's minimum we keep when
	// deciding locally that an order is too old for a session.
	skewMargin = time.Minute
	// stripeMaxCents is the largest amount Stripe accepts (eight digits).
	stripeMaxCents = 99_999_999
	// stripeHTTPTimeout bounds one API call; stripe-go's own default is 80 s,
	// too long for a person waiting in a terminal.
	stripeHTTPTimeout = 20 * time.Second
	// stripeRetries is stripe-go's default; retries are safe because every
	// create carries our idempotency key.
	stripeRetries = 2
	// maxOrderLen keeps "checkout-"+order under Stripe's 255-character
	// idempotency key and client_reference_id limits with room to spare.
	maxOrderLen = 64
	// productName is the only line item's name on the Checkout page.
	productName = "WantSMS credits"
)

// Errors of the Stripe client.
var (
	// ErrNotConfigured means the processor has no keys: the payment method
	// must not be offered.
	ErrNotConfigured = errors.New("payment method not configured")
	// ErrOrderTooOld means the order was opened too long ago for a new
	// Checkout session to honour Stripe's 30-minute minimum: open a new order.
	ErrOrderTooOld = errors.New("order too old for a checkout session")
)

// StripeConfig configures the Stripe Checkout client. An empty SecretKey
// makes a client that is not Configured.
type StripeConfig struct {
	// SecretKey is the API key, sk_test_… or sk_live_… (or a restricted rk_…).
	SecretKey string
	// WebhookSecret is the endpoint's signing secret, whsec_….
	WebhookSecret string
	// APIBase is the API's base URL; "" means api.stripe.com. Tests point it
	// at stripe-mock.
	APIBase string
	// PublicURL is our HTTP base, where the success and cancel pages live.
	PublicURL string
	// SessionTTL is how long a Checkout page stays payable: 30–60 minutes,
	// 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// HTTPClient carries the API calls; nil means a client with a 20 s timeout.
	HTTPClient *http.Client
}

// Stripe creates Checkout sessions and verifies Stripe's webhooks. It keeps
// no global state of stripe-go, so several can live in one process.
type Stripe struct {
	cfg      StripeConfig
	sessions *session.Client
}

// Checkout is a created Checkout session: send the person to URL.
type Checkout struct {
	SessionID string
	URL       string
	// PaymentIntentID is often empty: since API 2022-08-01 Stripe creates the
	// PaymentIntent only when the person pays; the webhook carries it then.
	PaymentIntentID string
	ExpiresAt       time.Time
}

// NewStripe checks cfg and builds a client with its own backend.
func NewStripe(cfg StripeConfig) (*Stripe, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	s := &Stripe{cfg: cfg}
	if !s.Configured() {
		return s, nil
	}
	bc := &stripe.BackendConfig{
		HTTPClient:        cfg.HTTPClient,
		MaxNetworkRetries: stripe.Int64(stripeRetries),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		// stripe-go reports the ids and durations of earlier requests in a
		// header unless told not to (its global default is on, whatever the
		// field's doc says): Stripe gets what a payment needs, no telemetry.
		EnableTelemetry: stripe.Bool(false),
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(cfg.APIBase)
	}
	s.sessions = &session.Client{B: stripe.GetBackendWithConfig(stripe.APIBackend, bc), Key: cfg.SecretKey}
	return s, nil
}

// normalize fills defaults and rejects a configuration that cannot work.
func (c *StripeConfig) normalize() error {
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.SessionTTL < minSessionTTL || c.SessionTTL > maxSessionTTL {
		return fmt.Errorf("stripe: session TTL %v outside %v–%v", c.SessionTTL, minSessionTTL, maxSessionTTL)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: stripeHTTPTimeout}
	}
	if c.SecretKey == "" {
		if c.WebhookSecret != "" {
			return errors.New("stripe: webhook secret set without a secret key")
		}
		return nil
	}
	if !strings.HasPrefix(c.SecretKey, "sk_") && !strings.HasPrefix(c.SecretKey, "rk_") {
		return errors.New("stripe: secret key must start with sk_ or rk_")
	}
	if !strings.HasPrefix(c.WebhookSecret, "whsec_") {
		return errors.New("stripe: webhook secret must start with whsec_")
	}
	base, err := checkBaseURL(c.PublicURL)
	if err != nil {
		return fmt.Errorf("stripe: public URL: %w", err)
	}
	c.PublicURL = base
	return nil
}

// checkBaseURL accepts an absolute http(s) URL and drops a trailing slash.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an absolute http(s) base URL", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

// Configured reports whether card payments can be offered.
func (s *Stripe) Configured() bool { return s.cfg.SecretKey != "" }

// IsLiveKey reports whether the key moves real money (sk_live_ or rk_live_):
// the server refuses to run the simulated number provider next to one.
func (s *Stripe) IsLiveKey() bool {
	return strings.HasPrefix(s.cfg.SecretKey, "sk_live_") || strings.HasPrefix(s.cfg.SecretKey, "rk_live_")
}

// IdempotencyKey is the Idempotency-Key sent when creating the session of
// an order, so a repeated create returns the first session.
func IdempotencyKey(orderNumber string) string { return "checkout-" + orderNumber }

// CreateCheckout creates the Checkout session that pays for an order of
// amountCents. openedAt is when the order was opened (stored with it): the
// session expires at openedAt+TTL+slack, so a retry for the same order sends
// the very same parameters and Stripe's idempotency answers with the first
// session instead of an idempotency_error. Nothing about the person (no
// email) is sent. The API error, if any, is a wrapped *stripe.Error.
func (s *Stripe) CreateCheckout(ctx context.Context, orderNumber string, amountCents int64, openedAt time.Time) (Checkout, error) {
	if !s.Configured() {
		return Checkout{}, ErrNotConfigured
	}
	if err := checkOrder(orderNumber, amountCents); err != nil {
		return Checkout{}, err
	}
	expires := openedAt.Add(s.cfg.SessionTTL + expirySlack)
	switch left := time.Until(expires); {
	case left < minSessionTTL+skewMargin:
		return Checkout{}, fmt.Errorf("stripe checkout for order %s opened at %s: %w",
			orderNumber, openedAt.Format(time.RFC3339), ErrOrderTooOld)
	case left > maxSessionLife:
		return Checkout{}, fmt.Errorf("stripe checkout for order %s: opened in the future (%s)",
			orderNumber, openedAt.Format(time.RFC3339))
	}
	p := s.checkoutParams(orderNumber, amountCents, expires)
	p.Context = ctx
	cs, err := s.sessions.New(p)
	if err != nil {
		return Checkout{}, fmt.Errorf("stripe checkout for order %s: %w", orderNumber, err)
	}
	if cs.ID == "" || cs.URL == "" {
		return Checkout{}, fmt.Errorf("stripe checkout for order %s: session without id or url", orderNumber)
	}
	c := Checkout{SessionID: cs.ID, URL: cs.URL, ExpiresAt: time.Unix(cs.ExpiresAt, 0)}
	if cs.PaymentIntent != nil {
		c.PaymentIntentID = cs.PaymentIntent.ID
	}
	return c, nil
}

// checkOrder refuses order numbers that would break a URL, a metadata value
// or the idempotency key, and amounts Stripe would refuse.
func checkOrder(order string, cents int64) error {
	if order == "" || len(order) > maxOrderLen || strings.IndexFunc(order, notOrderRune) >= 0 {
		return fmt.Errorf("stripe checkout: order number %q: want 1–%d of A–Z a–z 0–9 - _", order, maxOrderLen)
	}
	if cents < stripeMinChargeCents || cents > stripeMaxCents {
		return fmt.Errorf("stripe checkout for order %s: amount %s outside %s–%s",
			order, store.FormatCents(cents), store.FormatCents(stripeMinChargeCents), store.FormatCents(stripeMaxCents))
	}
	return nil
}

func notOrderRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

// checkoutParams builds the create request: one USD line item, the order
// number as client_reference_id and as metadata on both the session and its
// PaymentIntent (so a refund or dispute leads back to the order).
func (s *Stripe) checkoutParams(order string, cents int64, expires time.Time) *stripe.CheckoutSessionParams {
	meta := map[string]string{"order": order}
	p := &stripe.CheckoutSessionParams{
		Mode: stripe.String(string(stripe.CheckoutSessionModePayment)),
		LineItems: []*stripe.CheckoutSessionLineItemParams{{
			Quantity: stripe.Int64(1),
			PriceData: &stripe.CheckoutSessionLineItemPriceDataParams{
				Currency:    stripe.String(string(stripe.CurrencyUSD)),
				UnitAmount:  stripe.Int64(cents),
				ProductData: &stripe.CheckoutSessionLineItemPriceDataProductDataParams{Name: stripe.String(productName)},
			},
		}},
		ClientReferenceID: stripe.String(order),
		Metadata:          meta,
		PaymentIntentData: &stripe.CheckoutSessionPaymentIntentDataParams{Metadata: meta},
		ExpiresAt:         stripe.Int64(expires.Unix()),
		SuccessURL:        stripe.String(s.cfg.PublicURL + "/pay/done?order=" + url.QueryEscape(order)),
		CancelURL:         stripe.String(s.cfg.PublicURL + "/pay/cancelled"),
	}
	p.SetIdempotencyKey(IdempotencyKey(order))
	return p
}
