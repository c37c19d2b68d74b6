package sanitize

import (
	"strings"
	"testing"
)

// attacks lists one input per class of hostile or broken text, with the
// exact output Text must give. The vt test reuses it.
var attacks = []struct {
	name, in, want string
}{
	// CSI, including private parameters.
	{"clear screen and home", "a\x1b[2J\x1b[Hb", "ab"},
	{"cursor up and erase line", "code 1234\x1b[1A\x1b[2Kcode 9999", "code 1234code 9999"},
	{"sgr colour", "\x1b[31mred\x1b[0m plain", "red plain"},
	{"sgr truecolor", "\x1b[38;2;255;0;0;48;5;196mX\x1b[m", "X"},
	{"private alt screen and hide cursor", "\x1b[?1049h\x1b[?25lhi", "hi"},
	{"csi with intermediate", "\x1b[2 qcursor style", "cursor style"},
	{"esc inside csi restarts", "\x1b[3\x1b[31mX", "X"},
	{"newline inside csi", "\x1b[2\nJ", "\nJ"},
	// OSC, ended by BEL or ST.
	{"osc 52 clipboard", "x\x1b]52;c;cm0gLXJmIH4=\x07y", "xy"},
	{"osc 0 title with st", "\x1b]0;pwned\x1b\\ok", "ok"},
	{"osc 2 title with bel", "\x1b]2;pwned\x07ok", "ok"},
	{"osc 8 link", "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"},
	{"osc 11 background colour", "\x1b]11;#ff0000\x07bg", "bg"},
	{"osc cancelled by can", "\x1b]0;t\x18visible", "visible"},
	{"osc cut short by another escape", "\x1b]0;t\x1b[31mX", "X"},
	{"osc payload with 0x9c continuation byte", "\x1b]0;\u271c\x07ok", "ok"},
	// DCS, SOS, PM, APC.
	{"dcs", "\x1bP1$r0m\x1b\\after", "after"},
	{"dcs with bel inside", "\x1bPq\x07#0\x1b\\after", "after"},
	{"sos", "\x1bXhidden\x1b\\shown", "shown"},
	{"pm", "\x1b^hidden\x1b\\shown", "shown"},
	{"apc", "\x1b_Gf=100;AAAA\x1b\\shown", "shown"},
	// Two-byte and nF escapes.
	{"full reset", "\x1bcX", "X"},
	{"save and restore cursor", "\x1b7a\x1b8b", "ab"},
	{"line drawing charset", "\x1b(0lqk\x1b(B", "lqk"},
	{"screen alignment test", "\x1b#8ok", "ok"},
	{"esc before non-ascii", "\x1bé", "é"},
	{"esc before newline", "a\x1b\nb", "a\nb"},
	// 8-bit C1, raw and UTF-8 encoded.
	{"raw 8-bit csi", "a\x9b2Jb", "ab"},
	{"raw 8-bit osc with bel", "a\x9d0;t\x07b", "ab"},
	{"raw 8-bit osc with raw st", "a\x9d0;t\x9cb", "ab"},
	{"raw 8-bit dcs", "a\x90q#0\x9cb", "ab"},
	{"utf-8 csi", "a\u009b31mb", "ab"},
	{"utf-8 osc 52 with utf-8 st", "a\u009d52;c;eA==\u009cb", "ab"},
	{"utf-8 apc", "a\u009fdata\u009cb", "ab"},
	{"utf-8 nel", "a\u0085b", "ab"},
	{"utf-8 single shift", "a\u008eb", "ab"},
	// Bidi controls.
	{"right-to-left override", "invoice\u202Egnp.exe", "invoicegnp.exe"},
	{"embeddings and pop", "\u202Aa\u202Bb\u202Cc\u202Dd", "abcd"},
	{"isolates", "\u2066a\u2067b\u2068c\u2069", "abc"},
	{"marks", "\u200Ea\u200Fb\u061Cc", "abc"},
	// Invisible format characters.
	{"zero-width space", "pay\u200Bpal", "paypal"},
	{"zero-width non-joiner", "pay\u200Cpal", "paypal"},
	{"zero-width joiner between letters", "pay\u200Dpal", "paypal"},
	{"word joiner", "pay\u2060pal", "paypal"},
	{"byte order mark", "\uFEFFhello", "hello"},
	{"soft hyphen", "co\u00ADop", "coop"},
	{"zwj after emoji before letter", "\U0001F44D\u200Da", "\U0001F44Da"},
	{"zwj before emoji after letter", "a\u200D\U0001F44D", "a\U0001F44D"},
	{"zwj at end after emoji", "\U0001F44D\u200D", "\U0001F44D"},
	{"zwj before escape before emoji", "\U0001F468\u200D\x1b[31m\U0001F469", "\U0001F468\U0001F469"},
	{"tags without flag", "a\U000E0068\U000E0069", "a"},
	{"language tag", "\U000E0001\U000E0065\U000E006Ex", "x"},
	// C0 controls and DEL.
	{"nul", "a\x00b", "ab"},
	{"bel", "a\x07b", "ab"},
	{"backspace overwrite", "abc\b\b\bxyz", "abcxyz"},
	{"vertical tab and form feed", "a\vb\fc", "abc"},
	{"del", "a\x7fb", "ab"},
	{"tab", "a\tb", "a b"},
	{"crlf", "a\r\nb", "a\nb"},
	{"lone cr", "a\rb", "a\nb"},
	{"cr cr lf", "a\r\r\nb", "a\n\nb"},
	{"line and paragraph separators", "a\u2028b\u2029c", "a\nb\nc"},
	// Invalid UTF-8.
	{"invalid byte", "a\xffb", "a\uFFFDb"},
	{"truncated character", "a\xe2\x82", "a\uFFFD"},
	{"truncated before 0x9b", "\xe2\x9b2J", "\uFFFD2J"},
	{"overlong nul", "a\xc0\x80b", "a\uFFFDb"},
	{"surrogate half", "a\xed\xa0\x80b", "a\uFFFDb"},
	{"stray continuation byte", "a\xa9b", "a\uFFFDb"},
	// Unterminated sequences at the end.
	{"lone esc at end", "hi\x1b", "hi"},
	{"csi introducer at end", "hi\x1b[", "hi"},
	{"csi params at end", "hi\x1b[31;1", "hi"},
	{"unterminated osc", "hi\x1b]0;title", "hi"},
	{"unterminated dcs", "hi\x1bPdata", "hi"},
	{"esc intermediate at end", "hi\x1b(", "hi"},
	{"raw 8-bit csi at end", "hi\x9b", "hi"},
	{"utf-8 osc at end", "hi\u009d", "hi"},
}

