package v1api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/tui/sanitize"
)

// maxBody bounds a request body: every body this API takes is a few
// short fields.
const maxBody = 4 << 10

// decode reads a JSON object body into v: unknown fields, trailing data
// and a body over maxBody are refused, so a misspelt field (say
// "max_price" for "max_price_cents") never passes unnoticed.
func decode(c *call, v any) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return refuse(CodeBadRequest, "the body is not the JSON object this route takes: "+jsonProblem(err))
	}
	if dec.More() {
		return refuse(CodeBadRequest, "the body holds more than one JSON value")
	}
	return nil
}

// readBody reads the request's body, refusing one over maxBody.
func readBody(c *call) ([]byte, error) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, refuse(CodeBadRequest, fmt.Sprintf("the body is over %d bytes", maxBody))
	}
	return raw, err
}

// noBody refuses a body on an action that takes none (an empty object is
// fine), so a client that sends parameters is told they mean nothing.
func noBody(c *call) error {
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBody))
	if err != nil {
		return refuse(CodeBadRequest, "this route takes no body")
	}
	if t := string(bytes.TrimSpace(raw)); t != "" && t != "{}" {
		return refuse(CodeBadRequest, "this route takes no body")
	}
	return nil
}

// jsonProblem words a decoding error without echoing the body.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Sprintf("field %q must be %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &typeErr):
		return "want a JSON object"
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return "it is not valid JSON"
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if name, err := strconv.Unquote(f); err == nil {
			f = name
		}
		return "unknown field " + echo(f)
	}
	return "it is not valid JSON"
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"):
		return "a whole number"
	case goKind == "string":
		return "a string"
	}
	return "of another type"
}

// pathID is the reservation id in the path: a positive whole number.
func pathID(c *call) (int64, error) {
	s := c.r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, refuse(CodeReservationNotFound, "a reservation id is a positive whole number")
	}
	return id, nil
}

// rentalPathID is the rental id in the path: 7, or R7 as the commands
// name it.
func rentalPathID(c *call) (int64, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(c.r.PathValue("id"), "R"), "r")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, refuse(CodeRentalNotFound, "a rental id is a positive whole number, or R and one (R7)")
	}
	return id, nil
}

// serviceParam reads a service code ("" when absent and optional) as its
// canonical code; a market alias ("tg") counts.
func serviceParam(v string, required bool) (string, error) {
	if v == "" {
		if required {
			return "", refuse(CodeBadRequest, "service is required: a service code like telegram (GET /v1/services lists them)")
		}
		return "", nil
	}
	s, ok := provider.LookupService(strings.ToLower(v))
	if !ok {
		return "", refuse(CodeUnknownService, fmt.Sprintf("no service has the code %s: GET /v1/services lists them",
			echo(v)))
	}
	return s.Code, nil
}

// countryParam reads a two-letter country code ("" when absent and
// optional).
func countryParam(v string, required bool) (string, error) {
	if v == "" {
		if required {
			return "", refuse(CodeBadRequest, "country is required: a two-letter code like gb (GET /v1/countries lists them)")
		}
		return "", nil
	}
	cc, ok := provider.LookupCountry(strings.ToLower(v))
	if !ok {
		return "", refuse(CodeUnknownCountry, fmt.Sprintf("no country has the code %s: GET /v1/countries lists them",
			echo(v)))
	}
	return cc.Code, nil
}

// intParam reads a whole number query parameter within [min, max], def
// when absent.
func intParam(c *call, name string, min, max, def int) (int, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max || strings.TrimLeft(s, "0123456789") != "" {
		return 0, refuse(CodeBadRequest, fmt.Sprintf("%s is a whole number from %d to %d", name, min, max))
	}
	return n, nil
}

// waitParam reads ?wait: seconds ("60") or a Go duration ("60s", "1m"),
// from 0 to maxWait.
func waitParam(c *call) (time.Duration, error) {
	s := c.r.URL.Query().Get("wait")
	if s == "" {
		return 0, nil
	}
	bad := refuse(CodeBadRequest, fmt.Sprintf("wait is a number of seconds (60) or a duration (60s, 1m) up to %s",
		maxWait))
	var d time.Duration
	if n, err := strconv.Atoi(s); err == nil {
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, bad
	}
	if d < 0 || d > maxWait {
		return 0, bad
	}
	return d, nil
}

// sinceParam reads ?since: a day (2026-11-25, from 00:00 UTC) or a moment
// in RFC 3339.
func sinceParam(c *call) (time.Time, error) {
	s := c.r.URL.Query().Get("since")
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, refuse(CodeBadRequest, "since is a day (2026-11-25) or a moment in RFC 3339 (2026-11-25T12:00:00Z)")
}

// echo is a value the client sent, quoted back in a message: cleaned by
// the one sanitizer and kept short.
func echo(s string) string {
	const most = 40
	return strconv.Quote(sanitize.Truncate(sanitize.Line(s), most))
}
