package saapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Path is where the protocol lives on every speaker's host.
const Path = "/stubs/handler_api.php"

// Endpoint names this API in /metrics (apiauth.Guard.Count).
const Endpoint = "sms-activate"

// defaultCountry is the country of a request that names none: 0, Russia,
// as SMS-Activate itself assumes.
const defaultCountry = "0"

// maxForm bounds a POST body: the protocol's parameters are a few words.
const maxForm = 16 << 10

// Engine is what the endpoint asks of the reservation engine
// (provider/engine implements it): the same offers and actions as the
// SSH commands and the dashboard.
type Engine interface {
	Offers(ctx context.Context) []provider.RoutedOffer
	Operators(ctx context.Context, service, country string) []provider.RoutedOffer
	Quote(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool)
	ReservePick(ctx context.Context, userID int64, p provider.Pick, priceCents int64) (store.Reservation, error)
	Cancel(ctx context.Context, userID, id int64) (store.Reservation, error)
	Finish(ctx context.Context, userID, id int64) (store.Reservation, error)
	Again(ctx context.Context, userID, id int64) error
	CanAgain(providerName string) bool

	RentOffer(ctx context.Context, service, country string, days int) (provider.RoutedRentOffer, error)
	Rent(ctx context.Context, userID int64, service, country string, days int, priceCents int64) (store.Rental, error)
	ExtendQuote(ctx context.Context, userID, id int64, days int) (int64, error)
	Extend(ctx context.Context, userID, id int64, days int, priceCents int64) (store.Rental, error)
	CancelRental(ctx context.Context, userID, id int64) (store.Rental, error)
	FinishRental(ctx context.Context, userID, id int64) (store.Rental, error)
}

// Handler serves /stubs/handler_api.php.
type Handler struct {
	st   *store.Store
	eng  Engine
	auth *apiauth.Guard
	log  *slog.Logger
}

// New makes the handler.
func New(st *store.Store, eng Engine, auth *apiauth.Guard, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{st: st, eng: eng, auth: auth, log: log}
}

// answer is what an action says: a bare word or line (text), or a JSON
// document; outcome is "ok" or the error word, for /metrics.
type answer struct {
	text    string
	json    any
	outcome string
	header  http.Header
}

func okText(text string) answer { return answer{text: text, outcome: "ok"} }

func okJSON(v any) answer { return answer{json: v, outcome: "ok"} }

// word is an error word, as a bare word.
func word(w string) answer {
	tag, _, _ := strings.Cut(w, ":")
	return answer{text: w, outcome: tag}
}

// jsonWord is an error word as the JSON actions give it.
func jsonWord(w string) answer {
	tag, _, _ := strings.Cut(w, ":")
	return answer{json: jsonError{Status: "error", Error: w}, outcome: tag}
}

// jsonError is an error word in a JSON action's answer.
type jsonError struct {
	Status string `json:"status"` // "error"
	Error  string `json:"error"`
}

// ServeHTTP authenticates, dispatches on action and writes the answer:
// always HTTP 200, as the protocol's clients expect, except for a
// method other than GET and POST.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	// A form posted as multipart (PHP's curl with an array does) is read
	// as well as a urlencoded one.
	err := r.ParseMultipartForm(maxForm)
	if errors.Is(err, http.ErrNotMultipart) {
		err = r.ParseForm()
	}
	if err != nil {
		h.write(w, word("BAD_ACTION"))
		return
	}
	a := h.serve(r)
	h.auth.Count(Endpoint, a.outcome)
	h.write(w, a)
}