func TestTextAttacks(t *testing.T) {
	for _, tc := range attacks {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// ordinary is text that must pass through Text byte for byte.
var ordinary = []string{
	"Your code is 482913. Do not share it.",
	"Ваш код подтверждения: 4821",
	"您的验证码是 739201，请勿泄露。",
	"رمز التحقق الخاص بك هو 5531",
	"Café Müller, São Paulo, Łódź, İstanbul",
	"שלום עולם",
	"नमस्ते, आपका कोड 7781 है",
	"thumbs \U0001F44D",
	"family \U0001F468\u200D\U0001F469\u200D\U0001F467",
	"astronaut \U0001F469\U0001F3FD\u200D\U0001F680",
	"heart on fire \u2764\uFE0F\u200D\U0001F525",
	"rainbow flag \U0001F3F3\uFE0F\u200D\U0001F308",
	"eye in bubble \U0001F441\uFE0F\u200D\U0001F5E8\uFE0F",
	"runner \U0001F3C3\u200D\u2640\uFE0F",
	"keycap 1\uFE0F\u20E3 and flag \U0001F1FA\U0001F1E6",
	"England \U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
	"two lines\nof text",
	"",
}

func TestTextKeepsOrdinaryText(t *testing.T) {
	for _, s := range ordinary {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
		if n := testing.AllocsPerRun(100, func() { Text(s) }); n != 0 {
			t.Errorf("Text(%q) allocated %v times, want 0", s, n)
		}
	}
}

func TestLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Google", "Google"},
		{"  Bank\tof\r\nAmerica  ", "Bank of America"},
		{"a\n\n\nb", "a b"},
		{"\x1b[31mTele\x1b[0m gram\u202E", "Tele gram"},
		{"a \x1b[2J b", "a b"},
		{"\n\t \r", ""},
		{"", ""},
		{"Ваш\u2028код", "Ваш код"},
	}
	for _, tc := range cases {
		if got := Line(tc.in); got != tc.want {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Line("Bank of America") }); n != 0 {
		t.Errorf("Line on clean input allocated %v times, want 0", n)
	}
}

func TestTruncate(t *testing.T) {
	family := "\U0001F468\u200D\U0001F469\u200D\U0001F467"
	cases := []struct {
		in    string
		width int
		want  string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello world", 5, "hell…"},
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
		{"中文字符", 5, "中文…"}, // 4 cells of CJK, then the ellipsis
		{"中文字符", 4, "中…"},  // 文 would need cells 3-4, leaving none for …
		{"ab" + family + "cd", 4, "ab…"},
		{"ab" + family + "cd", 5, "ab" + family + "…"},
		{"e\u0301e\u0301e\u0301", 2, "e\u0301…"}, // combining accent stays on its letter
		{"\x1b[31mred alert\x1b[0m", 6, "red a…"},
		{"line one\nline two", 20, "line one line two"},
		// A keycap is two cells; ansi.Truncate counts it as one.
		{"keycap 1\uFE0F\u20E3 and flag", 13, "keycap 1\uFE0F\u20E3 an…"},
	}
	for _, tc := range cases {
		if got := Truncate(tc.in, tc.width); got != tc.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestTruncateNeverSplitsRunes(t *testing.T) {
	s := strings.Repeat("日本\U0001F44D\u00e9", 10)
	for w := 0; w < 60; w++ {
		got := Truncate(s, w)
		prefix := strings.TrimSuffix(got, Ellipsis)
		if !strings.HasPrefix(s, prefix) {
			t.Fatalf("Truncate(s, %d) = %q is not a prefix of s", w, got)
		}
	}
}
