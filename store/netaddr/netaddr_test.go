package netaddr

import "testing"

func TestGroupCountsIPv6ByItsSlash64(t *testing.T) {
	cases := map[string]string{
		"192.0.2.7:2222":                 "192.0.2.7",
		"192.0.2.7":                      "192.0.2.7",
		"[::ffff:192.0.2.7]:2222":        "192.0.2.7",
		"[::1]:40000":                    "::/64",
		"[2001:db8:1:2::1]:22":           "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff:ffff:0:9]:1": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:22":              "fe80::/64",
		"2001:db8:1:3::1":                "2001:db8:1:3::/64",
		"server host":                    "server host",
	}
	for in, want := range cases {
		if got := Group(in); got != want {
			t.Errorf("Group(%q) = %q, want %q", in, got, want)
		}
	}
	// One /64 is one client; the next /64 is another.
	if Group("[2001:db8:1:2::1]:1") != Group("[2001:db8:1:2:abcd::5]:2") {
		t.Error("two addresses of one /64 count apart")
	}
	if Group("[2001:db8:1:2::1]:1") == Group("[2001:db8:1:3::1]:1") {
		t.Error("two /64s count as one")
	}
}
