package provider

import (
	"errors"
	"fmt"
	"strings"
)

// E.164 allows at most 15 digits; no real mobile number has fewer than 8
// (country code included).
const (
	minPhoneDigits = 8
	maxPhoneDigits = 15
)

// NormalizePhone turns an upstream phone number ("79036839671",
// "+7 903 683-96-71") into E.164 ("+79036839671") and checks that it
// starts with the calling code of the canonical country it was bought for.
// Only digits, a leading '+', spaces, '-', '(' and ')' are accepted.
func NormalizePhone(raw, country string) (string, error) {
	c, ok := LookupCountry(country)
	if !ok {
		return "", fmt.Errorf("phone %q: unknown country %q", raw, country)
	}
	s := strings.TrimPrefix(raw, "+")
	var b strings.Builder
	b.WriteByte('+')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case isDigit(ch):
			b.WriteByte(ch)
		case ch == ' ' || ch == '-' || ch == '(' || ch == ')':
		default:
			return "", fmt.Errorf("phone %s: %w", Excerpt([]byte(raw)), errors.New("not a phone number"))
		}
	}
	p := b.String()
	if n := len(p) - 1; n < minPhoneDigits || n > maxPhoneDigits {
		return "", fmt.Errorf("phone %s: %d digits", Excerpt([]byte(raw)), n)
	}
	if !strings.HasPrefix(p[1:], c.CallingCode) {
		return "", fmt.Errorf("phone %s: not in %s (+%s)", Excerpt([]byte(raw)), c.Code, c.CallingCode)
	}
	return p, nil
}
