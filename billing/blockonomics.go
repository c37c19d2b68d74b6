package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Blockonomics figures.
const (
	// DefaultBlockonomicsBase is the API host.
	DefaultBlockonomicsBase = "https://www.blockonomics.co"
	// DefaultPriceLock is how long a quoted BTC amount holds.
	DefaultPriceLock = 30 * time.Minute
	// minPriceLock and maxPriceLock bound the configured lock: shorter
	// leaves no time to pay, longer lets a payer bet against the market.
	minPriceLock = 5 * time.Minute
	maxPriceLock = 2 * time.Hour
	// defaultBlockonomicsTimeout bounds one API call.
	defaultBlockonomicsTimeout = 15 * time.Second
	// maxBlockonomicsBody caps a response read; real answers are tiny.
	maxBlockonomicsBody = 64 << 10
	// minCentsPerBTC and maxCentsPerBTC reject a price that cannot be right
	// ($1 and $10 billion per BTC) before it turns into a quote.
	minCentsPerBTC = 100
	maxCentsPerBTC = 1_000_000_000_000
	// maxPriceDigits bounds the price text; "12345678901.12345678" fits.
	maxPriceDigits = 32
	// maxRemoteMessage bounds an error message quoted from the API.
	maxRemoteMessage = 200
	// MinCallbackSecretLen is the shortest callback secret accepted: the
	// secret is all that stands between a stranger and our callback, so it
	// must not be guessable (32 random characters are far beyond that).
	MinCallbackSecretLen = 32
)

// ErrNoPrice means Blockonomics answered {"price": null}: the currency is
// not supported.
var ErrNoPrice = errors.New("blockonomics: no price for USD")

// BlockonomicsConfig configures the Bitcoin processor. With no APIKey the
// client is not Configured.
type BlockonomicsConfig struct {
	// APIKey authorizes new_address.
	APIKey string
	// CallbackSecret is the secret query parameter of the callback URL set
	// in the Blockonomics store.
	CallbackSecret string
	// APIBase is the API's base URL, "" means DefaultBlockonomicsBase.
	APIBase string
	// MatchCallback, when set, picks the store whose callback URL contains
	// it (for an account with several stores).
	MatchCallback string
	// PriceLock is how long a quote holds: 0 means DefaultPriceLock.
	PriceLock time.Duration
	// Timeout bounds one API call: 0 means 15 s.
	Timeout time.Duration
}

// Blockonomics talks to the Blockonomics API and verifies its callbacks.
type Blockonomics struct {
	cfg    BlockonomicsConfig
	client *http.Client
}

// BlockonomicsError is a non-200 answer of the API.
type BlockonomicsError struct {
	StatusCode int
	Message    string // from the body, control characters removed
}

func (e *BlockonomicsError) Error() string {
	return fmt.Sprintf("blockonomics: HTTP %d: %s", e.StatusCode, e.Message)
}

// NewBlockonomics checks cfg and fills its defaults.
func NewBlockonomics(cfg BlockonomicsConfig) (*Blockonomics, error) {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultBlockonomicsBase
	}
	base, err := checkBaseURL(cfg.APIBase)
	if err != nil {
		return nil, fmt.Errorf("blockonomics: API base: %w", err)
	}
	cfg.APIBase = base
	if cfg.PriceLock == 0 {
		cfg.PriceLock = DefaultPriceLock
	}
	if cfg.PriceLock < minPriceLock || cfg.PriceLock > maxPriceLock {
		return nil, fmt.Errorf("blockonomics: price lock %v outside %v–%v", cfg.PriceLock, minPriceLock, maxPriceLock)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultBlockonomicsTimeout
	}
	if (cfg.APIKey == "") != (cfg.CallbackSecret == "") {
		return nil, errors.New("blockonomics: API key and callback secret go together")
	}
	if n := len(cfg.CallbackSecret); n > 0 && n < MinCallbackSecretLen {
		return nil, fmt.Errorf("blockonomics: the callback secret has %d characters, want at least %d "+
			"(random, e.g. from `openssl rand -hex 24`)", n, MinCallbackSecretLen)
	}
	return &Blockonomics{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}}, nil
}

// Configured reports whether Bitcoin payments can be offered.
func (b *Blockonomics) Configured() bool { return b.cfg.APIKey != "" }

// PriceLock is how long a quote made from Price holds.
func (b *Blockonomics) PriceLock() time.Duration { return b.cfg.PriceLock }

