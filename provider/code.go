package provider

// How ExtractCode decides (the user pastes what it returns, so it returns
// what the target's form accepts):
//   - numeric codes of 4–8 digits; split codes "123-456" and "123 456"
//     are joined to "123456";
//   - prefixed codes keep only the digits: Google's "G-123456" → "123456"
//     (Google's form shows the "G-" itself and takes the digits);
//   - letters-and-digits codes ("AB12CD") only when the text marks them,
//     right after a code word: "code: AB12CD", "Code ist AB12CD";
//   - ignored: links, e-mail addresses, phone numbers (+447…), digit runs
//     longer than 8, groups of digit runs (card or phone numbers), amounts
//     ($12.50, 100 RUB, €5), dates and times (2025-01-01, 12:30),
//     "#12345" references and, unless a code word is near, years;
//   - preference: a code right after a code word ("code: 1234"), else the
//     nearest to a code word in the same sentence, else the first left.

// maxScan bounds the work on hostile input; SMS bodies are far shorter.
const maxScan = 2048

// Code lengths we accept (the services we know use 4–8).
const (
	minCode = 4
	maxCode = 8
)

// nearWindow is how far (in runes) a code may sit from a code word in the
// same sentence to count as marked by it.
const nearWindow = 40

// ExtractCode returns the verification code in an SMS text, or "" when it
// finds none. See the comment at the top of code.go for the rules.
func ExtractCode(text string) string {
	t := newScanText(text)
	kws := t.keywords()
	if c := t.directAlnum(kws); c != "" {
		return c
	}
	cands := t.numericCandidates()
	best, bestRank := -1, 1<<30
	for i, c := range cands {
		r := t.rank(c, kws)
		if r < bestRank {
			best, bestRank = i, r
		}
	}
	if best < 0 {
		return ""
	}
	return cands[best].digits
}

// candidate is a numeric code found in the text: runes [start,end) hold
// digits (and one separator for a split code).
type candidate struct {
	start, end int
	digits     string
}

// rank orders candidates: lower is better. Direct marks first, then near
// ones by distance, then plain ones by position. Unmarked years never win.
func (t *scanText) rank(c candidate, kws []span) int {
	const direct, near, plain = 0, 1 << 20, 1 << 25
	bestNear := -1
	for _, k := range kws {
		if t.directlyAfter(k, c.start) {
			return direct + c.start
		}
		if d := t.nearDistance(k, c); d >= 0 && (bestNear < 0 || d < bestNear) {
			bestNear = d
		}
	}
	if bestNear >= 0 {
		return near + bestNear<<10 + c.start
	}
	if isYear(c.digits) {
		return 1 << 30
	}
	return plain + c.start
}

func isYear(d string) bool {
	return len(d) == 4 && (d[:2] == "19" || d[:2] == "20")
}

// numericCandidates finds digit runs that may be codes.
func (t *scanText) numericCandidates() []candidate {
	runs := t.digitRuns()
	var out []candidate
	for i := 0; i < len(runs); i++ {
		r := runs[i]
		if i+1 < len(runs) && t.splitPair(runs, i) {
			n := runs[i+1]
			out = append(out, candidate{r.start, n.end, string(t.rs[r.start:r.end]) + string(t.rs[n.start:n.end])})
			i++
			continue
		}
		if t.connected(runs, i) || r.end-r.start < minCode || r.end-r.start > maxCode {
			continue
		}
		c := candidate{r.start, r.end, string(t.rs[r.start:r.end])}
		if t.contextOK(c) {
			out = append(out, c)
		}
	}
	return out
}

// splitPair reports whether runs i and i+1 form a split code "123-456" or
// "123 456": two groups of three, one separator, no further group.
func (t *scanText) splitPair(runs []span, i int) bool {
	a, b := runs[i], runs[i+1]
	if a.end-a.start != 3 || b.end-b.start != 3 || b.start-a.end != 1 {
		return false
	}
	if sep := t.rs[a.end]; sep != ' ' && sep != '-' && sep != '\u00a0' {
		return false
	}
	if t.connected(runs[:i+1], i) || t.connected(runs[i+1:], 0) {
		return false // a longer group: phone or card number
	}
	return t.contextOK(candidate{a.start, b.end, ""})
}

// connected reports whether run i touches a neighbouring run through one
// separator, as in dates, times, decimals and grouped numbers.
func (t *scanText) connected(runs []span, i int) bool {
	r := runs[i]
	if i > 0 && t.joins(runs[i-1], r) {
		return true
	}
	return i+1 < len(runs) && t.joins(r, runs[i+1])
}

// joins reports whether runs a and b (a before b) are one number written
// with a separator: "2025-01-01", "12:30", "12.50", "0151 1234".
func (t *scanText) joins(a, b span) bool {
	if b.start-a.end != 1 {
		return false
	}
	switch t.rs[a.end] {
	case '-', '.', ',', ':', '/', '\u2013':
		return true
	case ' ', '\u00a0':
		return a.end-a.start >= 3 && b.end-b.start >= 3
	}
	return false
}
