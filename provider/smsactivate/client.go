// Package smsactivate is a client for the SMS-Activate protocol
// (GET {base}/stubs/handler_api.php?api_key=…&action=…), spoken by
// SMS-Activate and its clones. Answers are parsed strictly: exact
// upper-case tokens, integer ids; anything else is
// provider.ErrUnavailable with the answer quoted. Only protocol
// parameters are ever sent upstream.
//
// May import from this repository: provider.
package smsactivate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Name is the adapter's default provider name.
const Name = "smsactivate"

// handlerPath is where the protocol lives on every speaker's host.
const handlerPath = "/stubs/handler_api.php"

// DefaultTimeout bounds one upstream call. Answers normally take well
// under a second; clients poll every 1–3 s (protocol doc §1.4), so a call
// slower than this is better retried than waited for.
const DefaultTimeout = 15 * time.Second

// maxBody bounds what we read from an answer; getPrices for all
// countries is the largest, a few hundred KiB.
const maxBody = 4 << 20

// Config configures a Client.
type Config struct {
	Name    string // provider name; default "smsactivate"
	BaseURL string // scheme and host, e.g. "https://api.sms-activate.org"
	APIKey  string
	// HTTPClient makes the calls; default an http.Client with DefaultTimeout.
	HTTPClient *http.Client
	// CurrencyRate is Micros per unit of the account's currency; default
	// provider.Dollar (USD). SMS-Activate accounts are in RUB: set the
	// rate (e.g. 11_000 for 0.011 USD per RUB).
	CurrencyRate provider.Micros
	// NumberV2 buys with getNumberV2 (JSON, tells the charged cost)
	// instead of getNumber plus a price quote.
	NumberV2 bool
	// Now stamps polled messages; default time.Now.
	Now func() time.Time
	// Log records the activations given back because an answer named one
	// we could not use; default: discarded.
	Log *slog.Logger
}

// Client talks to one SMS-Activate protocol speaker. It implements
// provider.Provider and provider.Banner.
type Client struct {
	cfg  Config
	base string
}

// New checks cfg and makes a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("smsactivate: bad base URL %q", cfg.BaseURL)
	}
	if cfg.APIKey == "" {
		return nil, errors.New("smsactivate: no API key")
	}
	if cfg.Name == "" {
		cfg.Name = Name
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if cfg.CurrencyRate <= 0 {
		cfg.CurrencyRate = provider.Dollar
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/") + handlerPath}, nil
}

// Name is the configured provider name.
func (c *Client) Name() string { return c.cfg.Name }

// call runs one action and returns the answer with surrounding white
// space removed. Transport failures and non-200 answers are
// ErrUnavailable; the error never holds the URL, which holds the key.
func (c *Client) call(ctx context.Context, action string, params url.Values) (string, error) {
	q := url.Values{"api_key": {c.cfg.APIKey}, "action": {action}}
	for k, v := range params {
		q[k] = v
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", c.cfg.Name, action, err)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL: it carries the API key
		}
		return "", fmt.Errorf("%s %s: %w: %v", c.cfg.Name, action, provider.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: reading answer: %v", c.cfg.Name, action, provider.ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: %w: HTTP %d %s", c.cfg.Name, action, provider.ErrUnavailable, resp.StatusCode, provider.Excerpt(body))
	}
	return strings.TrimSpace(string(body)), nil
}

// errorWords maps the protocol's error tokens (protocol doc §1.6) to our
// typed errors. A token may carry an argument after ':'
// (WRONG_MAX_PRICE:12.5, BANNED:…).
var errorWords = map[string]error{
	"NO_NUMBERS":                 provider.ErrNoNumbers,
	"ACCOUNT_INACTIVE":           provider.ErrNoNumbers, // read as "no free numbers"
	"OPERATORS_NOT_FOUND":        provider.ErrNoNumbers,
	"NO_BALANCE":                 provider.ErrNoBalance,
	"NO_BALANCE_FORWARD":         provider.ErrNoBalance,
	"BAD_SERVICE":                provider.ErrBadService,
	"WRONG_OPERATOR":             provider.ErrBadService,
	"SERVICE_UNAVAILABLE_REGION": provider.ErrUnavailable,
	"BAD_KEY":                    provider.ErrUnavailable,
	"BAD_ACTION":                 provider.ErrUnavailable,
	"ERROR_SQL":                  provider.ErrUnavailable,
	"BANNED":                     provider.ErrUnavailable,
	"WRONG_EXCEPTION_PHONE":      provider.ErrUnavailable,
	"BAD_STATUS":                 provider.ErrBadState,
	"WRONG_SECURITY":             provider.ErrBadState,
	"NO_ACTIVATION":              provider.ErrUnknownActivation,
	"WRONG_ACTIVATION_ID":        provider.ErrUnknownActivation,
	"INVALID_ACTIVATION_ID":      provider.ErrUnknownActivation,
	"EARLY_CANCEL_DENIED":        provider.ErrEarlyCancel,
	"WRONG_MAX_PRICE":            provider.ErrMaxPrice,
	"MAX_PRICE_EXCEEDED":         provider.ErrMaxPrice,
}

// upstreamError is the typed error for an answer that is an error word,
// or nil when the answer is not one.
func (c *Client) upstreamError(action, answer string) error {
	word, _, _ := strings.Cut(answer, ":")
	if sentinel, ok := errorWords[word]; ok {
		return fmt.Errorf("%s %s: %w (upstream %s)", c.cfg.Name, action, sentinel, provider.Excerpt([]byte(answer)))
	}
	return nil
}

// unexpected is the error for an answer we cannot read: an error word if
// it is one, else ErrUnavailable quoting it.
func (c *Client) unexpected(action, answer string) error {
	if err := c.upstreamError(action, answer); err != nil {
		return err
	}
	return fmt.Errorf("%s %s: %w: unexpected answer %s", c.cfg.Name, action, provider.ErrUnavailable, provider.Excerpt([]byte(answer)))
}

var (
	_ provider.Provider = (*Client)(nil)
	_ provider.Banner   = (*Client)(nil)
)
