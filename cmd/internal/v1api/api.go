package v1api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
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
}

// Payments is what the API asks of the payment desk (billing.Payments):
// the same calls the Wallet makes.
type Payments interface {
	OpenCard(ctx context.Context, u store.User, cents int64) (store.Order, error)
	OpenBitcoin(ctx context.Context, u store.User, cents int64) (store.Order, error)
	PayLink(number string) string
}

// Authenticate identifies the account a request acts for, from its
// credentials; a refusal is a *Refusal (unauthorized, rate_limited…),
// any other error is ours.
type Authenticate func(r *http.Request) (userID int64, err error)

// Deps are what the API runs with.
type Deps struct {
	Store    *store.Store
	Numbers  Numbers
	Payments Payments
	Log      *slog.Logger
	Auth     Authenticate
}

// API serves /v1. Create it with New; Close ends the long polls at
// shutdown.
type API struct {
	d       Deps
	mux     *http.ServeMux
	closing chan struct{}
	once    sync.Once

	// requests counts answers by route and outcome (ok, or the error
	// code), for /metrics.
	requests metrics.Tally
}

// route is one operation: its method and path pattern (net/http's), its
// name in /metrics and the OpenAPI operationId, the query parameters it
// takes, and whether it needs an account.
type route struct {
	method, path string
	name         string
	query        []string
	public       bool
	run          func(a *API, c *call) error
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
	{method: "POST", path: "/v1/reservations", name: "createReservation", run: (*API).createReservation},
	{method: "GET", path: "/v1/reservations", name: "listReservations", run: (*API).openReservations},
	{method: "GET", path: "/v1/reservations/{id}", name: "getReservation", query: []string{"wait"},
		run: (*API).getReservation},
	{method: "POST", path: "/v1/reservations/{id}/cancel", name: "cancelReservation", run: (*API).cancel},
	{method: "POST", path: "/v1/reservations/{id}/finish", name: "finishReservation", run: (*API).finish},
	{method: "POST", path: "/v1/reservations/{id}/again", name: "againReservation", run: (*API).again},
	{method: "GET", path: "/v1/history", name: "getHistory", query: []string{"limit", "offset", "since"},
		run: (*API).history},
	{method: "GET", path: "/v1/orders", name: "listOrders", query: []string{"limit"}, run: (*API).orders},
	{method: "GET", path: "/v1/orders/{order}", name: "getOrder", run: (*API).order},
	{method: "POST", path: "/v1/topups", name: "createTopUp", run: (*API).createTopUp},
}

// Route names an operation: "GET /v1/balance" and its operationId.
type Route struct{ Method, Path, Name string }

// Routes lists the operations the API serves.
func Routes() []Route {
	out := make([]Route, 0, len(routes))
	for _, rt := range routes {
		out = append(out, Route{rt.method, rt.path, rt.name})
	}
	return out
}

// unknownRoute is the /metrics name of requests that match no route.
const unknownRoute = "unknown"

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

// RequestCount is how many requests a route answered with an outcome.
type RequestCount struct {
	Route, Outcome string
	N              int64
}

// Requests counts the answers since start by route name and outcome
// ("ok", or the error code); every route is listed with "ok" at least.
func (a *API) Requests() []RequestCount {
	snap := a.requests.Snapshot()
	seen := map[string]bool{}
	var out []RequestCount
	for key, n := range snap {
		route, outcome, _ := strings.Cut(key, " ")
		seen[key] = true
		out = append(out, RequestCount{route, outcome, n})
	}
	for _, rt := range routes {
		if !seen[rt.name+" ok"] {
			out = append(out, RequestCount{rt.name, "ok", 0})
		}
	}
	slices.SortFunc(out, func(x, y RequestCount) int {
		return strings.Compare(x.Route+" "+x.Outcome, y.Route+" "+y.Outcome)
	})
	return out
}

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
		defer func() { a.requests.Inc(rt.name + " " + c.outcome) }()
		w.Header().Set("Cache-Control", "no-store")
		err := a.serve(rt, c)
		if err != nil {
			a.fail(c, err)
		}
	})
}

func (a *API) serve(rt route, c *call) error {
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
	return rt.run(a, c)
}

// identify authenticates the request and reads its account.
func (a *API) identify(c *call) error {
	if a.d.Auth == nil {
		return refuse(CodeUnauthorized, "this server has no API keys")
	}
	id, err := a.d.Auth(c.r)
	if err != nil {
		return err
	}
	u, err := a.d.Store.UserByID(c.ctx, id)
	if errors.Is(err, store.ErrNoUser) {
		return refuse(CodeUnauthorized, "this API key's account no longer exists")
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
		a.requests.Inc(unknownRoute + " " + string(CodeMethodNotAllowed))
		writeRefusal(w, refuse(CodeMethodNotAllowed, msg))
		return
	}
	a.requests.Inc(unknownRoute + " " + string(CodeNotFound))
	writeRefusal(w, refuse(CodeNotFound, "no such route: the routes are listed in "+Prefix+"/openapi.json"))
}
