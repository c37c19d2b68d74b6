package v1api_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/cmd/internal/v1api"
	"github.com/wantsms/wantsms/cmd/internal/v1api/openapicheck"
	"github.com/wantsms/wantsms/store"
)

var update = flag.Bool("update", false, "rewrite the table of error codes in the repository's README.md")

func document(t *testing.T) *openapicheck.Doc {
	t.Helper()
	raw, err := v1api.Document()
	if err != nil {
		t.Fatal(err)
	}
	d, err := openapicheck.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	d.Strict = true
	return d
}

// The document stays inside the schema subset the checker knows, and
// every example in it is valid against its schema.
func TestOpenAPIExamplesAreValid(t *testing.T) {
	d := document(t)
	for _, err := range d.CheckSchemas() {
		t.Error(err)
	}
	for _, err := range d.CheckExamples() {
		t.Error(err)
	}
}

// Every route is documented, every documented operation is a route, each
// under its name as operationId, and each error code is documented with
// its status.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	d := document(t)
	var routes, documented []string
	for _, r := range v1api.Routes() {
		routes = append(routes, r.Method+" "+r.Path+" "+r.Name)
	}
	for _, op := range d.Operations() {
		documented = append(documented, op.Method+" "+op.Path+" "+op.ID)
	}
	slices.Sort(routes)
	slices.Sort(documented)
	if !slices.Equal(routes, documented) {
		t.Errorf("routes and the document differ:\nroutes:     %q\ndocumented: %q", routes, documented)
	}

	raw, _ := v1api.Document()
	var doc struct {
		Components struct {
			Schemas struct {
				ErrorCode struct {
					OneOf []struct {
						Const  string `json:"const"`
						Status int    `json:"x-status"`
					} `json:"oneOf"`
				} `json:"ErrorCode"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, c := range v1api.Codes() {
		want = append(want, fmt.Sprintf("%s %d", c.Code, c.Status))
	}
	for _, c := range doc.Components.Schemas.ErrorCode.OneOf {
		got = append(got, fmt.Sprintf("%s %d", c.Const, c.Status))
	}
	if !slices.Equal(want, got) {
		t.Errorf("ErrorCode documents %q, want %q", got, want)
	}
}

// The purchases, and only they, document the Idempotency-Key header.
func TestOpenAPIDocumentsIdempotencyKeys(t *testing.T) {
	raw, _ := v1api.Document()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Ref string `json:"$ref"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range v1api.Routes() {
		documented := false
		for _, p := range doc.Paths[r.Path][strings.ToLower(r.Method)].Parameters {
			documented = documented || p.Ref == "#/components/parameters/IdempotencyKey"
		}
		if documented != r.Idempotent {
			t.Errorf("%s %s: Idempotency-Key documented %v, taken %v", r.Method, r.Path, documented, r.Idempotent)
		}
		if r.Idempotent {
			n++
		}
	}
	if n != 4 {
		t.Errorf("%d routes take an Idempotency-Key, want the 4 purchases", n)
	}
}

// Every documented operation is served by the API's own mux: without a
// key each answers 401 unauthorized in the documented shape (the
// document itself answers 200), never not_found or method_not_allowed;
// an unknown path answers a JSON 404, a known path with another method
// a JSON 405 with Allow.
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "api.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	api := v1api.New(v1api.Deps{Store: st, Guard: apiauth.New(st, apiauth.Config{})})
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	d := document(t)
	fill := strings.NewReplacer("{id}", "1", "{order}", "k7dq2m9xw4hfr3tp")
	for _, op := range d.Operations() {
		status, body := call(t, op.Method, srv.URL+fill.Replace(op.Path))
		want := http.StatusUnauthorized
		if op.ID == "openapi" {
			want = http.StatusOK
		}
		if status != want {
			t.Errorf("%s %s: %d %s, want %d", op.Method, op.Path, status, body, want)
			continue
		}
		if err := d.CheckResponse(op.Method, op.Path, status, body); err != nil {
			t.Error(err)
		}
	}

	for _, c := range []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/v1/nothing", 404, "not_found", ""},
		{"GET", "/v1/", 404, "not_found", ""},
		{"GET", "/v1/reservations/1/cancel", 405, "method_not_allowed", "POST"},
		{"DELETE", "/v1/reservations/1", 405, "method_not_allowed", "GET, HEAD"},
		{"POST", "/v1/balance", 405, "method_not_allowed", "GET, HEAD"},
		{"PUT", "/v1/reservations", 405, "method_not_allowed", "GET, HEAD, POST"},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Error struct{ Code, Message string }
		}
		if resp.StatusCode != c.status || json.Unmarshal(body, &e) != nil || e.Error.Code != c.code ||
			e.Error.Message == "" || resp.Header.Get("Allow") != c.allow ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s Allow %q, want %d %s Allow %q", c.method, c.path, resp.StatusCode, body,
				resp.Header.Get("Allow"), c.status, c.code, c.allow)
		}
		if err := d.ValidateJSON(d.Schema("Error"), body); err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
		}
	}
}

func call(t *testing.T, method, url string) (int, []byte) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// The README's table of error codes is made from the same table as the
// document; -update rewrites it.
func TestREADMEErrorCodes(t *testing.T) {
	const path = "../../../README.md"
	const begin, end = "<!-- v1-errors:begin (generated: go test ./cmd/internal/v1api -run TestREADME -update) -->\n",
		"<!-- v1-errors:end -->"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	b, e := strings.Index(readme, begin), strings.Index(readme, end)
	if b < 0 || e < b {
		t.Fatalf("README.md lacks the markers %q … %q", begin, end)
	}
	var table strings.Builder
	table.WriteString("\n| Code | HTTP | Meaning |\n|---|---|---|\n")
	for _, c := range v1api.Codes() {
		fmt.Fprintf(&table, "| `%s` | %d | %s |\n", c.Code, c.Status, c.Means)
	}
	table.WriteString("\n")
	want := readme[:b+len(begin)] + table.String() + readme[e:]
	if want == readme {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Error("README.md's table of error codes is out of date: run go test ./cmd/internal/v1api -run TestREADME -update")
}