// Price returns the BTC price in US cents per BTC, read from the decimal
// text of the answer (never through a float) and rounded to the cent.
func (b *Blockonomics) Price(ctx context.Context) (int64, error) {
	body, err := b.call(ctx, http.MethodGet, "/api/price?currency=USD", false)
	if err != nil {
		return 0, err
	}
	var res struct {
		Price json.RawMessage `json:"price"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return 0, fmt.Errorf("blockonomics price: %w", err)
	}
	cents, err := decimalCents(res.Price)
	if err != nil {
		return 0, fmt.Errorf("blockonomics price %s: %w", res.Price, err)
	}
	return cents, nil
}

// decimalCents turns a JSON number of dollars into cents, rounding half up.
func decimalCents(raw json.RawMessage) (int64, error) {
	if s := string(bytes.TrimSpace(raw)); s == "" || s == "null" {
		return 0, ErrNoPrice
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, err
	}
	n, ok := v.(json.Number)
	// A plain decimal only: an exponent such as 1e999999999 would make
	// big.Rat build a huge integer.
	if !ok || len(n) > maxPriceDigits || strings.ContainsAny(string(n), "eE") {
		return 0, errors.New("not a plain decimal number")
	}
	r, ok := new(big.Rat).SetString(n.String())
	if !ok {
		return 0, errors.New("not a decimal")
	}
	r.Mul(r, big.NewRat(100, 1))
	r.Add(r, big.NewRat(1, 2))
	q := new(big.Int).Quo(r.Num(), r.Denom()) // floor: r is positive when it matters
	if r.Sign() <= 0 || !q.IsInt64() || q.Int64() < minCentsPerBTC || q.Int64() > maxCentsPerBTC {
		return 0, errors.New("implausible price")
	}
	return q.Int64(), nil
}

// NewAddress asks for a fresh receiving address (the next one of the
// store's wallet). Each call advances the wallet's index: reuse an open
// top-up's address rather than asking again, or the wallet's gap limit is hit.
func (b *Blockonomics) NewAddress(ctx context.Context) (string, error) {
	if !b.Configured() {
		return "", ErrNotConfigured
	}
	path := "/api/new_address"
	if b.cfg.MatchCallback != "" {
		path += "?match_callback=" + url.QueryEscape(b.cfg.MatchCallback)
	}
	body, err := b.call(ctx, http.MethodPost, path, true)
	if err != nil {
		return "", err
	}
	var res struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return "", fmt.Errorf("blockonomics new address: %w", err)
	}
	if !plausibleAddress(res.Address) {
		return "", fmt.Errorf("blockonomics new address: %q is not an address", cleanMessage(res.Address))
	}
	return res.Address, nil
}

// Errors of TxDetail.
var (
	// ErrTxUnknown means Blockonomics does not know the transaction: a
	// made-up txid, or one of another chain. Nothing is credited for it.
	ErrTxUnknown = errors.New("blockonomics: no such transaction")
	// ErrTxGarbled means Blockonomics answered with something that is not a
	// transaction we can read; nothing is credited, the callback is retried.
	ErrTxGarbled = errors.New("blockonomics: unreadable transaction")
)

// BTCTx is a transaction as Blockonomics reports it: its confirmation
// status and its outputs.
type BTCTx struct {
	Txid    string
	Status  int // BTCUnconfirmed, BTCPartiallyConfirmed or BTCConfirmed
	Outputs []BTCOutput
}

// BTCOutput is one output of a transaction: satoshis paid to an address.
type BTCOutput struct {
	Addr string
	Sats int64
}

// PaidTo is what the transaction pays to addr, over all its outputs.
func (t BTCTx) PaidTo(addr string) int64 {
	var sum int64
	for _, o := range t.Outputs {
		if o.Addr == addr {
			sum = min(sum+o.Sats, maxSats) // each output is at most maxSats: no overflow
		}
	}
	return sum
}

// txStatuses maps the status text of Blockonomics' transaction detail to
// the callback's numbers; any other text is taken as unconfirmed, so a
// status we do not understand never credits.
var txStatuses = map[string]int{
	"Unconfirmed":         BTCUnconfirmed,
	"Partially Confirmed": BTCPartiallyConfirmed,
	"Confirmed":           BTCConfirmed,
}

// maxTxOutputs bounds the outputs read from one transaction; a payment to
// us has a handful, and a batch payout a few hundred.
const maxTxOutputs = 5000

// maxTxBody caps the transaction detail read; a large batch transaction
// with every output listed stays under it.
const maxTxBody = 1 << 20

// TxDetail looks a transaction up at Blockonomics
// (GET /api/tx_detail?txid=…): what it pays to whom, and whether it is
// confirmed. This, not what a callback says, is what a Bitcoin credit
// rests on. A transaction Blockonomics does not know gives ErrTxUnknown;
// an answer that cannot be read gives ErrTxGarbled; anything else
// (unreachable, a 5xx, a rate limit) is a transient error to retry.
func (b *Blockonomics) TxDetail(ctx context.Context, txid string) (BTCTx, error) {
	if !b.Configured() {
		return BTCTx{}, ErrNotConfigured
	}
	body, err := b.callLimit(ctx, http.MethodGet, "/api/tx_detail?txid="+url.QueryEscape(txid), true, maxTxBody)
	var be *BlockonomicsError
	if errors.As(err, &be) && be.StatusCode >= 400 && be.StatusCode < 500 && be.StatusCode != http.StatusTooManyRequests &&
		be.StatusCode != http.StatusUnauthorized && be.StatusCode != http.StatusForbidden {
		return BTCTx{}, fmt.Errorf("transaction %s: %w: %w", txid, ErrTxUnknown, err)
	}
	if err != nil {
		return BTCTx{}, err
	}
	return parseTxDetail(txid, body)
}

// parseTxDetail reads {"status": "Confirmed", "vout": [{"address": …,
// "value": sats}, …], …}, satoshis as exact integers.
func parseTxDetail(txid string, body []byte) (BTCTx, error) {
	var res struct {
		Status string `json:"status"`
		Vout   []struct {
			Address string      `json:"address"`
			Value   json.Number `json:"value"`
		} `json:"vout"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return BTCTx{}, fmt.Errorf("%w: transaction %s: %w", ErrTxGarbled, txid, err)
	}
	if len(res.Vout) == 0 || len(res.Vout) > maxTxOutputs {
		return BTCTx{}, fmt.Errorf("%w: transaction %s: %d outputs", ErrTxGarbled, txid, len(res.Vout))
	}
	tx := BTCTx{Txid: txid, Status: txStatuses[res.Status], Outputs: make([]BTCOutput, 0, len(res.Vout))}
	for _, o := range res.Vout {
		sats, err := strconv.ParseInt(o.Value.String(), 10, 64)
		if err != nil || sats < 0 || sats > maxSats {
			return BTCTx{}, fmt.Errorf("%w: transaction %s: output value %q", ErrTxGarbled, txid,
				cleanMessage(o.Value.String()))
		}
		tx.Outputs = append(tx.Outputs, BTCOutput{Addr: o.Address, Sats: sats})
	}
	return tx, nil
}

