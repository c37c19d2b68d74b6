package e2e

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// httpCall is one request to the service's HTTP listener.
type httpCall struct {
	route  string // the pattern as the program registers it (source text)
	method string
	path   string
	header http.Header
	body   []byte
	status int
}

// pageCSP is the policy of every HTML page: nothing loads from anywhere,
// no script runs; only the page's own inline style applies.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'"

// otherListeners register routes on listeners of their own, not the
// service's: they are not pages people or processors reach.
var otherListeners = map[string]string{
	"billing/blockonomicsfake/fake.go": "the fake Blockonomics `wantsms dev` runs on its own port",
	"cmd/wantsms/pprof.go":             "profiles on a loopback address, off by default",
}

// isMux reports whether an expression names a mux (mux, s.mux, …).
func isMux(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return strings.EqualFold(x.Name, "mux")
	case *ast.SelectorExpr:
		return strings.EqualFold(x.Sel.Name, "mux")
	}
	return false
}

// registeredRoutes lists the patterns the program registers on an HTTP
// mux, as their source text, by file.
func registeredRoutes(t *testing.T) map[string]bool {
	t.Helper()
	root, pkgs := linked(t)
	routes := map[string]bool{}
	for _, p := range pkgs {
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		for _, f := range p.GoFiles {
			path := filepath.Join(p.Dir, f)
			rel, _ := filepath.Rel(root, path)
			if otherListeners[filepath.ToSlash(rel)] != "" {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				// Routes go on a ServeMux, named mux wherever one is made.
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if ok && (sel.Sel.Name == "HandleFunc" || sel.Sel.Name == "Handle") && isMux(sel.X) {
					var b bytes.Buffer
					printer.Fprint(&b, fset, call.Args[0])
					routes[b.String()] = true
				}
				return true
			})
		}
	}
	return routes
}

