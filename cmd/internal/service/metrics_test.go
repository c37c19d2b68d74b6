package service

import (
	"net/http/httptest"
	"testing"
)

// Without a token, only this machine may scrape: loopback in IPv4, IPv6
// or IPv4-mapped form; anything else, or an address we cannot read, not.
func TestFromLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:40000": true, "127.8.9.10:1": true, "[::1]:40000": true, "[::ffff:127.0.0.1]:1": true,
		"192.0.2.2:40000": false, "[2001:db8::1]:1": false, "[::ffff:192.0.2.2]:1": false, "0.0.0.0:1": false,
		"localhost:1": false, "127.0.0.1": false, "": false,
	} {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = addr
		if got := fromLoopback(r); got != want {
			t.Errorf("fromLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
