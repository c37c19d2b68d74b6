// Package blockonomicsfake is a stand-in for the Blockonomics API in tests:
// an HTTP server on loopback that answers /api/price, /api/new_address and
// /api/tx_detail the way Blockonomics does, records every request, can be
// told to fail or to answer slowly, and drives callbacks to our server the
// way Blockonomics sends them.
//
// It keeps a small chain: the transactions it has seen, what they pay to
// which address and how confirmed they are. Fake.Callback is Blockonomics
// telling us about a transaction, so the transaction goes on the chain
// first; SendCallback is anybody who holds the callback secret, and puts
// nothing there — a transaction it names is one Blockonomics never saw.
//
// It is test scaffolding only: no production code imports it except
// `wantsms dev`, which plays Blockonomics for a local server.
//
// May import from this repository: nothing.
package blockonomicsfake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultPrice is the price answered until SetPrice is called: the example
// of Blockonomics' documentation, in USD per BTC.
const DefaultPrice = "7866.85"

// callbackTimeout bounds one callback request sent by Callback.
const callbackTimeout = 30 * time.Second

// bech32Chars is the bech32 alphabet, for addresses that look like bc1q….
const bech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// Request is one request the fake received.
type Request struct {
	Method, Path  string
	Query         url.Values
	Authorization string
	Body          string
}

// Fake is a running fake Blockonomics. Its methods are safe for concurrent use.
type Fake struct {
	// URL is the base URL to configure as the API base.
	URL string

	srv       *httptest.Server
	apiKey    string
	closed    chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	price     string // raw JSON of the "price" field
	failCode  int
	failBody  string
	delay     time.Duration
	requests  []Request
	addresses []string
	chain     map[string]*Tx // by txid
}

// Transaction statuses, as the callback numbers them; tx_detail spells
// them out (statusText).
const (
	Unconfirmed        = 0
	PartiallyConfirmed = 1
	Confirmed          = 2
)

var statusText = map[int]string{Unconfirmed: "Unconfirmed", PartiallyConfirmed: "Partially Confirmed",
	Confirmed: "Confirmed"}

// Tx is a transaction on the fake's chain.
type Tx struct {
	Txid    string
	Status  int // Unconfirmed, PartiallyConfirmed or Confirmed
	Outputs []Output
}

// Output pays Sats to Addr.
type Output struct {
	Addr string
	Sats int64
}

// fakeFee is the fee every fake transaction pays, in satoshis.
const fakeFee = 1410

// New starts a fake that accepts apiKey as its Bearer key, on a free
// loopback port.
func New(apiKey string) *Fake {
	f := newFake(apiKey)
	f.srv = httptest.NewServer(f.handler())
	f.URL = f.srv.URL
	return f
}

// Listen starts a fake on addr (e.g. 127.0.0.1:12113), for trying
// WantSMS's Bitcoin payments by hand (`wantsms dev blockonomics`).
func Listen(addr, apiKey string) (*Fake, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("fake blockonomics: %w", err)
	}
	f := newFake(apiKey)
	f.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: f.handler(), ReadHeaderTimeout: 10 * time.Second}}
	f.srv.Start()
	f.URL = f.srv.URL
	return f, nil
}

func newFake(apiKey string) *Fake {
	return &Fake{apiKey: apiKey, price: DefaultPrice, closed: make(chan struct{}), chain: map[string]*Tx{}}
}

func (f *Fake) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/price", f.handlePrice)
	mux.HandleFunc("/api/new_address", f.handleNewAddress)
	mux.HandleFunc("/api/tx_detail", f.handleTxDetail)
	mux.HandleFunc(BroadcastPath, f.handleBroadcast)
	return f.record(mux)
}

// SetTx puts a transaction on the chain, or replaces the one with its txid.
func (f *Fake) SetTx(tx Tx) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := tx
	c.Outputs = append([]Output(nil), tx.Outputs...)
	f.chain[tx.Txid] = &c
}

// Pay records that txid pays sats to addr at status, as a wallet's
// payment seen by Blockonomics: the output to addr is set, others stay,
// and the status never goes back (a replayed older callback does not
// unconfirm the chain). A status below Unconfirmed leaves it as it is.
func (f *Fake) Pay(txid, addr string, sats int64, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := f.chain[txid]
	if tx == nil {
		tx = &Tx{Txid: txid}
		f.chain[txid] = tx
	}
	tx.Status = max(tx.Status, min(status, Confirmed))
	for i := range tx.Outputs {
		if tx.Outputs[i].Addr == addr {
			tx.Outputs[i].Sats = sats
			return
		}
	}
	tx.Outputs = append(tx.Outputs, Output{Addr: addr, Sats: sats})
}

// handleTxDetail answers GET /api/tx_detail?txid=… as Blockonomics does:
// the status in words, the inputs and the outputs, values in satoshis.
func (f *Fake) handleTxDetail(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, `{"message":"method not allowed"}`)
		return
	}
	if a := r.Header.Get("Authorization"); a != "" && a != "Bearer "+f.apiKey {
		writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid API key"}`)
		return
	}
	txid := r.URL.Query().Get("txid")
	f.mu.Lock()
	tx, ok := f.chain[txid]
	var detail txDetail
	if ok {
		detail = detailOf(tx)
	}
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, `{"message":"Transaction not found"}`)
		return
	}
	body, _ := json.Marshal(detail) // strings and integers always encode
	writeJSON(w, http.StatusOK, string(body))
}

// txDetail is the body of a tx_detail answer.
type txDetail struct {
	Status string     `json:"status"`
	Fee    int64      `json:"fee"`
	Size   int        `json:"size"`
	Time   int64      `json:"time"`
	Vin    []txOutput `json:"vin"`
	Vout   []txOutput `json:"vout"`
}

