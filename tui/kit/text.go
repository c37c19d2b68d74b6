package kit

import (
	"strings"
	"unicode"

	"github.com/wantsms/wantsms/tui/sanitize"
)

// Sentence capitalises a message's first letter for display.
func Sentence(s string) string {
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	return string(r)
}

// Refusal is a refusal of a screen's own checks (a typed amount that is no
// amount, a code that has not come), shown to the person as it is.
type Refusal string

func (e Refusal) Error() string      { return string(e) }
func (e Refusal) UserFacing() string { return string(e) }

// SpacedCode spreads a code out so it reads at a glance: "123456" →
// "123 456", "G-123456" stays as it is. It splits between characters,
// never inside one: half of a multi-byte letter is a stray byte that a
// terminal may read as a control.
func SpacedCode(code string) string {
	code = sanitize.Line(code)
	chars := []rune(code)
	if len(chars) < 6 || strings.ContainsAny(code, "- ") {
		return code
	}
	half := (len(chars) + 1) / 2
	return string(chars[:half]) + " " + string(chars[half:])
}

// BigCode shows a code boxed and spread out, the thing on screen that
// matters most.
func BigCode(st *Styles, code string) string {
	return st.CodeBox.Render(st.Code.Render(SpacedCode(code)))
}

// HostOnly drops the source port of an address, which means nothing to a
// person.
func HostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i > 0 && !strings.Contains(addr[i:], "]") {
		return strings.Trim(addr[:i], "[]")
	}
	return addr
}

// Rows puts blocks of text one under the other. Unlike lipgloss's
// JoinVertical it does not pad each row to the widest with spaces: the
// screen erases what is right of a row, so padding is only bytes to
// measure, keep and send.
func Rows(blocks ...string) string { return strings.Join(blocks, "\n") }
