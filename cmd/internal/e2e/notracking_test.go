package e2e

import (
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stripe/stripe-go/v76"
)

const module = "github.com/wantsms/wantsms"

// trackerPackages are analytics, error-reporting and telemetry SDKs, by a
// part of their import path: none may be linked into the program.
var trackerPackages = []string{
	"analytics", "segmentio", "mixpanel", "amplitude", "posthog", "getsentry", "sentry-go", "bugsnag",
	"rollbar", "datadog", "newrelic", "honeycomb", "opentelemetry", "golang.org/x/telemetry", "heapanalytics",
	"hotjar", "plausible", "matomo", "facebook", "google.golang.org/api",
}

// trackerHosts are where tracking code sends what it collects: no source
// or embedded file may name them.
var trackerHosts = []string{
	"google-analytics.com", "googletagmanager.com", "analytics.google.com", "doubleclick.net", "gtag(",
	"connect.facebook.net", "facebook.com/tr", "fbq(", "clarity.ms", "segment.io", "segment.com",
	"mixpanel.com", "amplitude.com", "posthog.com", "plausible.io", "hotjar.com", "sentry.io",
	"bugsnag.com", "datadoghq.com", "nr-data.net", "newrelic.com", "matomo", "<script",
}

// outgoing are the ways Go code starts a connection or a request of its
// own, by package path and name.
var outgoing = map[string][]string{
	"net/http":   {"Get", "Post", "PostForm", "Head", "NewRequest", "NewRequestWithContext", "DefaultClient", "DefaultTransport"},
	"net":        {"Dial", "DialTimeout", "DialTCP", "DialUDP", "DialIP", "DialUnix", "Dialer"},
	"crypto/tls": {"Dial", "DialWithDialer", "Dialer"},
	"net/smtp":   {"Dial", "SendMail", "NewClient"},
	// The mail library: its client dials the configured mail server.
	"github.com/wneessen/go-mail": {"NewClient", "DialAndSend", "QuickSend"},
}

// caller is a file of the program allowed to send requests, and where.
type caller struct {
	why string
	// reaches are the only URL or host literals the file may hold: its
	// built-in destinations. Any other is a request to somewhere new.
	reaches []string
	// configured says where its other destinations come from: the flags
	// that name the upstreams, or the caller of a development tool.
	configured string
	// notHosts are strings shaped like host names that are not ones.
	notHosts []string
}

// allowedCallers are the only files of the program that may send anything
// anywhere, each with the destinations it may reach.
var allowedCallers = map[string]caller{
	"provider/smsactivate/client.go": {why: "the SMS-Activate protocol upstream: numbers and their SMS",
		configured: "--smsactivate-url (no default)"},
	"provider/fivesim/client.go": {why: "the 5sim upstream: numbers and their SMS",
		reaches: []string{"https://5sim.net/v1"}, configured: "--fivesim-url"},
	"billing/blockonomics.go": {why: "Blockonomics: Bitcoin prices and addresses",
		reaches: []string{"https://www.blockonomics.co"}, configured: "--blockonomics-api-base"},
	"billing/stripe.go": {why: "Stripe Checkout (through stripe-go, telemetry off)",
		configured: "stripe-go's API backend (" + stripeAPI + ") or --stripe-api-base"},
	"billing/blockonomicsfake/fake.go": {why: "`wantsms dev`: test callbacks to this server's own webhook",
		configured: "the webhook URL `wantsms dev` passes: this server's own"},
	"cmd/internal/mail/smtp.go": {why: "account mail to the mail server the operator configured (a processor the policy names)",
		configured: "--smtp-url (no default: without it mails go to a maildir on disk)",
		notHosts: []string{"smtp://user:password@host:port (STARTTLS), smtps://user:password@host:port (TLS) ",
			"or smtp://host:port?tls=none (plain, for a relay on this machine)"}}, // its forms, in messages
	"cmd/internal/webhook/post.go": {why: "people's webhooks: their account's events posted to the URLs they set",
		configured: "each account's webhook URLs, public addresses only (checked on the address dialled) unless " +
			"--webhook-allow-private"},
	"billing/stripetest/stripetest.go": {why: "`wantsms dev`: test webhooks to this server's own endpoint",
		configured: "the webhook URL `wantsms dev` passes: this server's own",
		notHosts:   []string{"checkout.session"}}, // Stripe event types: "checkout.session.completed"
}

