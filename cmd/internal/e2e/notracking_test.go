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
	"strconv"
	"strings"
	"testing"
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
}

// allowedCallers are the only files of the program that may send anything
// anywhere, and why.
var allowedCallers = map[string]string{
	"provider/smsactivate/client.go":   "the SMS-Activate protocol upstream: numbers and their SMS",
	"provider/fivesim/client.go":       "the 5sim upstream: numbers and their SMS",
	"billing/blockonomics.go":          "Blockonomics: Bitcoin prices and addresses",
	"billing/stripe.go":                "Stripe Checkout (through stripe-go, telemetry off)",
	"billing/blockonomicsfake/fake.go": "`wantsms dev`: test callbacks to this server's own webhook",
	"billing/stripetest/stripetest.go": "`wantsms dev`: test webhooks to this server's own endpoint",
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
		if allowedCallers[f] == "" {
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
