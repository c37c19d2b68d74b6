// Package netaddr says which remote addresses count as one client for the
// caps and throttles that work per address (SSH connections, sign-in and
// sign-up attempts). An IPv4 address is one client; an IPv6 address counts
// by its /64, the block one subscriber line or one server usually gets
// whole: capping single IPv6 addresses caps nothing, since whoever holds a
// /64 can pick 2^64 of them.
//
// It also says which addresses are public (public.go): requests to a
// destination a person chose (their webhooks) go only there, checked on
// the name when it is given and on the very address dialled.
//
// May import from this repository: nothing.
package netaddr

import (
	"net"
	"net/netip"
)

// prefixBits is the IPv6 prefix that counts as one client.
const prefixBits = 64

// Group is the unit of per-address limits for a remote address given as
// "host:port" or a bare host: the IPv4 address itself (an IPv4-mapped IPv6
// address counts as its IPv4 address), "2001:db8:1:2::/64" for an IPv6
// address (its zone dropped), and the text unchanged when it is not an IP
// address at all.
func Group(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, prefixBits).Masked().String()
}