// stripeAPI is where stripe-go's API backend sends requests; billing/stripe.go
// may use no other of its backends (uploads, connect, meter events).
const stripeAPI = "https://api.stripe.com"

// shownHosts are hosts that URLs in the rest of the program may name:
// shown to people (examples in help, our own site in the policy, the
// Checkout page a payer opens in a browser), never fetched by the program.
var shownHosts = map[string]string{
	"wantsms.example":      "example payment links in help",
	"wantsms.com":          "our own site, in the privacy policy",
	"checkout.stripe.com":  "the Checkout page a payer opens, in examples",
	"localhost":            "the default public URL of a server on this machine",
	"127.0.0.1":            "stripe-mock's address, in help",
	"host":                 "placeholders in help (http://host:port)",
	"user":                 "the form of --smtp-url in its help (smtp://user:password@host:587)",
	"api.sms-activate.org": "an example value of --smsactivate-url, in its help",
	"hooks.example.com":    "an example webhook URL, in the help of the webhook commands",
}

type linkedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	EmbedFiles []string
	Module     *struct{ Path string }
}

// linked lists the packages compiled into the wantsms program.
func linked(t *testing.T) (root string, pkgs []linkedPackage) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,GoFiles,EmbedFiles,Module", module+"/cmd/wantsms")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p linkedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.ImportPath == module+"/cmd/wantsms" {
			root = filepath.Dir(filepath.Dir(p.Dir))
		}
		pkgs = append(pkgs, p)
	}
	return root, pkgs
}

// No analytics, tracking or telemetry code is in the program, and only
// the upstream and payment clients send anything anywhere (privacy policy
// §1 and §5). Third-party packages are checked by name; our own code line
// by line.
func TestNoTrackingCode(t *testing.T) {
	root, pkgs := linked(t)
	callers := map[string]bool{}
	for _, p := range pkgs {
		for _, tr := range trackerPackages {
			if strings.Contains(strings.ToLower(p.ImportPath), tr) {
				t.Errorf("package %s looks like an analytics or telemetry SDK (%q)", p.ImportPath, tr)
			}
		}
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		for _, f := range append(append([]string(nil), p.GoFiles...), p.EmbedFiles...) {
			path := filepath.Join(p.Dir, f)
			rel, _ := filepath.Rel(root, path)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, host := range trackerHosts {
				if bytes.Contains(bytes.ToLower(raw), []byte(host)) {
					t.Errorf("%s names %q", rel, host)
				}
			}
			if strings.HasSuffix(f, ".go") && sendsRequests(t, path, raw) {
				callers[filepath.ToSlash(rel)] = true
			}
		}
	}
	for f := range callers {
		if allowedCallers[f].why == "" {
			t.Errorf("%s opens connections or sends requests: only the provider and payment clients may", f)
		}
	}
	for f := range allowedCallers {
		if !callers[f] {
			t.Errorf("%s is allowed to send requests but no longer does: drop it from the list", f)
		}
	}
}

// sendsRequests reports whether a Go file uses one of the outgoing APIs,
// whatever name it imports their package under.
func sendsRequests(t *testing.T, path string, src []byte) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{} // local name → package path
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = p
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); ok {
			for _, name := range outgoing[names[x.Name]] {
				found = found || sel.Sel.Name == name
			}
		}
		return true
	})
	// stripe-go's API clients live in its sub-packages (webhook only
	// verifies what Stripe sends us).
	for _, p := range names {
		if strings.HasPrefix(p, "github.com/stripe/stripe-go/v76/") && !strings.HasSuffix(p, "/webhook") {
			found = true
		}
	}
	return found
}

