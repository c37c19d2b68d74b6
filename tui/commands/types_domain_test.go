package commands

import (
	"strings"
	"testing"
)

func TestDomainTypes(t *testing.T) {
	cases := []struct {
		typ  Type[string]
		in   string
		want string // "" for an error
		err  string
	}{
		{Service, "telegram", "telegram", ""},
		{Service, "WhatsApp", "whatsapp", ""},
		{Service, "x (twitter)", "twitter", ""},
		{Service, "tele", "", "did you mean telegram?"},
		{Service, "tg", "", "want a service code like telegram"},
		{Service, "t", "", "want a service code like telegram"},
		{Country, "GB", "gb", ""},
		{Country, "united kingdom", "gb", ""},
		{Country, "united", "", "did you mean us or gb?"},
		{Country, "zz", "", "want a country code like gb"},
	}
	for _, c := range cases {
		got, err := c.typ.Parse(c.in)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s %q: %q, %v; want %q, %q", c.typ.Name, c.in, got, err, c.want, c.err)
		}
	}
	for in, want := range map[string]int64{"10": 1000, "12.5": 1250, "0.01": 1, "$7.50": 750} {
		if got, err := Dollars.Parse(in); got != want || err != nil {
			t.Errorf("Dollars %q: %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "ten", "1.001", "-5", "", "1000001"} {
		if _, err := Dollars.Parse(in); err == nil || err.Error() != "want an amount in US dollars, like 10 or 12.50" {
			t.Errorf("Dollars %q: %v", in, err)
		}
	}
}
