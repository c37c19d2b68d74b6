package openapicheck

import (
	"strings"
	"testing"
)

const doc = `{
  "openapi": "3.1.0",
  "paths": {
    "/things/{id}": {"get": {"operationId": "getThing", "responses": {
      "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"},
        "example": {"id": 1, "name": "a", "when": null, "kind": "big", "tag": null}}}},
      "304": {"description": "same"}}}}
  },
  "components": {"schemas": {
    "Thing": {"type": "object", "required": ["id", "name"], "properties": {
      "id": {"type": "integer", "minimum": 1, "maximum": 10},
      "name": {"type": "string"},
      "when": {"type": ["string", "null"], "format": "date-time"},
      "kind": {"type": "string", "enum": ["big", "small"]},
      "tag": {"oneOf": [{"$ref": "#/components/schemas/Tag"}, {"type": "null"}]},
      "list": {"type": "array", "items": {"type": "string", "const": "x"}}}},
    "Tag": {"type": "object", "required": ["t"], "properties": {"t": {"type": "string"}}}
  }}
}`

func TestValidate(t *testing.T) {
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	d.Strict = true
	thing := d.Schema("Thing")
	for _, ok := range []string{
		`{"id": 1, "name": "a"}`,
		`{"id": 10, "name": "a", "when": "2026-11-25T12:00:00Z", "kind": "small", "tag": {"t": "x"}, "list": ["x"]}`,
		`{"id": 2, "name": "", "when": null, "tag": null, "list": []}`,
	} {
		if err := d.ValidateJSON(thing, []byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, c := range []struct{ json, want string }{
		{`{"name": "a"}`, `required "id"`},
		{`{"id": 1.5, "name": "a"}`, "want integer"},
		{`{"id": 0, "name": "a"}`, "minimum"},
		{`{"id": 11, "name": "a"}`, "maximum"},
		{`{"id": 1, "name": 3}`, "want string"},
		{`{"id": 1, "name": "a", "when": "yesterday"}`, "date-time"},
		{`{"id": 1, "name": "a", "kind": "huge"}`, "not one of"},
		{`{"id": 1, "name": "a", "tag": {}}`, "oneOf"},
		{`{"id": 1, "name": "a", "list": ["y"]}`, "want \"x\""},
		{`{"id": 1, "name": "a", "extra": true}`, "not documented"},
		{`[]`, "want object"},
	} {
		err := d.ValidateJSON(thing, []byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.json, err, c.want)
		}
	}
	d.Strict = false
	if err := d.ValidateJSON(thing, []byte(`{"id": 1, "name": "a", "extra": true}`)); err != nil {
		t.Errorf("not strict: %v", err)
	}
}

func TestResponsesExamplesAndSubset(t *testing.T) {
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if errs := d.CheckExamples(); len(errs) != 0 {
		t.Errorf("examples: %v", errs)
	}
	if errs := d.CheckSchemas(); len(errs) != 0 {
		t.Errorf("schemas: %v", errs)
	}
	if err := d.CheckResponse("GET", "/things/{id}", 200, []byte(`{"id": 3, "name": "b"}`)); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		method, path string
		status       int
		body, want   string
	}{
		{"GET", "/things/{id}", 200, `{"id": "3", "name": "b"}`, "want integer"},
		{"GET", "/things/{id}", 404, `{}`, "not documented"},
		{"POST", "/things/{id}", 200, `{}`, "not documented"},
		{"GET", "/things/{id}", 304, `{}`, "no"},
	} {
		err := d.CheckResponse(c.method, c.path, c.status, []byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s %d %s: %v, want %q", c.method, c.path, c.status, c.body, err, c.want)
		}
	}
	if err := d.CheckResponse("GET", "/things/{id}", 304, nil); err != nil {
		t.Errorf("304 without a body: %v", err)
	}

	bad, err := Parse([]byte(strings.Replace(doc, `"minimum": 1`, `"exclusiveMinimum": 1`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if errs := bad.CheckSchemas(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "exclusiveMinimum") {
		t.Errorf("a keyword outside the subset: %v", errs)
	}
	wrong, err := Parse([]byte(strings.Replace(doc, `"kind": "big"`, `"kind": "medium"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if errs := wrong.CheckExamples(); len(errs) != 1 {
		t.Errorf("an invalid example: %v", errs)
	}
}