// urlIn finds URLs inside a text: scheme and host.
var urlIn = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*)://([a-z0-9.-]*)`)

// destinationLike is a string that names a place to connect to: a URL, a
// host name, or an IP address, possibly with a port and a path.
var destinationLike = regexp.MustCompile(`(?i)://|^\s*(?:(?:\d{1,3}\.){3}\d{1,3}|` +
	`(?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?(?:/\S*)?\s*$`)

// stringLiterals are the values of a Go file's string literals.
func stringLiterals(t *testing.T, path string, src []byte) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if _, ok := n.(*ast.ImportSpec); ok {
			return false // import paths are not destinations
		}
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if v, err := strconv.Unquote(lit.Value); err == nil {
				out = append(out, v)
			}
		}
		return true
	})
	return out
}

// Each file allowed to send requests reaches only its own destinations:
// the URLs or hosts it is listed with, and the configured ones. A URL, a
// host or an address that is not on its list (a beacon added to a
// payment client, say) fails. The rest of the program names only hosts
// shown to people or a caller's destinations, so no URL can be handed to
// a client from elsewhere either. stripe-go is used through its API
// backend alone, whose address is Stripe's API.
func TestOutgoingRequestsGoOnlyWhereAllowed(t *testing.T) {
	if stripe.APIURL != stripeAPI {
		t.Errorf("stripe-go's API backend is %s, not %s: check where it now sends requests", stripe.APIURL, stripeAPI)
	}
	known := map[string]bool{}
	for _, c := range allowedCallers {
		for _, r := range c.reaches {
			if m := urlIn.FindStringSubmatch(r); m != nil {
				known[strings.ToLower(m[2])] = true
			}
		}
	}
	root, pkgs := linked(t)
	for _, p := range pkgs {
		if p.Module == nil || p.Module.Path != module {
			continue
		}
		for _, f := range append(append([]string(nil), p.GoFiles...), p.EmbedFiles...) {
			path := filepath.Join(p.Dir, f)
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			texts := []string{string(raw)}
			if strings.HasSuffix(f, ".go") {
				texts = stringLiterals(t, path, raw)
			}
			if c, ok := allowedCallers[rel]; ok {
				checkReaches(t, rel, c, texts, raw)
				continue
			}
			for _, text := range texts {
				for _, m := range urlIn.FindAllStringSubmatch(text, -1) {
					host := strings.ToLower(m[2])
					if host != "" && shownHosts[host] == "" && !known[host] {
						t.Errorf("%s names %s (in %q): neither a host shown to people nor a destination of the "+
							"provider and payment clients", rel, m[0], text)
					}
				}
			}
		}
	}
}

// checkReaches holds one allowed caller to its destinations.
func checkReaches(t *testing.T, rel string, c caller, literals []string, src []byte) {
	t.Helper()
	used := map[string]bool{}
	for _, lit := range literals {
		if !destinationLike.MatchString(lit) || slices.Contains(c.notHosts, lit) {
			continue
		}
		if !slices.Contains(c.reaches, lit) {
			t.Errorf("%s holds %q: not one of its destinations %q (the others: %s)", rel, lit, c.reaches, c.configured)
		}
		used[lit] = true
	}
	for _, r := range c.reaches {
		if !used[r] {
			t.Errorf("%s no longer holds %q: drop it from its destinations", rel, r)
		}
	}
	if rel != "billing/stripe.go" {
		return
	}
	for _, other := range []string{"ConnectBackend", "UploadsBackend", "MeterEventsBackend", "ConnectURL", "UploadsURL"} {
		if bytes.Contains(src, []byte("stripe."+other)) {
			t.Errorf("%s uses stripe.%s: only the API backend (%s) is a destination", rel, other, stripeAPI)
		}
	}
}
