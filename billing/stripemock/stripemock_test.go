package stripemock

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Start serves on loopback, answers like Stripe, and is gone once the test
// that started it has ended.
func TestStartServesAndStops(t *testing.T) {
	began := time.Now()
	if _, err := Binary(); err != nil {
		t.Fatal(err)
	}
	t.Logf("binary ready in %v", time.Since(began))
	var base string
	t.Run("serve", func(t *testing.T) {
		began := time.Now()
		base = Start(t)
		t.Logf("listening in %v at %s", time.Since(began), base)
		if !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Fatalf("base %q not on loopback", base)
		}
		res, err := http.Get(base + "/v1/checkout/sessions")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("no key: status %d, want 401", res.StatusCode)
		}
	})
	u, _ := url.Parse(base)
	if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after the test ended", base)
	}
}
