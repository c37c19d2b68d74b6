package provider

import (
	"encoding/json"
	"math"
	"testing"
)

func TestParseAmount(t *testing.T) {
	ok := []struct {
		in   string
		rate Micros
		want Micros
	}{
		{"50.30", Dollar, 50_300_000},
		{"0.085", Dollar, 85_000},
		{"12", Dollar, 12_000_000},
		{"0", Dollar, 0},
		{"-1.5", Dollar, -1_500_000},
		{"1e-3", Dollar, 1_000},
		{"1.5E+2", Dollar, 150_000_000},
		{"1e-05", Dollar, 10},
		{"0.0000001", Dollar, 1},   // sub-micro rounds up
		{"-0.0000001", Dollar, 0},  // towards +∞
		{"50.30", 11_000, 553_300}, // RUB at 0.011 USD
		{"0.085", 11_000, 935},     // exact
		{"1", 3, 3},                // odd rate
		{"0.5", 3, 2},              // 1.5 micros → 2
		{"9223372036854", Dollar / 1_000_000, 9223372036854},
	}
	for _, c := range ok {
		got, err := ParseAmount(c.in, c.rate)
		if err != nil || got != c.want {
			t.Errorf("ParseAmount(%q, %d) = %d, %v; want %d", c.in, c.rate, got, err, c.want)
		}
	}
	bad := []string{"", ".5", "5.", "+1", " 1", "1 ", "1,5", "NaN", "0x10", "1e", "1e+", "1e100",
		"1e999", "--1", "1.2.3", "١٢", "12a", "1_000", "99999999999999", "1e-3x"}
	for _, s := range bad {
		if got, err := ParseAmount(s, Dollar); err == nil {
			t.Errorf("ParseAmount(%q) = %d, want error", s, got)
		}
	}
	if _, err := ParseAmount("1", 0); err == nil {
		t.Error("rate 0 accepted")
	}
}

func TestFormatAmount(t *testing.T) {
	cases := []struct {
		m, rate Micros
		want    string
	}{
		{500_000, Dollar, "0.5"},
		{12_000_000, Dollar, "12"},
		{85_000, Dollar, "0.085"},
		{500_000, 11_000, "45.454545"}, // rounded down: never above the cap
		{0, Dollar, "0"},
	}
	for _, c := range cases {
		if got := FormatAmount(c.m, c.rate); got != c.want {
			t.Errorf("FormatAmount(%d, %d) = %q, want %q", c.m, c.rate, got, c.want)
		}
		back, err := ParseAmount(FormatAmount(c.m, c.rate), c.rate)
		if err != nil || back > c.m {
			t.Errorf("round trip of %d: %d, %v", c.m, back, err)
		}
	}
}

func TestMicrosString(t *testing.T) {
	cases := map[Micros]string{0: "$0.00", 85_000: "$0.085", 12_500_000: "$12.50", -1_000_000: "-$1.00",
		1: "$0.000001", math.MinInt64: "-$9223372036854.775808"}
	for m, want := range cases {
		if got := m.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(m), got, want)
		}
	}
}

func TestSellPrice(t *testing.T) {
	cases := []struct {
		cost Micros
		m    Markup
		want int64
	}{
		{1_000_000, AtCost, 100},
		{1_000_000, 15_000, 150},
		{85_000, AtCost, 9},    // 8.5 cents rounds up
		{80_000, AtCost, 8},    // exact
		{80_001, AtCost, 9},    // one micro over a cent
		{99, AtCost, 1},        // tiny cost → 1 cent
		{0, 20_000, 1},         // free → 1 cent floor
		{-5, 20_000, 1},        // nonsense cost → 1 cent
		{1_000_000, 0, 1},      // nonsense markup → 1 cent
		{333_333, 30_000, 100}, // 99.9999 cents → 100
		{333_334, 30_000, 101}, // 100.0002 → 101
		{10_000, 10_001, 2},    // 1.0001 cents → 2
		{math.MaxInt64, 50_000, 4_611_686_018_427_388},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64}, // saturates
	}
	for _, c := range cases {
		if got := SellPrice(c.cost, c.m); got != c.want {
			t.Errorf("SellPrice(%d, %d) = %d, want %d", c.cost, c.m, got, c.want)
		}
	}
}

func TestCostCap(t *testing.T) {
	for _, m := range []Markup{AtCost, 12_345, 15_000, 30_000, 99_999} {
		for _, sell := range []int64{1, 7, 99, 100, 101, 2500} {
			c := CostCap(sell, m)
			if SellPrice(c, m) > sell {
				t.Fatalf("CostCap(%d, %d) = %d sells for %d", sell, m, c, SellPrice(c, m))
			}
			if SellPrice(c+1, m) <= sell {
				t.Fatalf("CostCap(%d, %d) = %d is not the highest", sell, m, c)
			}
		}
	}
	if CostCap(0, AtCost) != 0 || CostCap(5, 0) != 0 {
		t.Error("CostCap of nothing should be 0")
	}
}

func TestNumeric(t *testing.T) {
	var v struct{ A, B, C Numeric }
	if err := json.Unmarshal([]byte(`{"A":"133","B":0.085,"C":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if n, err := v.A.Int(); err != nil || n != 133 {
		t.Errorf("A = %d, %v", n, err)
	}
	if m, err := v.B.Micros(Dollar); err != nil || m != 85_000 {
		t.Errorf("B = %d, %v", m, err)
	}
	if v.C != "" {
		t.Errorf("C = %q", v.C)
	}
	for _, bad := range []string{`{"A":true}`, `{"A":[1]}`, `{"A":{}}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	for _, bad := range []Numeric{"1.0", "-1", "", "1e3", "1234567890123456789"} {
		if _, err := bad.Int(); err == nil {
			t.Errorf("Int(%q) accepted", bad)
		}
	}
}
