package provider

import (
	"errors"
	"fmt"
	"regexp"
	"testing"
)

func TestServiceTable(t *testing.T) {
	all := Services()
	if len(all) < 20 {
		t.Fatalf("%d services, want at least 20", len(all))
	}
	code := regexp.MustCompile(`^[a-z]+$`)
	seen := map[string]bool{}
	for _, s := range all {
		if !code.MatchString(s.Code) || s.Name == "" || seen[s.Code] {
			t.Errorf("bad or duplicate service %+v", s)
		}
		seen[s.Code] = true
		if got, ok := LookupService(s.Code); !ok || got != s {
			t.Errorf("LookupService(%q) = %+v, %v", s.Code, got, ok)
		}
	}
	if _, ok := LookupService("Telegram"); ok {
		t.Error("codes are lower case only")
	}
}

func TestCountryTable(t *testing.T) {
	all := Countries()
	if len(all) < 10 {
		t.Fatalf("%d countries, want at least 10", len(all))
	}
	iso := regexp.MustCompile(`^[a-z]{2}$`)
	calling := regexp.MustCompile(`^[1-9][0-9]{0,2}$`)
	seen := map[string]bool{}
	for _, c := range all {
		if !iso.MatchString(c.Code) || !calling.MatchString(c.CallingCode) || c.Name == "" || seen[c.Code] {
			t.Errorf("bad or duplicate country %+v", c)
		}
		seen[c.Code] = true
		if len([]rune(c.Flag())) != 2 {
			t.Errorf("%s flag %q", c.Code, c.Flag())
		}
	}
	if us, _ := LookupCountry("us"); us.Flag() != "🇺🇸" || us.CallingCode != "1" {
		t.Errorf("us = %+v %s", us, us.Flag())
	}
	if gb, _ := LookupCountry("gb"); gb.Flag() != "🇬🇧" || gb.CallingCode != "44" {
		t.Errorf("gb = %+v %s", gb, gb.Flag())
	}
}

func TestNormalizePhone(t *testing.T) {
	ok := []struct{ raw, country, want string }{
		{"79036839671", "ru", "+79036839671"},
		{"+7 903 683-96-71", "ru", "+79036839671"},
		{"447911123456", "gb", "+447911123456"},
		{"+1 (415) 555-0134", "us", "+14155550134"},
	}
	for _, c := range ok {
		if got, err := NormalizePhone(c.raw, c.country); err != nil || got != c.want {
			t.Errorf("NormalizePhone(%q) = %q, %v", c.raw, got, err)
		}
	}
	bad := []struct{ raw, country string }{
		{"79036839671", "gb"}, {"7903", "ru"}, {"7903683967112345678", "ru"},
		{"79036839671x", "ru"}, {"", "ru"}, {"79036839671", "xx"}, {"++79036839671", "ru"},
	}
	for _, c := range bad {
		if got, err := NormalizePhone(c.raw, c.country); err == nil {
			t.Errorf("NormalizePhone(%q, %q) = %q, want error", c.raw, c.country, got)
		}
	}
}

func TestExcerpt(t *testing.T) {
	long := make([]byte, 500)
	for i := range long {
		long[i] = 'x'
	}
	if got := Excerpt(long); len(got) > excerptLimit+8 {
		t.Errorf("Excerpt too long: %d", len(got))
	}
	if got := Excerpt([]byte("a\x1b[2Jb")); got != `"a\x1b[2Jb"` {
		t.Errorf("Excerpt escapes: %s", got)
	}
}

func TestServiceAliases(t *testing.T) {
	for alias, code := range map[string]string{"tg": "telegram", "wa": "whatsapp", "telegram": "telegram"} {
		if s, ok := LookupService(alias); !ok || s.Code != code {
			t.Errorf("LookupService(%q) = %+v %v, want %s", alias, s, ok, code)
		}
	}
	if _, ok := LookupService("xx"); ok {
		t.Error("an unknown code was found")
	}
}

func TestIsAnswerError(t *testing.T) {
	if !IsAnswerError(fmt.Errorf("buy: %w", ErrNoNumbers)) {
		t.Error("a wrapped ErrNoNumbers is an answer error")
	}
	for _, err := range []error{nil, ErrNotSupported, errors.New("EOF")} {
		if IsAnswerError(err) {
			t.Errorf("%v is not an answer error", err)
		}
	}
}
