package billing

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Callback statuses sent by Blockonomics for a transaction.
const (
	// BTCPaymentError (-1) is not in the callback docs; other Blockonomics
	// products use it for a failed payment. Never credit it.
	BTCPaymentError = -1
	// BTCUnconfirmed (0): the transaction is in the mempool.
	BTCUnconfirmed = 0
	// BTCPartiallyConfirmed (1): one confirmation.
	BTCPartiallyConfirmed = 1
	// BTCConfirmed (2): two or more confirmations, final: credit here, once
	// per txid.
	BTCConfirmed = 2
)

// maxSats is the Bitcoin supply cap (21 million BTC); a larger value is garbage.
const maxSats = 21_000_000 * SatsPerBTC

// Errors of ParseCallback.
var (
	// ErrBadSecret means the callback's secret is missing or wrong: answer 403.
	ErrBadSecret = errors.New("blockonomics callback: bad secret")
	// ErrBadCallback means a field is missing or garbled: answer 400.
	ErrBadCallback = errors.New("blockonomics callback: bad field")
)

// Callback is one verified Blockonomics callback: the state of one
// transaction paying one of our addresses.
type Callback struct {
	Status    int    // BTCPaymentError, BTCUnconfirmed, BTCPartiallyConfirmed or BTCConfirmed
	Addr      string // our receiving address
	Txid      string // lower-case hex, the ledger reference once confirmed
	ValueSats int64  // what this transaction pays to Addr
	RBF       bool   // the transaction signals replace-by-fee (unconfirmed only)
}

// ParseCallback verifies the query of a callback GET (secret, status, addr,
// value, txid and optional rbf). The secret is checked first, in constant
// time, so a caller without it learns nothing else.
func (b *Blockonomics) ParseCallback(q url.Values) (Callback, error) {
	if b.cfg.CallbackSecret == "" {
		return Callback{}, ErrNotConfigured
	}
	if !sameSecret(single(q, "secret"), b.cfg.CallbackSecret) {
		return Callback{}, ErrBadSecret
	}
	var c Callback
	var err error
	if c.Status, err = callbackStatus(single(q, "status")); err != nil {
		return Callback{}, err
	}
	if c.Addr = single(q, "addr"); !plausibleAddress(c.Addr) {
		return Callback{}, fmt.Errorf("%w: addr %q", ErrBadCallback, cleanMessage(c.Addr))
	}
	if c.Txid, err = callbackTxid(single(q, "txid")); err != nil {
		return Callback{}, err
	}
	if c.ValueSats, err = callbackValue(single(q, "value")); err != nil {
		return Callback{}, err
	}
	if c.RBF, err = callbackFlag(q, "rbf"); err != nil {
		return Callback{}, err
	}
	return c, nil
}

// single returns a parameter given exactly once, else "" (a repeated
// parameter is ambiguous and treated as missing).
func single(q url.Values, key string) string {
	if v := q[key]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// sameSecret compares in constant time; hashing first hides the length too.
func sameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return got != "" && subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func callbackStatus(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < BTCPaymentError || n > BTCConfirmed {
		return 0, fmt.Errorf("%w: status %q", ErrBadCallback, cleanMessage(s))
	}
	return n, nil
}

// callbackTxid accepts 64 hex digits and returns them in lower case, so one
// transaction always has one spelling.
func callbackTxid(s string) (string, error) {
	ok := len(s) == 64
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
	}
	if !ok {
		return "", fmt.Errorf("%w: txid %q", ErrBadCallback, cleanMessage(s))
	}
	return strings.ToLower(s), nil
}

func callbackValue(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxSats || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("%w: value %q", ErrBadCallback, cleanMessage(s))
	}
	return n, nil
}

// callbackFlag reads an optional 0/1 flag; absent means false.
func callbackFlag(q url.Values, key string) (bool, error) {
	v, present := q[key]
	if !present {
		return false, nil
	}
	if len(v) == 1 {
		switch v[0] {
		case "1", "true":
			return true, nil
		case "0", "false", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("%w: %s %q", ErrBadCallback, key, cleanMessage(strings.Join(v, ",")))
}
