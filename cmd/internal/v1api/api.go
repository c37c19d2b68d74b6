package v1api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// Prefix is where the API lives on the HTTP listener.
const Prefix = "/v1"

// Numbers is what the API asks of the reservation engine
// (provider/engine implements it): the same methods the Numbers pane, the
// Inbox and the commands call.
type Numbers interface {
	InStock(ctx context.Context, service, country string) []provider.RoutedOffer
	Cheapest(ctx context.Context, p provider.Pick) (provider.RoutedOffer, bool)
	Operators(ctx context.Context, service, country string) []provider.RoutedOffer
	SuccessRates(ctx context.Context) *store.SuccessRates
	Simulated(providerName string) bool
	ReservePick(ctx context.Context, userID int64, p provider.Pick, priceCents int64) (store.Reservation, error)
	Cancel(ctx context.Context, userID, id int64) (store.Reservation, error)
	Finish(ctx context.Context, userID, id int64) (store.Reservation, error)
	Again(ctx context.Context, userID, id int64) error
	Report(ctx context.Context, userID, id int64, reason store.ReportReason) (store.Reservation, error)
	Replacement(ctx context.Context, r store.Reservation) (provider.RoutedOffer, bool)
}

// Payments is what the API asks of the payment desk (billing.Payments):
// the same calls the Wallet makes.
type Payments interface {
	OpenCard(ctx context.Context, u store.User, cents int64) (store.Order, error)
	OpenBitcoin(ctx context.Context, u store.User, cents int64) (store.Order, error)
	PayLink(number string) string
}

// Deps are what the API runs with.
type Deps struct {
	Store    *store.Store
	Numbers  Numbers
	Rentals  Rentals
	Payments Payments
	Log      *slog.Logger
	// Guard authenticates and rate-limits requests, the same for every
	// HTTP API, and counts them for /metrics (as endpoint "v1").
	Guard *apiauth.Guard
}

// API serves /v1. Create it with New; Close ends the long polls at
// shutdown.
type API struct {
	d       Deps
	mux     *http.ServeMux
	closing chan struct{}
	once    sync.Once
}