// plausibleAddress accepts the shapes of Bitcoin addresses (base58 and
// bech32 are both alphanumeric, 26–90 characters); the wallet behind
// Blockonomics is what really vouches for it.
func plausibleAddress(a string) bool {
	if len(a) < 26 || len(a) > 90 {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// call performs one request and returns the body of a 200 answer.
func (b *Blockonomics) call(ctx context.Context, method, path string, auth bool) ([]byte, error) {
	return b.callLimit(ctx, method, path, auth, maxBlockonomicsBody)
}

// callLimit is call reading at most limit bytes of the answer.
func (b *Blockonomics) callLimit(ctx context.Context, method, path string, auth bool, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.cfg.APIBase+path, nil)
	if err != nil {
		return nil, fmt.Errorf("blockonomics %s: %w", path, err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+b.cfg.APIKey)
	}
	req.Header.Set("Accept", "application/json")
	res, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("blockonomics %s: %w", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("blockonomics %s: %w", path, err)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %w", path, &BlockonomicsError{res.StatusCode, remoteMessage(body)})
	}
	return body, nil
}

// remoteMessage finds the message of an error body: {"message":…} or
// {"error":{"message":…}}, else the body itself.
func remoteMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &e) // a body that is not JSON is quoted as it is
	for _, m := range []string{e.Message, e.Error.Message, string(body)} {
		if m = cleanMessage(m); m != "" {
			return m
		}
	}
	return "no message"
}

// cleanMessage drops control characters and bounds the length of a string
// that came from outside, before it reaches a log or a terminal.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxRemoteMessage {
		s = string(r[:maxRemoteMessage]) + "…"
	}
	return s
}
