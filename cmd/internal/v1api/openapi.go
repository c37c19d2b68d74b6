package v1api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// openapiBase is the OpenAPI 3.1 document but for the ErrorCode schema,
// which Document fills in from the table of codes (errors.go).
//
//go:embed openapi.json
var openapiBase []byte

var (
	docOnce sync.Once
	docJSON []byte
	docErr  error
)

// Document is the OpenAPI document served at /v1/openapi.json: the
// embedded file with the ErrorCode schema made from Codes, each code a
// const with its meaning and, as x-status, its HTTP status.
func Document() ([]byte, error) {
	docOnce.Do(func() { docJSON, docErr = buildDocument() })
	return docJSON, docErr
}

func buildDocument() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openapiBase, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		return nil, fmt.Errorf("openapi.json: no components.schemas")
	}
	var one []any
	for _, c := range codes {
		one = append(one, map[string]any{"const": string(c.Code), "x-status": c.Status,
			"description": strconv.Itoa(c.Status) + ": " + c.Means})
	}
	schemas["ErrorCode"] = map[string]any{"type": "string", "oneOf": one,
		"description": "The error's stable machine code; x-status is the HTTP status it comes with."}
	return json.MarshalIndent(doc, "", "  ")
}

// openAPI serves the document; it needs no key.
func (a *API) openAPI(c *call) error {
	doc, err := Document()
	if err != nil {
		return err
	}
	c.send(http.StatusOK, doc)
	return nil
}