// route is one operation: its method and path pattern (net/http's), its
// OpenAPI operationId, the query parameters it takes, and whether it
// needs an account. A purchase has resume, which answers it from what it
// bought (a store.ResRef, RentRef, RentExtRef or OrderRef): it takes an
// Idempotency-Key.
type route struct {
	method, path string
	name         string
	query        []string
	public       bool
	run          func(a *API, c *call) error
	resume       func(a *API, c *call, resource string) error
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes is the whole API; the OpenAPI document describes exactly these
// (a test holds both to it).
var routes = []route{
	{method: "GET", path: "/v1/openapi.json", name: "openapi", public: true, run: (*API).openAPI},
	{method: "GET", path: "/v1/balance", name: "getBalance", run: (*API).balance},
	{method: "GET", path: "/v1/services", name: "listServices", query: []string{"country"}, run: (*API).services},
	{method: "GET", path: "/v1/countries", name: "listCountries", query: []string{"service"}, run: (*API).countries},
	{method: "GET", path: "/v1/prices", name: "listPrices", query: []string{"service", "country"}, run: (*API).prices},
	{method: "GET", path: "/v1/operators", name: "listOperators", query: []string{"service", "country"},
		run: (*API).operators},
	{method: "POST", path: "/v1/reservations", name: "createReservation", run: (*API).createReservation,
		resume: (*API).resumeReservation},
	{method: "GET", path: "/v1/reservations", name: "listReservations", run: (*API).openReservations},
	{method: "GET", path: "/v1/reservations/{id}", name: "getReservation", query: []string{"wait"},
		run: (*API).getReservation},
	{method: "POST", path: "/v1/reservations/{id}/cancel", name: "cancelReservation", run: (*API).cancel},
	{method: "POST", path: "/v1/reservations/{id}/finish", name: "finishReservation", run: (*API).finish},
	{method: "POST", path: "/v1/reservations/{id}/again", name: "againReservation", run: (*API).again},
	{method: "POST", path: "/v1/reservations/{id}/report", name: "reportReservation", run: (*API).report},
	{method: "GET", path: "/v1/favourites", name: "listFavourites", run: (*API).favourites},
	{method: "PUT", path: "/v1/favourites/{service}/{country}", name: "addFavourite", run: (*API).addFavourite},
	{method: "DELETE", path: "/v1/favourites/{service}/{country}", name: "removeFavourite",
		run: (*API).removeFavourite},
	{method: "GET", path: "/v1/rental-offer", name: "getRentalOffer", query: []string{"service", "country", "days"},
		run: (*API).rentalOffer},
	{method: "POST", path: "/v1/rentals", name: "createRental", run: (*API).createRental,
		resume: (*API).resumeRental},
	{method: "GET", path: "/v1/rentals", name: "listRentals", query: []string{"ended"}, run: (*API).listRentals},
	{method: "GET", path: "/v1/rentals/{id}", name: "getRental", query: []string{"wait"}, run: (*API).getRental},
	{method: "POST", path: "/v1/rentals/{id}/extend", name: "extendRental", run: (*API).extendRental,
		resume: (*API).resumeExtension},
	{method: "POST", path: "/v1/rentals/{id}/cancel", name: "cancelRental", run: (*API).cancelRental},
	{method: "POST", path: "/v1/rentals/{id}/finish", name: "finishRental", run: (*API).finishRental},
	{method: "GET", path: "/v1/history", name: "getHistory", query: []string{"limit", "offset", "since"},
		run: (*API).history},
	{method: "GET", path: "/v1/orders", name: "listOrders", query: []string{"limit"}, run: (*API).orders},
	{method: "GET", path: "/v1/orders/{order}", name: "getOrder", run: (*API).order},
	{method: "POST", path: "/v1/topups", name: "createTopUp", run: (*API).createTopUp, resume: (*API).resumeTopUp},
}

// Route names an operation: "GET /v1/balance" and its operationId, and
// whether it takes an Idempotency-Key.
type Route struct {
	Method, Path, Name string
	Idempotent         bool
}

// Routes lists the operations the API serves.
func Routes() []Route {
	out := make([]Route, 0, len(routes))
	for _, rt := range routes {
		out = append(out, Route{rt.method, rt.path, rt.name, rt.resume != nil})
	}
	return out
}

// Endpoint is the API's name in /metrics (wantsms_api_requests_total).
const Endpoint = "v1"

// New builds the API.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	a := &API{d: d, mux: http.NewServeMux(), closing: make(chan struct{})}
	for _, rt := range routes {
		a.mux.Handle(rt.pattern(), a.handler(rt))
	}
	a.mux.HandleFunc(Prefix+"/", a.noRoute)
	return a
}

// Register puts the API on a mux under Prefix.
func (a *API) Register(mux *http.ServeMux) { mux.Handle(Prefix+"/", a) }

// ServeHTTP answers one request under Prefix.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Close ends the long polls in flight (they answer at once) so that a
// shutdown need not wait for them.
func (a *API) Close() { a.once.Do(func() { close(a.closing) }) }

// call is one request being answered.
type call struct {
	w       http.ResponseWriter
	r       *http.Request
	ctx     context.Context
	user    store.User
	outcome string
}

// handler wraps an operation: unknown query parameters refused, the
// caller identified (and its account read afresh, so a ban or a balance
// counts at once), the answer or the error written, the outcome counted.
func (a *API) handler(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r, ctx: r.Context(), outcome: "ok"}
		defer func() { a.count(c.outcome) }()
		w.Header().Set("Cache-Control", "no-store")
		err := a.serve(rt, c)
		if err != nil {
			a.fail(c, err)
		}
	})
}

// count counts one answer for /metrics: ok, an error code, or
// client_gone when the client left first.
func (a *API) count(outcome string) {
	if a.d.Guard != nil {
		a.d.Guard.Count(Endpoint, outcome)
	}
}

