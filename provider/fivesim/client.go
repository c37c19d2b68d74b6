// Package fivesim is a client for the 5sim REST API v1 (Bearer token,
// JSON). It buys activations with operator "any", polls orders, and maps
// 5sim's HTTP errors and 400 texts to the provider package's typed
// errors. Only protocol data is sent: the token, and for guest calls not
// even that.
//
// May import from this repository: provider.
package fivesim

import (
	"context"
	"encoding/json"
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
const Name = "fivesim"

// DefaultBaseURL is 5sim's API root (5sim.net/docs).
const DefaultBaseURL = "https://5sim.net/v1"

// DefaultTimeout bounds one upstream call; 5sim answers in well under a
// second, and a slow call is better retried than waited for.
const DefaultTimeout = 15 * time.Second

// maxBody bounds what we read from an answer; the full price list is the
// largest, about a megabyte.
const maxBody = 8 << 20

// Config configures a Client.
type Config struct {
	Name    string // provider name; default "fivesim"
	BaseURL string // default DefaultBaseURL
	Token   string // API key, sent as a Bearer token
	// HTTPClient makes the calls; default an http.Client with DefaultTimeout.
	HTTPClient *http.Client
	// CurrencyRate is Micros per unit of the account's currency; default
	// provider.Dollar.
	CurrencyRate provider.Micros
	// Log records the orders cancelled because a buy's answer named one
	// we could not use; default: discarded.
	Log *slog.Logger
}

// Client talks to 5sim. It implements provider.Provider and
// provider.Banner.
type Client struct {
	cfg  Config
	base string
}

// New checks cfg and makes a Client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fivesim: bad base URL %q", cfg.BaseURL)
	}
	if cfg.Token == "" {
		return nil, errors.New("fivesim: no token")
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
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/")}, nil
}

// Name is the configured provider name.
func (c *Client) Name() string { return c.cfg.Name }

// request is one API call: a path under the base, and what a 404 means.
type request struct {
	op       string // for messages: "buy", "check", …
	path     string
	query    url.Values
	guest    bool  // no token: guest endpoints need none
	notFound error // what HTTP 404 means here
}

// do runs r and decodes a 200 answer into out.
func (c *Client) do(ctx context.Context, r request, out any) error {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%s %s: %w", c.cfg.Name, r.op, err)
	}
	req.Header.Set("Accept", "application/json")
	if !r.guest {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s %s: %w: %v", c.cfg.Name, r.op, provider.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%s %s: %w: reading answer: %v", c.cfg.Name, r.op, provider.ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return c.httpError(r, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		if sentinel := textError(errText(body)); sentinel != nil {
			return fmt.Errorf("%s %s: %w (upstream %s)", c.cfg.Name, r.op, sentinel, provider.Excerpt(body))
		}
		return fmt.Errorf("%s %s: %w: %v in %s", c.cfg.Name, r.op, provider.ErrUnavailable, err, provider.Excerpt(body))
	}
	return nil
}

// httpError maps 5sim's HTTP errors (protocol doc §2).
func (c *Client) httpError(r request, status int, body []byte) error {
	var sentinel error
	switch {
	case status == http.StatusBadRequest:
		sentinel = textError(errText(body))
		if sentinel == nil {
			sentinel = provider.ErrUnavailable
		}
	case status == http.StatusNotFound && r.notFound != nil:
		sentinel = r.notFound
	default: // 401 bad token, 429 rate limit, 503 offline, anything else
		sentinel = provider.ErrUnavailable
	}
	return fmt.Errorf("%s %s: %w (HTTP %d %s)", c.cfg.Name, r.op, sentinel, status, provider.Excerpt(body))
}

// errText is the message of an error answer: plain text, or the
// "message" of a JSON object.
func errText(body []byte) string {
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &m) == nil && m.Message != "" {
		return strings.ToLower(m.Message)
	}
	var s string
	if json.Unmarshal(body, &s) == nil {
		return strings.ToLower(s)
	}
	return strings.ToLower(strings.TrimSpace(string(body)))
}

// textError maps 5sim's 400 texts; validation texts name the field at
// fault. nil when the text is not one we know.
func textError(text string) error {
	switch {
	case strings.Contains(text, "no free phones"):
		return provider.ErrNoNumbers
	case strings.Contains(text, "not enough user balance"):
		return provider.ErrNoBalance
	case strings.Contains(text, "not enough rating"):
		return provider.ErrUnavailable // too many open orders: try another provider
	case strings.Contains(text, "order has sms"), strings.Contains(text, "order expired"),
		strings.Contains(text, "hosting order"):
		return provider.ErrBadState
	case strings.Contains(text, "order not found"):
		return provider.ErrUnknownActivation
	case strings.Contains(text, "country"), strings.Contains(text, "product"), strings.Contains(text, "operator"):
		return provider.ErrBadService
	}
	return nil
}

var (
	_ provider.Provider     = (*Client)(nil)
	_ provider.Banner       = (*Client)(nil)
	_ provider.AgainSupport = (*Client)(nil)

	_ provider.OperatorSeller = (*Client)(nil)
)