type txOutput struct {
	Address string `json:"address"`
	Value   int64  `json:"value"`
}

// detailOf describes tx; its one input (a payer's address of its own)
// spends what the outputs get plus the fee.
func detailOf(tx *Tx) txDetail {
	d := txDetail{Status: statusText[tx.Status], Fee: fakeFee, Size: 140 + 34*len(tx.Outputs), Time: time.Now().Unix()}
	in := int64(fakeFee)
	for _, o := range tx.Outputs {
		d.Vout = append(d.Vout, txOutput{Address: o.Addr, Value: o.Sats})
		in += o.Sats
	}
	d.Vin = []txOutput{{Address: fakeAddress(-1), Value: in}}
	return d
}

// BroadcastPath is the fake's own endpoint, not Blockonomics': POST a
// {"txid", "addr", "sats", "status"} object with the API key to put a
// payment on the chain (Pay), as `wantsms dev btc-callback` does before
// it sends the callback of a payment nobody really made.
const BroadcastPath = "/fake/broadcast"

// Broadcast is the body of BroadcastPath.
type Broadcast struct {
	Txid   string `json:"txid"`
	Addr   string `json:"addr"`
	Sats   int64  `json:"sats"`
	Status int    `json:"status"`
}

func (f *Fake) handleBroadcast(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, `{"message":"method not allowed"}`)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.apiKey {
		writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid API key"}`)
		return
	}
	var b Broadcast
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&b); err != nil || b.Txid == "" || b.Addr == "" ||
		b.Sats < 0 {
		writeJSON(w, http.StatusBadRequest, `{"message":"want txid, addr, sats and status"}`)
		return
	}
	f.Pay(b.Txid, b.Addr, b.Sats, b.Status)
	writeJSON(w, http.StatusOK, `{"ok":true}`)
}

// SendBroadcast asks the fake at baseURL to put a payment on its chain.
func SendBroadcast(ctx context.Context, baseURL, apiKey string, b Broadcast) error {
	body, _ := json.Marshal(b) // strings and integers always encode
	ctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+BroadcastPath,
		bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("broadcast to %s: HTTP %d", baseURL, res.StatusCode)
	}
	return nil
}

// Close stops the server; a request held by SetDelay is released first.
// Closing twice is harmless.
func (f *Fake) Close() {
	f.closeOnce.Do(func() {
		close(f.closed)
		f.srv.Close()
	})
}

// SetPrice sets the raw JSON of the price field: "7866.85", "null", `"x"`.
func (f *Fake) SetPrice(raw string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.price = raw
}

// FailWith makes every API call answer code with body until FailWith(0, "").
func (f *Fake) FailWith(code int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failCode, f.failBody = code, body
}

// SetDelay makes every API answer wait d, or until the client gives up.
func (f *Fake) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Requests returns the requests received so far, oldest first.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Addresses returns the addresses handed out so far, oldest first.
func (f *Fake) Addresses() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.addresses...)
}

// record keeps each request, then holds it for the delay and answers a
// configured failure before reaching the real handlers.
func (f *Fake) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.requests = append(f.requests, Request{r.Method, r.URL.Path, r.URL.Query(), r.Header.Get("Authorization"), string(body)})
		delay, code, failBody := f.delay, f.failCode, f.failBody
		f.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			case <-f.closed:
				return
			}
		}
		if code != 0 {
			writeJSON(w, code, failBody)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *Fake) handlePrice(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, `{"message":"method not allowed"}`)
		return
	}
	f.mu.Lock()
	price := f.price
	f.mu.Unlock()
	if r.URL.Query().Get("currency") != "USD" {
		price = "null" // what Blockonomics answers for a currency it lacks
	}
	writeJSON(w, http.StatusOK, `{"price":`+price+`}`)
}

func (f *Fake) handleNewAddress(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, `{"message":"method not allowed"}`)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.apiKey {
		writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid API key"}`)
		return
	}
	f.mu.Lock()
	addr := fakeAddress(len(f.addresses))
	f.addresses = append(f.addresses, addr)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, `{"address":"`+addr+`"}`)
}

// fakeAddress makes the n-th address: bc1q and 38 bech32 characters, like a
// native SegWit address (its checksum is not valid: no wallet may pay it).
func fakeAddress(n int) string {
	sum := sha256.Sum256([]byte("wantsms-fake-address-" + strconv.Itoa(n)))
	b := []byte("bc1q")
	for i := range 38 {
		b = append(b, bech32Chars[sum[i%len(sum)]>>(i/len(sum))&31])
	}
	return string(b)
}

func writeJSON(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body)
}

// Callback is Blockonomics reporting a payment: the transaction goes on
// the chain (Pay: txid pays sats to addr, at least at status), then the
// callback is sent (see SendCallback).
func (f *Fake) Callback(ctx context.Context, callbackURL, secret string, status int, addr, txid string, sats int64, rbf bool) (int, error) {
	f.Pay(txid, addr, sats, status)
	return SendCallback(ctx, callbackURL, secret, status, addr, txid, sats, rbf)
}

// SendCallback sends one callback the way Blockonomics does: a GET to
// callbackURL with secret, status, addr, value (satoshis) and txid added to
// its query, and rbf=1 when rbf. It returns the HTTP status our server gave.
func SendCallback(ctx context.Context, callbackURL, secret string, status int, addr, txid string, sats int64, rbf bool) (int, error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return 0, fmt.Errorf("callback url: %w", err)
	}
	q := u.Query()
	q.Set("secret", secret)
	q.Set("status", strconv.Itoa(status))
	q.Set("addr", addr)
	q.Set("value", strconv.FormatInt(sats, 10))
	q.Set("txid", txid)
	if rbf {
		q.Set("rbf", "1")
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, callbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("callback: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("callback: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, nil
}
