package billing

import (
	"errors"
	"testing"
)

func TestParseAmountGood(t *testing.T) {
	p := DefaultPacks()
	cases := map[string]int64{
		"25":        2500,
		"$25":       2500,
		"25.50":     2550,
		"$ 7.5":     750,
		"  $7.05 ":  705,
		"2":         200,
		"500":       50000,
		"500.00":    50000,
		"25.":       2500,
		"0025":      2500,
		"$\t9.99":   999,
		"2.0":       200,
		"$499.99":   49999,
		"123.4":     12340,
		"00000003":  300,
		"3.00":      300,
		"$ 100":     10000,
		"\u00a0$5 ": 500, // TrimSpace also drops a no-break space
	}
	for in, want := range cases {
		got, err := p.ParseAmount(in)
		if err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseAmountBad(t *testing.T) {
	p := DefaultPacks()
	var rangeErr *RangeError
	cases := []struct {
		in   string
		want error // nil means *RangeError
	}{
		{"", nil},
		{"$", nil},
		{"1.99", nil},
		{"500.01", nil},
		{"0", nil},
		{".5", nil},
		{"99999999999999999999999", nil},
		{"25.505", ErrTooManyDecimals},
		{"25.500", ErrTooManyDecimals},
		{"abc", ErrNotANumber},
		{"-5", ErrNotANumber},
		{"+5", ErrNotANumber},
		{"1,000", ErrNotANumber},
		{"5 0", ErrNotANumber},
		{"$$5", ErrNotANumber},
		{"5$", ErrNotANumber},
		{".", ErrNotANumber},
		{"1.2.3", ErrNotANumber},
		{"1e3", ErrNotANumber},
		{"٣", ErrNotANumber}, // Arabic-Indic three: digits are ASCII only
		{"USD 5", ErrNotANumber},
	}
	for _, c := range cases {
		got, err := p.ParseAmount(c.in)
		switch {
		case c.want == nil && !errors.As(err, &rangeErr):
			t.Errorf("ParseAmount(%q) = %d, %v; want a range error", c.in, got, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("ParseAmount(%q) = %d, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseAmountMessages(t *testing.T) {
	_, err := DefaultPacks().ParseAmount("1")
	if got := err.Error(); got != "enter an amount between $2 and $500" {
		t.Errorf("range message = %q", got)
	}
	p := Packs{FixedCents: []int64{150}, MinCents: 150, MaxCents: 1999}
	_, err = p.ParseAmount("20")
	if got := err.Error(); got != "enter an amount between $1.50 and $19.99" {
		t.Errorf("configured range message = %q", got)
	}
	if got, err := p.ParseAmount("1.5"); err != nil || got != 150 {
		t.Errorf("configured minimum = %d, %v", got, err)
	}
}

func TestPacksValidate(t *testing.T) {
	if err := DefaultPacks().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	bad := []Packs{
		{FixedCents: []int64{500}, MinCents: 10, MaxCents: 1000},        // under Stripe's minimum
		{FixedCents: []int64{500}, MinCents: 1000, MaxCents: 200},       // inverted
		{MinCents: 200, MaxCents: 1000},                                 // no pack
		{FixedCents: []int64{5000}, MinCents: 200, MaxCents: 1000},      // pack above max
		{FixedCents: []int64{1000, 500}, MinCents: 200, MaxCents: 2000}, // not ascending
	}
	for i, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("case %d: %+v accepted", i, p)
		}
	}
}

func TestDefaultPacksIsACopy(t *testing.T) {
	p := DefaultPacks()
	p.FixedCents[0] = 1
	if DefaultPacks().FixedCents[0] != 500 {
		t.Fatal("DefaultPacks shares its slice")
	}
}

func TestParsePacks(t *testing.T) {
	p, err := ParsePacks("5, 10,25.50", "2", "$500")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.FixedCents) != 3 || p.FixedCents[2] != 2550 || p.MinCents != 200 || p.MaxCents != 50000 {
		t.Fatalf("packs %+v", p)
	}
	for _, bad := range [][3]string{{"5,x", "2", "500"}, {"10,5", "2", "500"}, {"5", "0.10", "500"}, {"600", "2", "500"}, {"", "2", "500"}} {
		if _, err := ParsePacks(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("ParsePacks%q accepted", bad)
		}
	}
}
