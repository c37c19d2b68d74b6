// Package metrics writes and reads the Prometheus text exposition format
// (version 0.0.4), which WantSMS serves at /metrics: counters and gauges
// with labels, integer values only. It has no dependency: the format is
// a few lines of text, and the reader exists so tests can check what the
// writer wrote.
//
// Label values must never carry personal data (no emails, addresses,
// numbers or keys): only states, statuses, outcomes and provider names.
//
// May import from this repository: nothing.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Type is a metric family's type.
type Type string

// The types WantSMS uses.
const (
	Counter Type = "counter" // only ever grows (resets when the process restarts)
	Gauge   Type = "gauge"   // a level that goes up and down
)

// Label is one name="value" pair of a sample.
type Label struct{ Name, Value string }

// Sample is one value of a family, told apart by its labels.
type Sample struct {
	Labels []Label
	Value  int64
}

// Family is a named metric with its help, type and samples.
type Family struct {
	Name    string
	Help    string
	Type    Type
	Samples []Sample
}

// L makes labels from name, value pairs: L("state", "active").
func L(pairs ...string) []Label {
	out := make([]Label, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Label{pairs[i], pairs[i+1]})
	}
	return out
}

var nameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// Write writes families in the text format. A malformed name is an error
// (a programming mistake, caught by tests), never silently dropped.
func Write(w io.Writer, families []Family) error {
	bw := bufio.NewWriter(w)
	for _, f := range families {
		if !nameRE.MatchString(f.Name) || (f.Type != Counter && f.Type != Gauge) {
			return fmt.Errorf("metric %q of type %q: bad name or type", f.Name, f.Type)
		}
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", f.Name, escapeHelp(f.Help), f.Name, f.Type)
		for _, s := range f.Samples {
			bw.WriteString(f.Name)
			if len(s.Labels) > 0 {
				bw.WriteByte('{')
				for i, l := range s.Labels {
					if !nameRE.MatchString(l.Name) || strings.HasPrefix(l.Name, "__") {
						return fmt.Errorf("metric %s: bad label name %q", f.Name, l.Name)
					}
					if i > 0 {
						bw.WriteByte(',')
					}
					fmt.Fprintf(bw, `%s="%s"`, l.Name, escapeValue(l.Value))
				}
				bw.WriteByte('}')
			}
			fmt.Fprintf(bw, " %d\n", s.Value)
		}
	}
	return bw.Flush()
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func escapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

// Tally counts events by one label value (an outcome, a state). Safe for
// concurrent use; the zero value is ready.
type Tally struct {
	mu sync.Mutex
	n  map[string]int64
}

// Inc counts one event with this label value.
func (t *Tally) Inc(value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int64{}
	}
	t.n[value]++
}

// Snapshot copies the counts.
func (t *Tally) Snapshot() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int64, len(t.n))
	for k, v := range t.n {
		out[k] = v
	}
	return out
}

// Parse reads the text format back (what Write writes, and the common
// subset of what Prometheus accepts): every sample must belong to a family
// declared by # TYPE before it, and values must be integers or floats.
// It is strict, for tests.
func Parse(r io.Reader) (map[string]Family, error) {
	out := map[string]Family{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if err := parseLine(out, line); err != nil {
			return nil, fmt.Errorf("line %d %q: %w", n, line, err)
		}
	}
	return out, sc.Err()
}

func parseLine(out map[string]Family, line string) error {
	switch {
	case line == "":
		return nil
	case strings.HasPrefix(line, "# HELP "):
		name, help, _ := strings.Cut(strings.TrimPrefix(line, "# HELP "), " ")
		f := out[name]
		f.Name, f.Help = name, help
		out[name] = f
		return nil
	case strings.HasPrefix(line, "# TYPE "):
		name, typ, _ := strings.Cut(strings.TrimPrefix(line, "# TYPE "), " ")
		if typ != string(Counter) && typ != string(Gauge) {
			return fmt.Errorf("unknown type %q", typ)
		}
		f := out[name]
		f.Name, f.Type = name, Type(typ)
		out[name] = f
		return nil
	case strings.HasPrefix(line, "#"):
		return nil
	}
	name, s, err := parseSample(line)
	if err != nil {
		return err
	}
	f, ok := out[name]
	if !ok || f.Type == "" {
		return fmt.Errorf("sample of undeclared family %q", name)
	}
	f.Samples = append(f.Samples, s)
	out[name] = f
	return nil
}

func parseSample(line string) (string, Sample, error) {
	var s Sample
	end := strings.IndexAny(line, "{ ")
	if end <= 0 || !nameRE.MatchString(line[:end]) {
		return "", s, fmt.Errorf("bad metric name")
	}
	name, rest := line[:end], line[end:]
	if strings.HasPrefix(rest, "{") {
		var err error
		if s.Labels, rest, err = parseLabels(rest[1:]); err != nil {
			return "", s, err
		}
	}
	v := strings.TrimSpace(rest)
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		s.Value = i
		return name, s, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		s.Value = int64(f)
		return name, s, nil
	}
	return "", s, fmt.Errorf("bad value %q", v)
}

// parseLabels reads name="value",… up to the closing brace.
func parseLabels(s string) ([]Label, string, error) {
	var out []Label
	for {
		if strings.HasPrefix(s, "}") {
			return out, s[1:], nil
		}
		eq := strings.Index(s, `="`)
		if eq <= 0 || !nameRE.MatchString(s[:eq]) {
			return nil, "", fmt.Errorf("bad label")
		}
		name := s[:eq]
		s = s[eq+2:]
		var b strings.Builder
		i := 0
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					b.WriteByte('\n')
				default:
					b.WriteByte(s[i])
				}
				continue
			}
			b.WriteByte(s[i])
		}
		if i == len(s) {
			return nil, "", fmt.Errorf("unterminated label value")
		}
		out = append(out, Label{name, b.String()})
		s = strings.TrimPrefix(s[i+1:], ",")
	}
}

// Value finds the value of the sample of family name whose labels
// include every given name, value pair; ok is false when none matches.
func (f Family) Value(pairs ...string) (v int64, ok bool) {
	want := L(pairs...)
	for _, s := range f.Samples {
		if hasAll(s.Labels, want) {
			return s.Value, true
		}
	}
	return 0, false
}

func hasAll(have, want []Label) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Webhook outcomes, the values of the outcome label of webhook counters.
const (
	OutcomeOK           = "ok"            // applied
	OutcomeIgnored      = "ignored"       // valid but not for us or already applied (acknowledged)
	OutcomeBadSignature = "bad_signature" // signature or secret wrong: refused
	OutcomeMalformed    = "malformed"     // signed but unusable, or too large: refused
	OutcomeError        = "error"         // our side failed: the sender retries
)
