// Package openapicheck reads an OpenAPI 3.1 document and checks JSON
// values against its schemas, for tests: that the JSON API's document
// describes the routes it serves, that its examples are valid, and that
// every answer a test receives has the documented shape.
//
// It knows the subset of JSON Schema (2020-12, as OpenAPI 3.1 uses it)
// that the API's document uses, and refuses any other keyword rather
// than ignore it: type (one or a list, "null" among them), properties,
// required, items, enum, const, oneOf, $ref (within the document),
// minimum, maximum, format "date-time", and the annotations description,
// example and x-… extensions. In strict mode an object may hold only
// the properties its schema names, so an undocumented field in an answer
// fails.
//
// May import from this repository: nothing.
package openapicheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Doc is a parsed OpenAPI document.
type Doc struct {
	root map[string]any
	// Strict refuses object properties their schema does not name.
	Strict bool
}

// Parse reads a document.
func Parse(raw []byte) (*Doc, error) {
	v, err := decode(raw)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the document is not a JSON object")
	}
	if s, _ := root["openapi"].(string); !strings.HasPrefix(s, "3.1.") {
		return nil, fmt.Errorf("openapi %q: want 3.1.x", s)
	}
	return &Doc{root: root}, nil
}

// decode reads JSON keeping numbers exact, so integers are told from
// fractions.
func decode(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// Operation is one method on one path of the document.
type Operation struct {
	Method string // upper case: GET, POST
	Path   string // as written: /v1/reservations/{id}
	ID     string // operationId
	op     map[string]any
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// Operations lists the document's operations, by path then method.
func (d *Doc) Operations() []Operation {
	paths, _ := d.root["paths"].(map[string]any)
	var out []Operation
	for p, item := range paths {
		m, _ := item.(map[string]any)
		for _, meth := range methods {
			if op, ok := m[meth].(map[string]any); ok {
				id, _ := op["operationId"].(string)
				out = append(out, Operation{Method: strings.ToUpper(meth), Path: p, ID: id, op: op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Operation finds the operation of a method and a path template.
func (d *Doc) Operation(method, path string) (Operation, bool) {
	for _, o := range d.Operations() {
		if o.Method == method && o.Path == path {
			return o, true
		}
	}
	return Operation{}, false
}

// CheckResponse checks an answer of the operation against the document:
// its status must be documented, and a JSON body must match the schema
// of that status (a status without content must come without a body).
func (d *Doc) CheckResponse(method, path string, status int, body []byte) error {
	op, ok := d.Operation(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not documented", method, path)
	}
	resps, _ := op.op["responses"].(map[string]any)
	resp, ok := resps[strconv.Itoa(status)]
	if !ok {
		return fmt.Errorf("%s %s: status %d is not documented", method, path, status)
	}
	r, err := d.resolve(resp)
	if err != nil {
		return err
	}
	content, _ := r.(map[string]any)["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		if len(bytes.TrimSpace(body)) != 0 {
			return fmt.Errorf("%s %s %d: a body where none is documented", method, path, status)
		}
		return nil
	}
	v, err := decode(body)
	if err != nil {
		return fmt.Errorf("%s %s %d: body: %w", method, path, status, err)
	}
	if err := d.Validate(media["schema"], v); err != nil {
		return fmt.Errorf("%s %s %d: %w", method, path, status, err)
	}
	return nil
}

// Schema is a component schema by name, for Validate.
func (d *Doc) Schema(name string) any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// ValidateJSON checks raw JSON against a schema.
func (d *Doc) ValidateJSON(schema any, raw []byte) error {
	v, err := decode(raw)
	if err != nil {
		return err
	}
	return d.Validate(schema, v)
}

// Validate checks a decoded value (numbers as json.Number) against a
// schema of the document.
func (d *Doc) Validate(schema, v any) error { return d.validate(schema, v, "$") }

var known = map[string]bool{"type": true, "properties": true, "required": true, "items": true, "enum": true,
	"const": true, "oneOf": true, "$ref": true, "minimum": true, "maximum": true, "format": true,
	"description": true, "example": true, "title": true}

func (d *Doc) validate(schema, v any, at string) error {
	s, ok := schema.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: the schema is not an object", at)
	}
	for k := range s {
		if !known[k] && !strings.HasPrefix(k, "x-") {
			return fmt.Errorf("%s: schema keyword %q is outside the subset this checker knows", at, k)
		}
	}
	if ref, ok := s["$ref"].(string); ok {
		target, err := d.pointer(ref)
		if err != nil {
			return fmt.Errorf("%s: %w", at, err)
		}
		if err := d.validate(target, v, at); err != nil {
			return err
		}
	}
	if err := checkType(s["type"], v, at); err != nil {
		return err
	}
	if c, ok := s["const"]; ok && !equal(c, v) {
		return fmt.Errorf("%s: %s, want %s", at, show(v), show(c))
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return equal(x, v) }) {
		return fmt.Errorf("%s: %s is not one of %s", at, show(v), show(e))
	}
	if err := checkRange(s, v, at); err != nil {
		return err
	}
	if f, _ := s["format"].(string); f != "" {
		if err := checkFormat(f, v, at); err != nil {
			return err
		}
	}
	if one, ok := s["oneOf"].([]any); ok {
		if err := d.oneOf(one, v, at); err != nil {
			return err
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return d.object(s, x, at)
	case []any:
		if items, ok := s["items"]; ok {
			for i, e := range x {
				if err := d.validate(items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (d *Doc) oneOf(one []any, v any, at string) error {
	var matched int
	var errs []string
	for _, sub := range one {
		if err := d.validate(sub, v, at); err != nil {
			errs = append(errs, err.Error())
		} else {
			matched++
		}
	}
	if matched != 1 {
		return fmt.Errorf("%s: %s matches %d of oneOf, want exactly 1 (%s)", at, show(v), matched,
			strings.Join(errs, "; "))
	}
	return nil
}

func (d *Doc) object(s map[string]any, x map[string]any, at string) error {
	props, _ := s["properties"].(map[string]any)
	req, _ := s["required"].([]any)
	for _, r := range req {
		if name, _ := r.(string); name != "" {
			if _, ok := x[name]; !ok {
				return fmt.Errorf("%s: required %q is missing", at, name)
			}
		}
	}
	names := make([]string, 0, len(x))
	for k := range x {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p, ok := props[k]
		if !ok {
			if d.Strict && props != nil {
				return fmt.Errorf("%s: %q is not documented", at, k)
			}
			continue
		}
		if err := d.validate(p, x[k], at+"."+k); err != nil {
			return err
		}
	}
	return nil
}

// kind is a JSON value's type name as JSON Schema names it; an integral
// number is both "integer" and "number".
func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func checkType(t, v any, at string) error {
	if t == nil {
		return nil
	}
	var want []string
	switch x := t.(type) {
	case string:
		want = []string{x}
	case []any:
		for _, e := range x {
			s, _ := e.(string)
			want = append(want, s)
		}
	default:
		return fmt.Errorf("%s: type must be a string or a list", at)
	}
	k := kind(v)
	if slices.Contains(want, k) || (k == "integer" && slices.Contains(want, "number")) {
		return nil
	}
	return fmt.Errorf("%s: %s is %s, want %s", at, show(v), k, strings.Join(want, " or "))
}

func checkRange(s map[string]any, v any, at string) error {
	n, ok := v.(json.Number)
	if !ok {
		return nil
	}
	val, ok := new(big.Float).SetString(n.String())
	if !ok {
		return fmt.Errorf("%s: %s is not a number", at, n)
	}
	for _, b := range []struct {
		key  string
		fail func(int) bool
	}{{"minimum", func(c int) bool { return c < 0 }}, {"maximum", func(c int) bool { return c > 0 }}} {
		lim, ok := s[b.key].(json.Number)
		if !ok {
			continue
		}
		l, _ := new(big.Float).SetString(lim.String())
		if l != nil && b.fail(val.Cmp(l)) {
			return fmt.Errorf("%s: %s is beyond the %s %s", at, n, b.key, lim)
		}
	}
	return nil
}

func checkFormat(f string, v any, at string) error {
	s, ok := v.(string)
	if !ok {
		return nil // format applies to strings only
	}
	switch f {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("%s: %q is not an RFC 3339 date-time", at, s)
		}
		return nil
	}
	return fmt.Errorf("%s: format %q is outside the subset this checker knows", at, f)
}

func equal(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// pointer resolves a reference within the document ("#/components/…").
func (d *Doc) pointer(ref string) (any, error) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("$ref %q: only references within the document are followed", ref)
	}
	var cur any = d.root
	for _, part := range strings.Split(path, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	return cur, nil
}

// resolve follows an object's $ref (responses, parameters), once or more.
func (d *Doc) resolve(v any) (any, error) {
	for range 8 {
		m, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return v, nil
		}
		var err error
		if v, err = d.pointer(ref); err != nil {
			return nil, err
		}
	}
	return nil, errors.New("$ref chain too long")
}

// CheckExamples validates every example of the document against its
// schema: those of request and response bodies (example, and each of
// examples), of parameters, and of schemas. It returns every failure.
func (d *Doc) CheckExamples() []error {
	var errs []error
	seen := 0
	for _, op := range d.Operations() {
		where := op.Method + " " + op.Path
		params, _ := op.op["parameters"].([]any)
		for _, p := range params {
			rp, err := d.resolve(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
			pm, _ := rp.(map[string]any)
			if ex, ok := pm["example"]; ok {
				seen++
				if err := d.validate(pm["schema"], ex, "$"); err != nil {
					errs = append(errs, fmt.Errorf("%s parameter %v: %w", where, pm["name"], err))
				}
			}
		}
		if body, ok := op.op["requestBody"]; ok {
			n, e := d.mediaExamples(where+" request", body)
			seen, errs = seen+n, append(errs, e...)
		}
		resps, _ := op.op["responses"].(map[string]any)
		for status, r := range resps {
			n, e := d.mediaExamples(where+" "+status, r)
			seen, errs = seen+n, append(errs, e...)
		}
	}
	if seen == 0 {
		errs = append(errs, errors.New("the document has no examples"))
	}
	return errs
}

// mediaExamples checks the examples of a request body or a response.
func (d *Doc) mediaExamples(where string, obj any) (int, []error) {
	r, err := d.resolve(obj)
	if err != nil {
		return 0, []error{fmt.Errorf("%s: %w", where, err)}
	}
	content, _ := r.(map[string]any)["content"].(map[string]any)
	var errs []error
	n := 0
	for mt, m := range content {
		media, _ := m.(map[string]any)
		check := func(label string, ex any) {
			n++
			if err := d.validate(media["schema"], ex, "$"); err != nil {
				errs = append(errs, fmt.Errorf("%s %s %s: %w", where, mt, label, err))
			}
		}
		if ex, ok := media["example"]; ok {
			check("example", ex)
		}
		exs, _ := media["examples"].(map[string]any)
		for name, e := range exs {
			em, _ := e.(map[string]any)
			check("examples."+name, em["value"])
		}
		if _, hasSchema := media["schema"]; hasSchema && n == 0 && mt == "application/json" {
			errs = append(errs, fmt.Errorf("%s %s: no example", where, mt))
		}
	}
	return n, errs
}

// CheckSchemas walks every component schema: each keyword must be in the
// subset and each $ref must resolve.
func (d *Doc) CheckSchemas() []error {
	comps, _ := d.root["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	var errs []error
	for name, s := range schemas {
		errs = append(errs, d.walkSchema(s, "#/components/schemas/"+name)...)
	}
	return errs
}

func (d *Doc) walkSchema(s any, at string) []error {
	m, ok := s.(map[string]any)
	if !ok {
		return []error{fmt.Errorf("%s: not a schema object", at)}
	}
	var errs []error
	for k, v := range m {
		switch {
		case k == "$ref":
			ref, _ := v.(string)
			if _, err := d.pointer(ref); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", at, err))
			}
		case k == "properties":
			props, _ := v.(map[string]any)
			for p, ps := range props {
				errs = append(errs, d.walkSchema(ps, at+"/properties/"+p)...)
			}
		case k == "items":
			errs = append(errs, d.walkSchema(v, at+"/items")...)
		case k == "oneOf":
			list, _ := v.([]any)
			for i, e := range list {
				errs = append(errs, d.walkSchema(e, fmt.Sprintf("%s/oneOf/%d", at, i))...)
			}
		case !known[k] && !strings.HasPrefix(k, "x-"):
			errs = append(errs, fmt.Errorf("%s: keyword %q is outside the subset", at, k))
		}
	}
	return errs
}
