package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// --log-level drops what is below it; --log-format json writes one JSON
// object per line.
func TestLogLevelAndFormat(t *testing.T) {
	var b bytes.Buffer
	log, err := newLogger(&b, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("quiet")
	log.Warn("loud", "session", "abc")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("lines %q", lines)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec["msg"] != "loud" || rec["session"] != "abc" {
		t.Fatalf("record %q: %v", lines[0], err)
	}
	b.Reset()
	log, _ = newLogger(&b, "debug", "text")
	log.Debug("detail")
	if !strings.Contains(b.String(), "msg=detail") {
		t.Fatalf("debug line missing: %q", b.String())
	}
	if _, err := newLogger(&b, "loud", "text"); err == nil {
		t.Fatal("an unknown level accepted")
	}
}
