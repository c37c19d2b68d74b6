package provider

import (
	"strings"
	"unicode"
)

// codeWord is a word that marks a verification code, lower case. bounded
// words must stand alone ("pin", not "shopping"); the others may end a
// compound ("Bestätigungscode") or take an ending ("kodunuz", "codes").
type codeWord struct {
	word    string
	bounded bool
}

// codeWords in the languages of our users' SMS: English, Russian,
// Spanish, Portuguese, German, French, Italian, Turkish, Indonesian,
// Polish, Chinese, Japanese, Korean, Thai, Vietnamese.
var codeWords = []codeWord{
	{"code", false}, {"passcode", false}, {"otp", true}, {"pin", true},
	{"password", false}, {"код", false}, {"пароль", false},
	{"código", false}, {"codigo", false}, {"senha", false}, {"contraseña", false},
	{"passwort", false}, {"codice", false}, {"kod", false}, {"şifre", false},
	{"kode", false}, {"验证码", false}, {"驗證碼", false}, {"校验码", false},
	{"动态码", false}, {"确认码", false}, {"コード", false}, {"認証番号", false},
	{"인증번호", false}, {"รหัส", false}, {"mã", true},
}

// fillerWords may stand between a code word and its code: "code is 1234",
// "Code lautet 1234", "código é 1234", "kode adalah 1234", "验证码为1234".
var fillerWords = map[string]bool{
	"is": true, "ist": true, "est": true, "es": true, "é": true, "e": true,
	"lautet": true, "adalah": true, "anda": true, "kamu": true, "your": true,
	"为": true, "是": true, "to": true, "là": true, "คือ": true,
}

// fillerRunes may stand between a code word and its code.
const fillerRunes = " \u00a0:：=-–—\"'«»“”(["

// maxFiller bounds the gap, in runes, between a code word and its code
// when it counts as "directly after".
const maxFiller = 20

// maxEnding bounds how far a code word's span extends over the rest of
// its word; maxKeywords bounds how many are kept (an SMS has a few).
const (
	maxEnding   = 16
	maxKeywords = 64
)

// keywords finds the code words in the text, each span extended over the
// rest of its word ("code" in "codes" covers "codes").
func (t *scanText) keywords() []span {
	var out []span
	for _, w := range codeWords {
		kw := []rune(w.word)
		for i := 0; i+len(kw) <= len(t.low); i++ {
			if !hasRunesAt(t.low, i, kw) || t.masked[i] {
				continue
			}
			end := i + len(kw)
			if w.bounded && (isWordLetter(t.at(i-1)) || isWordLetter(t.at(end))) {
				continue
			}
			for lim := end + maxEnding; end < len(t.rs) && end < lim && isWordLetter(t.rs[end]); {
				end++
			}
			if out = append(out, span{i, end}); len(out) >= maxKeywords {
				return out
			}
		}
	}
	return out
}

func hasRunesAt(s []rune, i int, w []rune) bool {
	for k, r := range w {
		if s[i+k] != r {
			return false
		}
	}
	return true
}

// directlyAfter reports whether position pos follows code word k with
// only filler between, allowing a code prefix like "G-" just before pos.
func (t *scanText) directlyAfter(k span, pos int) bool {
	i := k.end
	if pos < i || pos-i > maxFiller {
		return false
	}
	words := 0
	for i < pos {
		switch {
		case strings.ContainsRune(fillerRunes, t.rs[i]):
			i++
		case t.rs[i] >= 'A' && t.rs[i] <= 'Z' && t.codePrefixEnds(i, pos):
			return true
		default:
			j := i
			for j < pos && !strings.ContainsRune(fillerRunes, t.rs[j]) {
				j++
			}
			if words++; words > 2 || !fillerWords[string(t.low[i:j])] {
				return false
			}
			i = j
		}
	}
	return true
}

// codePrefixEnds reports whether capitals from i then '-' reach pos.
func (t *scanText) codePrefixEnds(i, pos int) bool {
	return pos-1 > i && t.rs[pos-1] == '-' && t.codePrefix(pos-1) && pos-1-i <= 3
}

// sentenceBreaks end the scope of a code word.
const sentenceBreaks = ".!?;\n。！？"

// nearDistance is the gap in runes between code word k and candidate c
// when both are in one sentence within nearWindow; -1 otherwise.
func (t *scanText) nearDistance(k span, c candidate) int {
	from, to := k.end, c.start
	if c.end <= k.start {
		from, to = c.end, k.start
	} else if c.start < k.end {
		return -1
	}
	if to-from > nearWindow {
		return -1
	}
	for i := from; i < to; i++ {
		if strings.ContainsRune(sentenceBreaks, t.rs[i]) {
			return -1
		}
	}
	return to - from
}

// directAlnum finds a letters-and-digits code right after a code word:
// "code: AB12CD". It must hold a digit and a capital letter, no small
// letters, and be 4–8 long.
func (t *scanText) directAlnum(kws []span) string {
	for _, k := range kws {
		for pos := k.end; pos < len(t.rs) && pos-k.end <= maxFiller; pos++ {
			if !isASCIIAlnum(t.rs[pos]) || isASCIIAlnum(t.at(pos-1)) || t.masked[pos] {
				continue
			}
			if !t.directlyAfter(k, pos) {
				break
			}
			if c := t.alnumToken(pos); c != "" {
				return c
			}
			if !fillerWords[t.lowWord(pos)] {
				break
			}
		}
	}
	return ""
}

func (t *scanText) alnumToken(pos int) string {
	j := pos
	digits, upper := 0, 0
	for j < len(t.rs) && isASCIIAlnum(t.rs[j]) {
		switch r := t.rs[j]; {
		case isASCIIDigit(r):
			digits++
		case r >= 'A' && r <= 'Z':
			upper++
		default:
			return ""
		}
		j++
	}
	if n := j - pos; n < minCode || n > maxCode || digits == 0 || upper == 0 {
		return ""
	}
	if isWordLetter(t.at(j)) || t.masked[j-1] {
		return ""
	}
	return string(t.rs[pos:j])
}

func isASCIIAlnum(r rune) bool {
	return isASCIIDigit(r) || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
}

// lowWord is the lower-case run of letters and digits starting at pos.
func (t *scanText) lowWord(pos int) string {
	j := pos
	for j < len(t.rs) && (unicode.IsLetter(t.rs[j]) || unicode.IsDigit(t.rs[j])) {
		j++
	}
	return string(t.low[pos:j])
}
