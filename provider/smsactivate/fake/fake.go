// Package fake is an SMS-Activate protocol upstream for tests: an
// httptest server on 127.0.0.1 with state (balance, stock, activations
// with a scripted life, rentals) that answers with the protocol's exact
// strings.
// It can be told to answer any word or garbage, or slowly, and records
// every request for assertions. Other packages' end-to-end tests reuse it.
//
// May import from this repository: provider.
package fake

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Options configure a Server.
type Options struct {
	APIKey  string // the key it accepts; default "test-key"
	Balance string // account balance in its currency; default "100.00"
	// StringNumbers makes getPrices send cost and count as strings, as
	// some speakers do.
	StringNumbers bool
}

// Script is the life of each new activation.
type Script struct {
	// CodeAfterPolls is how many getStatus polls answer STATUS_WAIT_CODE
	// before the code (also after an "another SMS" request).
	CodeAfterPolls int
	// Never keeps every activation waiting for ever.
	Never bool
	// Text is the full SMS; "{code}" is replaced by the code.
	Text string
	// Code, when set, is the code every SMS carries instead of six
	// digits: a clone may put any text there.
	Code string
	// CancelLocked answers EARLY_CANCEL_DENIED to a cancel.
	CancelLocked bool
	// RetryBare answers STATUS_WAIT_RETRY without the previous code.
	RetryBare bool
}

// Dialect is how a clone of the protocol words the number it hands out,
// in getNumber's ACCESS_NUMBER answer and getNumberV2's JSON. The zero
// Dialect is SMS-Activate's own.
type Dialect struct {
	PlusPhone bool   // the phone with a leading '+': "ACCESS_NUMBER:1:+79001234567"
	Spaces    bool   // spaces around fields, and inside the phone: "+7 900 123 45 67"
	LowerCase bool   // the word, or the JSON keys, in lower case: "access_number:…"
	Extra     string // one more field after the phone (a JSON key "extra" in V2)
	// ForeignPhone hands out a phone from another country than the one
	// asked for: an answer that names an activation no one can use.
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
	cost  provider.Micros // in millionths of the account currency
	count int
}

// activation states
const (
	stWait   = "wait"
	stOK     = "ok"
	stRetry  = "retry"
	stCancel = "cancel"
	stFinish = "finish"
)

type activation struct {
	id            int64
	service, cid  string
	phone         string
	cost          provider.Micros
	status        string
	polls         int
	code, oldCode string
	codes         int
	script        Script
	operator      string // the operator it was bought from, "any" when none was asked for
}

// Server is the fake upstream. Its URL is the base URL to configure.
type Server struct {
	*httptest.Server
	key           string
	stringNumbers bool

	mu        sync.Mutex
	balance   provider.Micros
	prices    map[[2]string]*price         // [country id, service]
	operators map[[2]string]map[string]int // [country id, operator] → service → stock
	acts      map[int64]*activation
	nextID    int64
	script    Script
	dialect   Dialect
	overrides []override
	delay     time.Duration
	status    int
	reqs      []Request

	// Rentals (rent.go).
	rentPrices map[rentKey]*rentPrice
	rents      map[int64]*rental
	now        func() time.Time
	zonedDates bool
}

type override struct {
	action, body string
	times        int // remaining; <0 for ever
}

