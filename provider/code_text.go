package provider

import (
	"strings"
	"unicode"
)

// scanText is an SMS prepared for ExtractCode: its runes, a lower-cased
// copy aligned rune for rune, and a mask over links, e-mail addresses and
// phone numbers, which never hold a code.
type scanText struct {
	rs, low []rune
	masked  []bool
}

// span is a half-open rune range.
type span struct{ start, end int }

func newScanText(s string) *scanText {
	rs := []rune(s)
	if len(rs) > maxScan {
		rs = rs[:maxScan]
	}
	t := &scanText{rs: rs, low: make([]rune, len(rs)), masked: make([]bool, len(rs))}
	for i, r := range rs {
		t.low[i] = unicode.ToLower(r)
	}
	t.maskTokens()
	t.maskPhones()
	return t
}

// maskTokens hides whitespace-separated tokens that are links or e-mail
// addresses.
func (t *scanText) maskTokens() {
	for i := 0; i < len(t.rs); {
		if unicode.IsSpace(t.rs[i]) {
			i++
			continue
		}
		j := i
		for j < len(t.rs) && !unicode.IsSpace(t.rs[j]) {
			j++
		}
		if isLinkOrMail(string(t.low[i:j])) {
			for k := i; k < j; k++ {
				t.masked[k] = true
			}
		}
		i = j
	}
}

func isLinkOrMail(tok string) bool {
	if strings.Contains(tok, "://") || strings.HasPrefix(tok, "www.") {
		return true
	}
	if at := strings.IndexByte(tok, '@'); at > 0 && strings.Contains(tok[at:], ".") {
		return true
	}
	// a bare domain with a path: t.me/login, g.co/abc123
	slash := strings.IndexByte(tok, '/')
	dot := strings.LastIndexByte(tok[:max(slash, 0)], '.')
	if slash <= 0 || dot <= 0 || slash-dot < 3 {
		return false
	}
	for _, r := range tok[dot+1 : slash] {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

// maskPhones hides international numbers: '+', a digit, then digits and
// the separators people write inside phone numbers.
func (t *scanText) maskPhones() {
	for i := 0; i+1 < len(t.rs); i++ {
		if t.rs[i] != '+' || !isASCIIDigit(t.rs[i+1]) {
			continue
		}
		j := i + 1
		for j < len(t.rs) {
			if isASCIIDigit(t.rs[j]) {
				j++
				continue
			}
			if strings.ContainsRune(" -().\u00a0", t.rs[j]) && j+1 < len(t.rs) &&
				(isASCIIDigit(t.rs[j+1]) || t.rs[j+1] == '(') {
				j++
				continue
			}
			break
		}
		for k := i; k < j; k++ {
			t.masked[k] = true
		}
		i = j
	}
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// isWordLetter is a letter of a script that separates words with spaces;
// digits touching one belong to a word ("abc123", "10min"), while digits
// touching Chinese, Japanese, Korean or Thai text may stand alone.
func isWordLetter(r rune) bool {
	return unicode.IsLetter(r) && !unicode.In(r, unicode.Han, unicode.Hiragana,
		unicode.Katakana, unicode.Hangul, unicode.Thai)
}

// digitRuns lists maximal runs of ASCII digits outside the mask.
func (t *scanText) digitRuns() []span {
	var out []span
	for i := 0; i < len(t.rs); {
		if !isASCIIDigit(t.rs[i]) || t.masked[i] {
			i++
			continue
		}
		j := i
		for j < len(t.rs) && isASCIIDigit(t.rs[j]) && !t.masked[j] {
			j++
		}
		out = append(out, span{i, j})
		i = j
	}
	return out
}

func (t *scanText) at(i int) rune {
	if i < 0 || i >= len(t.rs) {
		return ' '
	}
	return t.rs[i]
}

// contextOK rejects candidates whose neighbours show they are something
// else: part of a word, a phone number, a reference, a percentage or an
// amount of money.
func (t *scanText) contextOK(c candidate) bool {
	before, after := t.at(c.start-1), t.at(c.end)
	switch {
	case before == '+' || before == '#' || before == '№' || after == '%':
		return false
	case isWordLetter(after):
		return false
	case isWordLetter(before):
		return false
	case before == '-' && !t.codePrefix(c.start-1):
		return false
	}
	return !t.isMoney(c)
}

// codePrefix reports whether the '-' at i ends a prefix like "G-" or
// "FB-": one to three capital letters after a non-letter.
func (t *scanText) codePrefix(dash int) bool {
	i := dash - 1
	for i >= 0 && t.rs[i] >= 'A' && t.rs[i] <= 'Z' {
		i--
	}
	n := dash - 1 - i
	return n >= 1 && n <= 3 && !isWordLetter(t.at(i))
}

var currencySymbols = "$€£¥₽₹₺₩₦₴₸฿"

// currencyWords are words written next to amounts, lower case.
var currencyWords = map[string]bool{
	"usd": true, "eur": true, "gbp": true, "rub": true, "руб": true, "р": true,
	"rp": true, "idr": true, "brl": true, "r": true, "inr": true, "rs": true,
	"try": true, "tl": true, "pln": true, "zł": true, "uah": true, "грн": true,
	"kzt": true, "тг": true, "cny": true, "rmb": true, "元": true, "mxn": true,
	"dollars": true, "euros": true, "reais": true, "рублей": true, "рубля": true,
}

// isMoney reports whether a currency symbol or word sits right before or
// after the candidate (at most one space away).
func (t *scanText) isMoney(c candidate) bool {
	if strings.ContainsRune(currencySymbols, t.skipSpace(c.start-1, -1)) ||
		strings.ContainsRune(currencySymbols, t.skipSpace(c.end, 1)) {
		return true
	}
	return currencyWords[t.wordAt(c.start-1, -1)] || currencyWords[t.wordAt(c.end, 1)]
}

// skipSpace returns the rune at i, or past one space in direction dir.
func (t *scanText) skipSpace(i, dir int) rune {
	if r := t.at(i); r != ' ' && r != '\u00a0' {
		return r
	}
	return t.at(i + dir)
}

// wordAt returns the lower-case word of letters (and '$' or '.', as in
// "R$" and "р.") next to position i in direction dir, past one space.
func (t *scanText) wordAt(i, dir int) string {
	if r := t.at(i); r == ' ' || r == '\u00a0' {
		i += dir
	}
	j := i
	for j >= 0 && j < len(t.rs) && (unicode.IsLetter(t.rs[j]) || t.rs[j] == '$') {
		j += dir
	}
	if j == i {
		return ""
	}
	if dir < 0 {
		return strings.TrimSuffix(string(t.low[j+1:i+1]), "$")
	}
	return string(t.low[i:j])
}
