// Package fake is a 5sim API v1 upstream for tests: an httptest server on
// 127.0.0.1 with state (balance, prices per operator, orders with a
// scripted life) that answers like 5sim (JSON orders, 400 texts, 401,
// 404), hosting orders (rentals) among them. It can be told to answer
// anything, or slowly, and records every request for assertions. Other
// packages' end-to-end tests reuse it.
//
// May import from this repository: provider.
package fake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Lifetime is a 5sim order's life (protocol doc §2: 15 min).
const Lifetime = 15 * time.Minute

// Options configure a Server.
type Options struct {
	Token   string // the token it accepts; default "test-token"
	Balance string // account balance; default "100"
}

// Script is the life of each new order.
type Script struct {
	SMSAfterChecks int    // checks answered without an SMS before the first
	Never          bool   // no SMS ever
	Text           string // the SMS; "{code}" is replaced by the code
	Sender         string
	NoSMSID        bool // leave the SMS id out, as some answers do
}

// Dialect is how the server words its orders, as 5sim's answers vary (or
// a server that speaks its API may): the zero Dialect is 5sim's own.
type Dialect struct {
	NoPlus    bool   // the phone without its leading '+'
	Spaces    bool   // the phone spaced: "+44 7700 900123"
	LowerCase bool   // statuses in lower case: "received"
	Extra     string // one more field in every order ("extra")
	// ForeignPhone hands out a phone from no country asked for: an order
	// no one can use.
	ForeignPhone bool
}

// Request is one recorded request.
type Request struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

type price struct {
	cost  provider.Micros
	count int
}

type smsJSON struct {
	ID        int64  `json:"id,omitempty"`
	CreatedAt string `json:"created_at"`
	Date      string `json:"date"`
	Sender    string `json:"sender"`
	Text      string `json:"text"`
	Code      string `json:"code"`
}

type order struct {
	ID        int64     `json:"id"`
	Phone     string    `json:"phone"`
	Operator  string    `json:"operator"`
	Product   string    `json:"product"`
	Price     any       `json:"price"`
	Status    string    `json:"status"`
	Expires   string    `json:"expires"`
	SMS       []smsJSON `json:"sms"`
	CreatedAt string    `json:"created_at"`
	Country   string    `json:"country"`

	cost    provider.Micros
	checks  int
	script  Script
	hosting bool // a hosting order (a rental): no cancel
}

type override struct {
	prefix string
	status int
	body   string
	times  int
}

// Server is the fake upstream; its URL plus "/v1" is the base URL.
type Server struct {
	*httptest.Server
	token string

	mu        sync.Mutex
	balance   provider.Micros
	prices    map[[3]string]*price // country, product, operator
	orders    map[int64]*order
	nextID    int64
	script    Script
	dialect   Dialect
	overrides []override
	delay     time.Duration
	reqs      []Request
	now       func() time.Time
	hosting   map[[2]string]*price // country, product: hosting products (hosting.go)
}

// New starts a Server; Close it when done.
func New(opt Options) *Server {
	if opt.Token == "" {
		opt.Token = "test-token"
	}
	if opt.Balance == "" {
		opt.Balance = "100"
	}
	bal, err := provider.ParseAmount(opt.Balance, provider.Dollar)
	if err != nil {
		panic("fake: bad balance " + opt.Balance) // a test's own mistake
	}
	s := &Server{
		token: opt.Token, balance: bal, prices: map[[3]string]*price{}, orders: map[int64]*order{},
		nextID: 53533933, now: time.Now,
		script: Script{SMSAfterChecks: 1, Text: "Your code is {code}", Sender: "Service"},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL is the API root to configure the client with.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// SetPrice sets the cost and stock of a product from an operator in a
// country (5sim names).
func (s *Server) SetPrice(country, product, operator, cost string, count int) {
	c, err := provider.ParseAmount(cost, provider.Dollar)
	if err != nil {
		panic("fake: bad cost " + cost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prices[[3]string{country, product, operator}] = &price{cost: c, count: count}
}

// SetScript sets the life of orders bought from now on.
func (s *Server) SetScript(sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = sc
}

// SetDialect sets how orders are worded from now on.
func (s *Server) SetDialect(d Dialect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dialect = d
}

// Respond makes the next times requests whose path (after /v1) starts
// with prefix answer status and body verbatim; times < 0 means until told
// otherwise.
func (s *Server) Respond(prefix string, status int, body string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overrides = append(s.overrides, override{prefix, status, body, times})
}

// Heal drops every answer set by Respond that is still pending: the
// fake answers as itself again.
func (s *Server) Heal() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overrides = nil
}

// SetDelay makes every answer wait d first (or until the client gives up).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// AddSMS delivers another SMS to an open order now.
func (s *Server) AddSMS(id int64, sender, text, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil {
		s.addSMS(o, sender, text, code)
	}
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Balance is the account balance now, in millionths.
func (s *Server) Balance() provider.Micros {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// OrderStatus is an order's 5sim status, for assertions.
func (s *Server) OrderStatus(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil {
		return o.Status
	}
	return ""
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Body: body})
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	status, answer := s.route(r)
	if strings.HasPrefix(answer, "{") || strings.HasPrefix(answer, "[") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func (s *Server) route(r *http.Request) (int, string) {
	path, ok := strings.CutPrefix(r.URL.Path, "/v1")
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.takeOverride(path); ok {
		return o.status, o.body
	}
	switch {
	case !ok || r.Method != http.MethodGet:
		return http.StatusNotFound, "404 page not found"
	case path == "/guest/prices":
		return http.StatusOK, s.pricesJSON(r.URL.Query())
	case strings.HasPrefix(path, "/guest/products/"):
		return s.productsJSON(strings.Split(strings.TrimPrefix(path, "/guest/products/"), "/"))
	case !strings.HasPrefix(path, "/user/"):
		return http.StatusNotFound, "404 page not found"
	case r.Header.Get("Authorization") != "Bearer "+s.token:
		return http.StatusUnauthorized, ""
	case path == "/user/profile":
		return http.StatusOK, jsonOf(map[string]any{"id": 1, "email": "fake@example.invalid", "balance": json.Number(decimal(s.balance)),
			"frozen_balance": 0, "rating": 96})
	}
	return s.userCall(strings.Split(strings.TrimPrefix(path, "/user/"), "/"))
}

func (s *Server) takeOverride(path string) (override, bool) {
	for i, o := range s.overrides {
		if !strings.HasPrefix(path, o.prefix) {
			continue
		}
		if o.times > 0 {
			if s.overrides[i].times--; s.overrides[i].times == 0 {
				s.overrides = append(s.overrides[:i], s.overrides[i+1:]...)
			}
		}
		return o, true
	}
	return override{}, false
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func decimal(m provider.Micros) string { return provider.FormatAmount(m, provider.Dollar) }
