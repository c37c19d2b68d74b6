package netaddr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Which addresses a request of ours may go to when a person chose where
// (their webhooks): public unicast addresses only. Anything else reaches
// this machine, its network or its cloud's metadata service (server-side
// request forgery).

// nonPublic are the blocks that are not the public Internet, beyond what
// netip's own predicates (loopback, private, link-local, multicast,
// unspecified) say. Sources: the IANA IPv4 and IPv6 special-purpose
// address registries (RFC 6890 and its updates).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // shared address space: carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation (TEST-NET-1)
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation (TEST-NET-2)
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation (TEST-NET-3)
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use IPv4/IPv6 translation
	netip.MustParsePrefix("100::/64"),           // discard-only
	netip.MustParsePrefix("2001::/23"),          // IETF protocol assignments (Teredo among them)
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("fec0::/10"),          // site-local, deprecated
	netip.MustParsePrefix("169.254.169.254/32"), // cloud metadata (also link-local: named for the reader)
	netip.MustParsePrefix("fd00:ec2::254/128"),  // cloud metadata over IPv6 (also unique-local)
}

// embeddedV4 are IPv6 blocks that carry an IPv4 address in their last 32
// bits and reach it: the IPv4 address decides.
var embeddedV4 = []netip.Prefix{
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64
	netip.MustParsePrefix("::/96"),        // IPv4-compatible (deprecated)
}

// Public reports whether ip is a public unicast address: not loopback,
// private, link-local, carrier-grade NAT, unspecified, multicast, reserved
// for documentation or a protocol, nor a cloud's metadata address. An
// IPv4 address inside IPv6 (mapped, NAT64, 6to4) counts as that IPv4
// address.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() {
		return false
	}
	if ip.Is6() {
		b := ip.As16()
		for _, p := range embeddedV4 {
			if p.Contains(ip) {
				return Public(netip.AddrFrom4([4]byte(b[12:16])))
			}
		}
		if netip.MustParsePrefix("2002::/16").Contains(ip) { // 6to4: the IPv4 address follows the prefix
			return Public(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// NotPublicError refuses a destination that is not a public address.
type NotPublicError struct {
	Host string     // as given
	Addr netip.Addr // the address it is or resolved to
}

func (e *NotPublicError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("%s is not a public address: webhooks go only to public addresses", e.Addr)
	}
	return fmt.Sprintf("%s resolves to %s, which is not a public address: webhooks go only to public addresses",
		e.Host, e.Addr)
}

// UserFacing lets screens show the message as it is.
func (e *NotPublicError) UserFacing() string { return e.Error() }

// UnresolvedError is a host name that did not resolve.
type UnresolvedError struct{ Host string }

func (e *UnresolvedError) Error() string {
	return fmt.Sprintf("the host %s does not resolve to an address", e.Host)
}

// UserFacing lets screens show the message as it is.
func (e *UnresolvedError) UserFacing() string { return e.Error() }

// Guard decides where requests to destinations people chose may go. The
// zero value allows public addresses only, resolving names with the
// system's resolver.
type Guard struct {
	// AllowPrivate lets every address through: for an operator whose
	// people's systems live on the same private network, and for tests.
	AllowPrivate bool
	// Resolver resolves host names (default net.DefaultResolver).
	Resolver *net.Resolver
}

// resolveWait bounds one host name's resolution.
const resolveWait = 5 * time.Second

// CheckHost resolves host (a name or an IP address) and refuses it
// (*NotPublicError) unless every address it resolves to is public: a name
// with one private address among public ones would reach it on some
// connection. A name that does not resolve is an *UnresolvedError.
func (g Guard) CheckHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if !g.AllowPrivate && !Public(ip) {
			return &NotPublicError{Host: host, Addr: ip.Unmap()}
		}
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, resolveWait)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		var dnsErr *net.DNSError
		if err == nil || errors.As(err, &dnsErr) {
			return &UnresolvedError{Host: host}
		}
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	if g.AllowPrivate {
		return nil
	}
	for _, a := range addrs {
		if !Public(a) {
			return &NotPublicError{Host: host, Addr: a.Unmap()}
		}
	}
	return nil
}

// Control is for net.Dialer.Control: it refuses to connect to an address
// that is not public, after name resolution, on the very address about to
// be dialled, so a name that resolved to a public address when it was
// checked and to a private one now (DNS rebinding) is refused too.
func (g Guard) Control(_, address string, _ syscall.RawConn) error {
	if g.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("connect to %q: not an address", address)
	}
	if !Public(ap.Addr()) {
		return &NotPublicError{Host: ap.Addr().Unmap().String(), Addr: ap.Addr().Unmap()}
	}
	return nil
}