func (a *API) serve(rt route, c *call) error {
	if c.r.URL.Query().Has("api_key") {
		return refuse(CodeUnauthorized, "on "+Prefix+" the API key goes in the header Authorization: Bearer KEY, "+
			"never in the URL")
	}
	for name := range c.r.URL.Query() {
		if !slices.Contains(rt.query, name) {
			return refuse(CodeBadRequest, "unknown query parameter "+echo(name))
		}
	}
	if !rt.public {
		if err := a.identify(c); err != nil {
			return err
		}
	}
	if rt.resume != nil {
		return a.atMostOnce(rt, c)
	}
	return rt.run(a, c)
}

// badKey answers a key that is unknown, revoked or of a deleted account,
// without telling which.
const badKey = "this API key is not valid: it is wrong, or it was revoked"

// identify authenticates the request through the guard, which also
// takes it from the key's and the address's rate limits, and reads the
// account. On /v1 the key comes in a header only (Authorization: Bearer,
// or X-ApiKey): never a form field, so the guard is shown the request
// without its form, and a JSON body sent as a form stays unread.
func (a *API) identify(c *call) error {
	if a.d.Guard == nil {
		return refuse(CodeUnauthorized, "this server takes no API keys")
	}
	headersOnly := c.r.Clone(c.ctx)
	headersOnly.Form, headersOnly.PostForm = url.Values{}, url.Values{}
	caller, err := a.d.Guard.Authenticate(headersOnly)
	var lim *apiauth.LimitedError
	switch {
	case errors.As(err, &lim):
		return &Refusal{Code: CodeRateLimited, Message: lim.Error(),
			RetryAfter: time.Duration(lim.RetryAfterSeconds()) * time.Second}
	case errors.Is(err, apiauth.ErrNoKey):
		return refuse(CodeUnauthorized, "send your API key as Authorization: Bearer KEY (ssh HOST api-key "+
			"create NAME makes one)")
	case errors.Is(err, apiauth.ErrBadKey):
		return refuse(CodeUnauthorized, badKey)
	case err != nil:
		return err
	}
	u, err := a.d.Store.UserByID(c.ctx, caller.UserID) // a deleted account is ErrNoUser
	if errors.Is(err, store.ErrNoUser) {
		return refuse(CodeUnauthorized, badKey)
	}
	if err != nil {
		return err
	}
	c.user = u
	return nil
}

// reply writes a JSON answer.
func (c *call) reply(status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.send(status, body)
	return nil
}

func (c *call) send(status int, body []byte) {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(append(body, '\n'))
}

// fail answers an error: its code, status and message; our own errors
// are logged and get the dashboard's apology.
func (a *API) fail(c *call, err error) {
	if c.ctx.Err() != nil && errors.Is(err, c.ctx.Err()) {
		c.outcome = "client_gone"
		return
	}
	ref, ok := explain(err)
	if !ok {
		a.d.Log.ErrorContext(c.ctx, "api error", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
	}
	c.outcome = string(ref.Code)
	writeRefusal(c.w, ref)
}

func writeRefusal(w http.ResponseWriter, ref *Refusal) {
	body := errorBody{Error: errorJSON{Code: ref.Code, Message: ref.Message}}
	if ref.RetryAfter > 0 {
		secs := int64((ref.RetryAfter + time.Second - 1) / time.Second)
		body.Error.RetryAfterSeconds = &secs
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if ref.Code == CodeUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wantsms"`)
	}
	raw, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(statusOf(ref.Code))
	_, _ = w.Write(append(raw, '\n'))
}

// noRoute answers what matches no operation: 405 with Allow when the
// path exists with other methods, else 404.
func (a *API) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := a.mux.Handler(probe); pattern != Prefix+"/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	if len(allow) > 0 {
		msg := r.Method + " is not allowed here: use " + strings.Join(allow, " or ")
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.count(string(CodeMethodNotAllowed))
		writeRefusal(w, refuse(CodeMethodNotAllowed, msg))
		return
	}
	a.count(string(CodeNotFound))
	writeRefusal(w, refuse(CodeNotFound, "no such route: the routes are listed in "+Prefix+"/openapi.json"))
}
