package commands

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wantsms/wantsms/tui/sanitize"
)

// output writes one call's results to stdout: human-readable text, or
// with --json one JSON value per result, each on its own line (a single
// document for ordinary commands, JSON Lines for streams).
type output struct {
	w      io.Writer
	json   bool
	stream bool
	n      int // results printed
}

var errPrintedTwice = errors.New("a command that is not a stream printed a second result")

// errClientGone is a failed write to the session: the client went away.
var errClientGone = errors.New("client went away")

func (o *output) print(r Result) error {
	if o.n > 0 && !o.stream {
		return errPrintedTwice
	}
	o.n++
	var buf bytes.Buffer
	if o.json {
		if err := encodeJSON(&buf, r); err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
	} else if err := r.WriteText(&buf); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	// One write per result: each write is an SSH packet, and a stream's
	// reader sees whole lines.
	if _, err := o.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("%w: %v", errClientGone, err)
	}
	return nil
}

// encodeJSON writes v as one line. HTML escaping is off: scripts read
// this, and a checkout URL keeps its & as it is.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Untrusted is a one-line string that came from outside (typed by a
// person, sent by a provider or an SMS sender). It is sanitized on every
// way out, in text and in JSON alike: a script that runs `jq -r` turns a
// JSON-escaped ESC back into a raw one on its terminal, so JSON escaping
// alone protects nothing.
type Untrusted string

// String is the sanitized text.
func (u Untrusted) String() string { return sanitize.Line(string(u)) }

// MarshalJSON writes the sanitized text.
func (u Untrusted) MarshalJSON() ([]byte, error) { return marshalString(u.String()) }

// UntrustedText is like Untrusted but keeps line breaks (an SMS body).
type UntrustedText string

// String is the sanitized text.
func (u UntrustedText) String() string { return sanitize.Text(string(u)) }

// MarshalJSON writes the sanitized text.
func (u UntrustedText) MarshalJSON() ([]byte, error) { return marshalString(u.String()) }

func marshalString(s string) ([]byte, error) {
	var b bytes.Buffer
	if err := encodeJSON(&b, s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// Timestamp is a moment: RFC 3339 in UTC in JSON ("2026-11-25T12:00:00Z",
// null when unknown), minutes in UTC in text.
type Timestamp time.Time

// MarshalJSON writes RFC 3339 UTC, or null for the zero time.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

// String writes "2026-11-25 12:00 UTC", or "never" for the zero time.
func (t Timestamp) String() string {
	if time.Time(t).IsZero() {
		return "never"
	}
	return time.Time(t).UTC().Format("2006-01-02 15:04") + " UTC"
}

// exampleTime stamps the example results that document JSON shapes.
var exampleTime = Timestamp(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))

// table writes aligned columns under an optional header; cells must
// already be clean (use the String of Untrusted values).
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if header != nil {
		fmt.Fprintln(tw, strings.Join(header, "\t"))
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// OptUntrusted is an Untrusted that may be missing: null in JSON when
// empty, so `jq 'select(.code)'` skips it.
type OptUntrusted string

// String is the sanitized text.
func (u OptUntrusted) String() string { return sanitize.Line(string(u)) }

// MarshalJSON writes the sanitized text, or null for none.
func (u OptUntrusted) MarshalJSON() ([]byte, error) {
	if u == "" {
		return []byte("null"), nil
	}
	return marshalString(u.String())
}