func (h *Handler) serve(r *http.Request) answer {
	c, err := h.auth.Authenticate(r)
	var lim *apiauth.LimitedError
	switch {
	case errors.As(err, &lim):
		a := word("BANNED:'" + lim.RetryAt().UTC().Format("2006-01-02 15-04-05") + "'")
		a.outcome = "rate_limited"
		a.header = http.Header{"Retry-After": {strconv.Itoa(lim.RetryAfterSeconds())}}
		return a
	case errors.Is(err, apiauth.ErrNoKey), errors.Is(err, apiauth.ErrBadKey):
		return word("BAD_KEY")
	case err != nil:
		h.log.ErrorContext(r.Context(), "sms-activate api: authenticate", "err", err)
		return word("ERROR_SQL")
	}
	ctx, uid := r.Context(), c.UserID
	switch action := r.FormValue("action"); action {
	case "getBalance":
		return h.getBalance(ctx, uid)
	case "getNumbersStatus":
		return h.getNumbersStatus(ctx, r)
	case "getPrices":
		return h.getPrices(ctx, r)
	case "getCountries":
		return h.getCountries(ctx)
	case "getNumber":
		return h.getNumber(ctx, uid, r, false)
	case "getNumberV2":
		return h.getNumber(ctx, uid, r, true)
	case "setStatus":
		return h.setStatus(ctx, uid, r)
	case "getStatus":
		return h.getStatus(ctx, uid, r)
	case "getFullSms":
		return h.getFullSms(ctx, uid, r)
	case "getActiveActivations":
		return h.getActiveActivations(ctx, uid)
	case "getRentServicesAndCountries":
		return h.getRentServicesAndCountries(ctx, r)
	case "getRentNumber":
		return h.getRentNumber(ctx, uid, r)
	case "getRentStatus":
		return h.getRentStatus(ctx, uid, r)
	case "setRentStatus":
		return h.setRentStatus(ctx, uid, r)
	case "continueRentNumber":
		return h.continueRentNumber(ctx, uid, r)
	}
	return word("BAD_ACTION")
}

func (h *Handler) write(w http.ResponseWriter, a answer) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Cache-Control", "no-store")
	if a.json != nil {
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(a.json); err != nil {
			h.log.Warn("sms-activate api: write", "err", err)
		}
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(a.text))
}

// fail answers an error of ours (the database, a bug): logged, and the
// protocol's word for a server error, which clients retry.
func (h *Handler) fail(ctx context.Context, action string, err error) answer {
	h.log.ErrorContext(ctx, "sms-activate api", "action", action, "err", err)
	return word("ERROR_SQL")
}

// dollars writes cents as the protocol's money: "12.34".
func dollars(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// dollarsJSON is the same as a JSON number.
func dollarsJSON(cents int64) json.Number { return json.Number(dollars(cents)) }

// parseDollars reads a price in dollars ("0.5", "0.50", "1") as whole
// cents, rounded down (a cap is never exceeded by rounding).
func parseDollars(s string) (int64, bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && frac == "" || len(whole) > 6 || !digits(whole) || !digits(frac) {
		return 0, false
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	frac = (frac + "00")[:2]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, true
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// phone is a number as the protocol gives it: digits only, without '+'.
func phone(e164 string) string { return strings.TrimPrefix(e164, "+") }

// protocolTime is the protocol's way to write a moment (UTC).
func protocolTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// service reads a service: the protocol's two-letter code, or our own
// name of it ("telegram").
func service(code string) (string, bool) {
	code = strings.TrimSpace(code)
	if s, ok := provider.ServiceOfSMSActivate(code); ok {
		return s, true
	}
	if s, ok := provider.LookupService(strings.ToLower(code)); ok {
		return s.Code, true
	}
	return "", false
}

// country reads a country: SMS-Activate's id, or our ISO code ("gb");
// none given is defaultCountry.
func country(id string) (string, bool) {
	id = strings.TrimSpace(id)
	if id == "" {
		id = defaultCountry
	}
	if c, ok := provider.CountryOfSMSActivate(id); ok {
		return c, true
	}
	if c, ok := provider.LookupCountry(strings.ToLower(id)); ok {
		return c.Code, true
	}
	return "", false
}

// activationID reads the id parameter: a reservation's number.
func activationID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(r.FormValue("id")), 10, 64)
	return id, err == nil && id > 0
}
