package commands

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

type hostile struct {
	Name Untrusted     `json:"name"`
	Body UntrustedText `json:"body"`
	URL  string        `json:"url"`
}

// Untrusted strings are cleaned in JSON too: what a script decodes (and
// `jq -r` prints) holds no escape sequence, control or bidi character.
func TestUntrustedIsCleanInJSONAndText(t *testing.T) {
	v := hostile{Name: "ev\x1b]0;pwned\x07il\u202e name", Body: "code 123\r\nline\u009b2J two\x1b[31m",
		URL: "https://pay.example/c?a=1&b=2"}
	var buf bytes.Buffer
	if err := encodeJSON(&buf, v); err != nil {
		t.Fatal(err)
	}
	var back struct{ Name, Body, URL string }
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Name != "evil name" || back.Body != "code 123\nline two" {
		t.Fatalf("decoded %+v from %s", back, buf.String())
	}
	if !strings.Contains(buf.String(), `"https://pay.example/c?a=1&b=2"`) {
		t.Errorf("& escaped for HTML: %s", buf.String())
	}
	if s := v.Name.String(); s != "evil name" {
		t.Errorf("text: %q", s)
	}
}

func TestTimestamp(t *testing.T) {
	at := time.Date(2026, 11, 25, 13, 4, 5, 0, time.FixedZone("CET", 3600))
	b, _ := json.Marshal(struct {
		A Timestamp `json:"a"`
		Z Timestamp `json:"z"`
	}{Timestamp(at), Timestamp{}})
	if string(b) != `{"a":"2026-11-25T12:04:05Z","z":null}` {
		t.Fatalf("json: %s", b)
	}
	if s := Timestamp(at).String(); s != "2026-11-25 12:04 UTC" {
		t.Fatalf("text: %q", s)
	}
	if s := (Timestamp{}).String(); s != "never" {
		t.Fatalf("zero: %q", s)
	}
}