// New starts a Server; Close it when done.
func New(opt Options) *Server {
	if opt.APIKey == "" {
		opt.APIKey = "test-key"
	}
	if opt.Balance == "" {
		opt.Balance = "100.00"
	}
	bal, err := provider.ParseAmount(opt.Balance, provider.Dollar)
	if err != nil {
		panic("fake: bad balance " + opt.Balance) // a test's own mistake
	}
	s := &Server{
		key: opt.APIKey, stringNumbers: opt.StringNumbers, balance: bal,
		prices: map[[2]string]*price{}, operators: map[[2]string]map[string]int{}, acts: map[int64]*activation{},
		nextID: 12608620,
		script: Script{CodeAfterPolls: 1, Text: "Your code is {code}. Do not share it."},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// APIKey is the key the server accepts.
func (s *Server) APIKey() string { return s.key }

// SetPrice sets the cost (a decimal in the account currency) and stock of
// a service (two-letter code) in a country (numeric id).
func (s *Server) SetPrice(service, countryID, cost string, count int) {
	c, err := provider.ParseAmount(cost, provider.Dollar)
	if err != nil {
		panic("fake: bad cost " + cost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prices[[2]string{countryID, service}] = &price{cost: c, count: count}
}

// SetOperatorStock sets how many numbers of one operator a country
// (numeric id) has for a service (two-letter code): getOperators lists the
// operator, getNumbersStatus tells the stock, and getNumber with that
// operator takes from it (at the service's price in the country).
func (s *Server) SetOperatorStock(service, countryID, operator string, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := [2]string{countryID, operator}
	if s.operators[k] == nil {
		s.operators[k] = map[string]int{}
	}
	s.operators[k][service] = count
}

// SetScript sets the life of activations bought from now on.
func (s *Server) SetScript(sc Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = sc
}

// SetDialect sets how numbers are handed out from now on.
func (s *Server) SetDialect(d Dialect) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dialect = d
}

// Respond makes the next times calls of action (or of every action, for
// "*") answer body verbatim; times < 0 means until told otherwise, and 0
// removes the overrides for that action.
func (s *Server) Respond(action, body string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if times == 0 {
		kept := s.overrides[:0]
		for _, o := range s.overrides {
			if o.action != action {
				kept = append(kept, o)
			}
		}
		s.overrides = kept
		return
	}
	s.overrides = append(s.overrides, override{action, body, times})
}

// SetDelay makes every answer wait d first (or until the client gives up).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// SetHTTPStatus makes every answer use HTTP status code (0 or 200 for
// normal answers), as a failing server or proxy would.
func (s *Server) SetHTTPStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Balance is the account balance now, in millionths of its currency.
func (s *Server) Balance() provider.Micros {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// Status is an activation's state ("wait", "ok", "retry", "cancel",
// "finish") and current code, for assertions.
func (s *Server) Status(id string) (state, code string, ok bool) {
	n, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.acts[n]
	if a == nil {
		return "", "", false
	}
	return a.status, a.code, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Body: body})
	delay, status := s.delay, s.status
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
	if status != 0 && status != http.StatusOK {
		http.Error(w, "<html><body>Bad Gateway</body></html>", status)
		return
	}
	answer := s.answer(r)
	w.Header().Set("Content-Type", "text/html; charset=UTF-8") // as the real one
	fmt.Fprint(w, answer)
}

func (s *Server) answer(r *http.Request) string {
	q := r.URL.Query()
	action := q.Get("action")
	s.mu.Lock()
	defer s.mu.Unlock()
	if body, ok := s.takeOverride(action); ok {
		return body
	}
	if q.Get("api_key") != s.key {
		return "BAD_KEY"
	}
	switch action {
	case "getBalance":
		return "ACCESS_BALANCE:" + decimal(s.balance)
	case "getPrices":
		return s.getPrices(q.Get("service"), q.Get("country"))
	case "getNumber", "getNumberV2":
		return s.getNumber(q, action == "getNumberV2")
	case "getOperators":
		return s.getOperators(q.Get("country"))
	case "getNumbersStatus":
		return s.getNumbersStatus(q.Get("country"), q.Get("operator"))
	case "getStatus":
		return s.withActivation(q, s.getStatus)
	case "getFullSms":
		return s.withActivation(q, func(a *activation) string {
			if a.code == "" {
				return "STATUS_WAIT_CODE"
			}
			return "FULL_SMS:" + a.text()
		})
	case "setStatus":
		return s.withActivation(q, func(a *activation) string { return s.setStatus(a, q.Get("status")) })
	}
	if body, ok := s.rentAnswer(action, q); ok {
		return body
	}
	return "BAD_ACTION"
}

func (s *Server) takeOverride(action string) (string, bool) {
	for i, o := range s.overrides {
		if o.action != action && o.action != "*" {
			continue
		}
		if o.times > 0 {
			if s.overrides[i].times--; s.overrides[i].times == 0 {
				s.overrides = append(s.overrides[:i], s.overrides[i+1:]...)
			}
		}
		return o.body, true
	}
	return "", false
}

// decimal writes millionths as the upstream writes money: "50.3", "0.085".
func decimal(m provider.Micros) string { return provider.FormatAmount(m, provider.Dollar) }
