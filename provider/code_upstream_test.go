package provider

import "testing"

// An upstream's own code is kept only as ASCII letters, digits and inner
// dashes of at most 12; otherwise the text's code is taken.
func TestMessageCode(t *testing.T) {
	const text = "Your code is 482913"
	for _, tc := range []struct{ upstream, want string }{
		{"73519", "73519"},
		{"AB12-CD34", "AB12-CD34"},
		{" 735 19\n", "73519"},
		{"12Ä34", "1234"},                        // a non-ASCII letter goes
		{"\u0085\u009b31m5\u00a0521", "31m5521"}, // C1 controls and NBSP go
		{"\x1b[2J4821", "2J4821"},                // an escape's parts never reach the box together
		{"ＡＢ１２", "482913"},                       // full-width only: nothing usable, the text's code
		{"---", "482913"},
		{"-42-", "42"},
		{"", "482913"},
		{"123456789012", "123456789012"},
		{"1234567890123", "482913"},             // too long to be a code: not cut, the text's instead
		{"click https://x.example/a", "482913"}, // a link is no code
	} {
		if got := MessageCode(tc.upstream, text); got != tc.want {
			t.Errorf("MessageCode(%q) = %q, want %q", tc.upstream, got, tc.want)
		}
	}
	if got := MessageCode("é", "no code here"); got != "" {
		t.Errorf("nothing usable anywhere: %q", got)
	}
}