// No response of the HTTP side — pages, redirects, webhooks, health,
// metrics, errors — sets a cookie (the service has no sign-in on the web
// to keep), and no page loads anything from anywhere or runs a script:
// no trackers, no third-party resources (privacy policy §1 and §5). Every
// route the program registers is called, so a new one cannot skip this.
func TestHTTPResponsesSetNoCookieAndLoadNothing(t *testing.T) {
	env := testenv.StartWithPayments(t)
	ctx := context.Background()
	u, _ := env.NewUser("pages@example.com")
	o, err := env.Store().CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorStripe, AmountCents: 1000})
	if err != nil {
		t.Fatal(err)
	}
	checkout := "https://checkout.stripe.com/c/pay/cs_test_pages"
	if o, err = env.Store().AttachCheckout(ctx, o.Number, store.CheckoutRef{SessionID: "cs_test_pages", URL: checkout,
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	paid := stripetest.Payload(stripetest.Event{ID: "evt_pages", Type: billing.EventCheckoutCompleted,
		SessionID: o.SessionID, Order: o.Number, PaymentStatus: "paid", AmountTotal: o.AmountCents, PaymentIntent: "pi_pages"})
	signed := http.Header{"Stripe-Signature": {stripetest.Sign(paid, testenv.StripeWebhookSecret, time.Time{})}}
	b, err := env.Store().CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorBlockonomics, AmountCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	const addr = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	if _, err = env.Store().AttachBitcoin(ctx, b.Number, store.BitcoinRef{Address: addr, PriceCents: 5_000_000,
		ExpectedSats: 10_000, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	callback := func(secret string) string {
		q := url.Values{"secret": {secret}, "status": {"2"}, "addr": {addr}, "value": {"10000"},
			"txid": {strings.Repeat("ab", 32)}}
		return billing.BlockonomicsCallbackPath + "?" + q.Encode()
	}
	stripeRoute, btcRoute := `"POST " + StripeWebhookPath`, `"GET " + BlockonomicsCallbackPath`
	verifyGet, verifyPost := `"GET " + VerifyPath + "{token}"`, `"POST " + VerifyPath + "{token}"`
	unsubGet, unsubPost := `"GET " + UnsubscribePath + "{token}"`, `"POST " + UnsubscribePath + "{token}"`
	// The verification link of a fresh account, as its mail has it.
	env.NewUnverifiedUser("fresh@example.com")
	link := testenv.LinkIn(env.WaitMail(t, "fresh@example.com", "verify").Text, "verify")
	verifyPath := link[strings.Index(link, "/verify/"):]
	calls := []httpCall{
		{route: `"GET /healthz"`, method: "GET", path: "/healthz", status: 200},
		{route: `"GET /metrics"`, method: "GET", path: "/metrics", status: 200},
		{route: stripeRoute, method: "POST", path: billing.StripeWebhookPath, header: signed, body: paid, status: 200},
		{route: stripeRoute, method: "POST", path: billing.StripeWebhookPath, body: paid, status: 400},
		{route: btcRoute, method: "GET", path: callback(testenv.BTCCallbackSecret), status: 200},
		{route: btcRoute, method: "GET", path: callback("wrong"), status: 403},
		{route: `"GET /pay/done"`, method: "GET", path: "/pay/done?order=" + o.Number, status: 200},
		{route: `"GET /pay/cancelled"`, method: "GET", path: "/pay/cancelled", status: 200},
		{route: `"GET /pay/{order}"`, method: "GET", path: "/pay/nosuchorder", status: 404},
		{route: `engine.WebhookPattern`, method: "POST", path: "/webhooks/provider/sim", body: []byte(`{}`), status: 401},
		{route: `engine.WebhookPattern`, method: "POST", path: "/webhooks/provider/nobody", body: []byte(`{}`), status: 404},
		{route: verifyGet, method: "GET", path: verifyPath, status: 200},
		{route: verifyPost, method: "POST", path: verifyPath, status: 200},
		{route: verifyPost, method: "POST", path: verifyPath, status: 404}, // used
		{route: verifyGet, method: "GET", path: "/verify/nosuchtoken", status: 200},
		{route: unsubGet, method: "GET", path: "/unsubscribe/nosuchtoken", status: 200},
		{route: unsubPost, method: "POST", path: "/unsubscribe/nosuchtoken", status: 404},
		// The JSON API (cmd/internal/v1api): its routes from a table, the
		// rest of /v1 answered in JSON too.
		{route: `rt.pattern()`, method: "GET", path: "/v1/openapi.json", status: 200},
		{route: `rt.pattern()`, method: "GET", path: "/v1/balance", status: 401},
		{route: `Prefix + "/"`, method: "GET", path: "/v1/nothing", status: 404},
		// The SMS-Activate-compatible endpoint (cmd/internal/saapi): its
		// words come with status 200, as the protocol has them.
		{route: `saapi.Path`, method: "GET", path: "/stubs/handler_api.php?action=getBalance", status: 200},
		{route: `saapi.Path`, method: "PUT", path: "/stubs/handler_api.php", status: 405},
		{method: "GET", path: "/", status: 404},
		{method: "GET", path: "/favicon.ico", status: 404},
		{method: "PUT", path: "/healthz", status: 405},
	}
	// Last: the payment link of an order the webhook above has paid is
	// closed; a fresh open order's link redirects to its Checkout page.
	o2, err := env.Store().CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorStripe, AmountCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err = env.Store().AttachCheckout(ctx, o2.Number, store.CheckoutRef{SessionID: "cs_test_pages2", URL: checkout + "2",
		ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	calls = append(calls, httpCall{route: `"GET /pay/{order}"`, method: "GET", path: "/pay/" + o2.Number, status: 303})

	client := &http.Client{Timeout: testenv.Wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	called := map[string]bool{}
	for _, c := range calls {
		called[c.route] = true
		req, err := http.NewRequest(c.method, env.URL(c.path), bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.header {
			req.Header[k] = v
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		what := c.method + " " + c.path
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%s)", what, res.StatusCode, c.status, body)
		}
		checkResponse(t, what, res, string(body))
		if res.StatusCode == http.StatusSeeOther && res.Header.Get("Location") != checkout+"2" {
			t.Errorf("%s: redirects to %q, want only the order's Checkout page", what, res.Header.Get("Location"))
		}
	}
	for route := range registeredRoutes(t) {
		if !called[route] {
			t.Errorf("route %s is registered but this test does not call it: add it to the calls", route)
		}
	}
}

// checkResponse holds one response to the promises: no cookie, and for a
// page, nothing loaded from elsewhere and no script.
func checkResponse(t *testing.T, what string, res *http.Response, body string) {
	t.Helper()
	for name := range res.Header {
		if strings.Contains(strings.ToLower(name), "cookie") {
			t.Errorf("%s: header %s: %q", what, name, res.Header[name])
		}
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.StatusCode == http.StatusSeeOther {
		if got := res.Header.Get("Content-Security-Policy"); got != pageCSP {
			t.Errorf("%s: Content-Security-Policy %q, want %q", what, got, pageCSP)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q, want no-referrer", what, got)
		}
	}
	if loc := res.Header.Get("Location"); loc != "" {
		// The redirect's own body links to where it redirects, nowhere else.
		body = strings.Replace(body, `<a href="`+loc+`">`, "", 1)
	}
	lower := strings.ToLower(body)
	for _, loads := range []string{"<script", "<img", "<iframe", "<link", "<object", "<embed", "src=", "href=",
		"url(", "@import", "http://", "https://", "//"} {
		if strings.Contains(lower, loads) && strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: the page holds %q:\n%s", what, loads, body)
		}
	}
}
