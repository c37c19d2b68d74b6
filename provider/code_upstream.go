package provider

import "strings"

// maxUpstreamCode bounds a code an upstream hands us with an SMS. Codes in
// use are 4–8 characters, 9 with a dash ("AB12-CD34"); 12 leaves room for
// longer ones without letting a provider put a sentence in the code box.
const maxUpstreamCode = 12

// MessageCode is the code kept for an SMS: the upstream's own code when it
// gives a usable one, else the code found in the text (ExtractCode). An
// upstream's code is untrusted text and is shown large: only its ASCII
// letters, digits and inner dashes are kept, and one that keeps nothing,
// or more than maxUpstreamCode characters, is not used at all: a cut code
// would be a wrong code. The SMS text, kept whole, carries the rest.
// Every SMS passes through here on its way to the store, whichever
// adapter, poll or webhook brought it.
func MessageCode(upstream, text string) string {
	if c := cleanCode(upstream); c != "" {
		return c
	}
	return ExtractCode(text)
}

// cleanCode keeps the ASCII letters, digits and dashes of an upstream code
// (trimming dashes at its ends), or gives "" when that leaves nothing
// usable.
func cleanCode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '-':
			b.WriteByte(c)
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" || len(out) > maxUpstreamCode {
		return ""
	}
	return out
}
