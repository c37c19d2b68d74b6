package netaddr

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestPublicRefusesEveryNonPublicBlock(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.9.9.9", "::1", // loopback
		"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fd12:3456::1", // private
		"169.254.1.1", "fe80::1", // link-local
		"169.254.169.254", "fd00:ec2::254", // cloud metadata
		"100.64.0.1", "100.127.255.254", // carrier-grade NAT
		"0.0.0.0", "::", "0.1.2.3", // unspecified, "this network"
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", // multicast
		"255.255.255.255", "240.0.0.1", // broadcast, reserved
		"192.0.2.10", "198.51.100.4", "203.0.113.9", "2001:db8::1", // documentation
		"198.18.0.1",                          // benchmarking
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", // IPv4-mapped
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "::7f00:1", // NAT64, IPv4-compatible, to private
		"2002:7f00:1::1", "2002:a9fe:a9fe::1", // 6to4 of loopback, of metadata
		"2001::1", // Teredo
	}
	for _, s := range refused {
		if Public(netip.MustParseAddr(s)) {
			t.Errorf("%s counted as public", s)
		}
	}
	allowed := []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:81c::200e",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "100.63.255.255", "100.128.0.1", "172.32.0.1"}
	for _, s := range allowed {
		if !Public(netip.MustParseAddr(s)) {
			t.Errorf("%s counted as not public", s)
		}
	}
	if Public(netip.Addr{}) {
		t.Error("the zero address counted as public")
	}
}

// A name that resolves to loopback is refused when it is given, and an
// address that is not public when it is dialled; the operator's flag
// lets both through.
func TestGuardChecksNamesAndDialledAddresses(t *testing.T) {
	ctx := context.Background()
	var np *NotPublicError
	if err := (Guard{}).CheckHost(ctx, "localhost"); !errors.As(err, &np) || !np.Addr.IsLoopback() {
		t.Fatalf("localhost: %v, want a loopback NotPublicError", err)
	}
	if err := (Guard{}).CheckHost(ctx, "169.254.169.254"); !errors.As(err, &np) {
		t.Fatalf("metadata address: %v", err)
	}
	if err := (Guard{}).CheckHost(ctx, "8.8.8.8"); err != nil {
		t.Fatalf("a public address: %v", err)
	}
	var unresolved *UnresolvedError
	if err := (Guard{}).CheckHost(ctx, "no-such-host.invalid"); !errors.As(err, &unresolved) {
		t.Fatalf("a name that does not resolve: %v", err)
	}
	if err := (Guard{AllowPrivate: true}).CheckHost(ctx, "localhost"); err != nil {
		t.Fatalf("allowed private: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:80", "[::1]:443", "[::ffff:10.0.0.1]:8080", "169.254.169.254:80"} {
		if err := (Guard{}).Control("tcp4", addr, nil); !errors.As(err, &np) {
			t.Errorf("dial %s: %v, want refused", addr, err)
		}
		if err := (Guard{AllowPrivate: true}).Control("tcp4", addr, nil); err != nil {
			t.Errorf("dial %s with private allowed: %v", addr, err)
		}
	}
	if err := (Guard{}).Control("tcp4", "8.8.8.8:443", nil); err != nil {
		t.Errorf("dial a public address: %v", err)
	}
}
