package fivesim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/fivesim/fake"
)

// A hosting order is 5sim's rental: quoted from /guest/products, bought
// for a day, its SMS read from its inbox, finished; 5sim takes none back
// and cannot extend one, and only the day is rented.
func TestHostingLife(t *testing.T) {
	c, up := setup(t, fake.Options{}, nil)
	up.SetHostingPrice("england", "1day", "0.90", 4)
	q, err := c.RentQuote(ctx, "telegram", "gb", 1)
	if err != nil || q.Cost != 900_000 || q.Stock != 4 {
		t.Fatalf("quote: %+v %v", q, err)
	}
	for _, days := range []int{7, 14, 30} {
		if q, err := c.RentQuote(ctx, "telegram", "gb", days); err != nil || q.Stock != 0 {
			t.Fatalf("quote for %d days: %+v %v", days, q, err)
		}
	}
	if q, err := c.RentQuote(ctx, "telegram", "de", 1); err != nil || q.Stock != 0 {
		t.Fatalf("quote where none is hosted: %+v %v", q, err)
	}
	if c.RentCancelWindow() != 0 || c.SupportsExtend() {
		t.Fatal("5sim takes hosting orders back, or extends them")
	}
	n, err := c.Rent(ctx, "telegram", "gb", 1, 0)
	if err != nil || !strings.HasPrefix(n.Phone, "+44") || n.Cost != 900_000 || n.EndsAt.IsZero() ||
		n.EndsAt.Sub(time.Now()) < 23*time.Hour {
		t.Fatalf("rent: %+v %v", n, err)
	}
	if st, err := c.RentCheck(ctx, n.Ref); err != nil || st.State != provider.Waiting {
		t.Fatalf("check: %+v %v", st, err)
	}
	id := mustID(t, n.Ref)
	up.AddSMS(id, "Telegram", "Telegram code 11111", "11111")
	up.AddSMS(id, "Bank", "Your code is 22222", "22222")
	st, err := c.RentCheck(ctx, n.Ref)
	if err != nil || st.State != provider.Received || len(st.Messages) != 2 || st.Messages[1].Code != "22222" {
		t.Fatalf("check with two SMS: %+v %v", st, err)
	}
	if err := c.CancelRent(ctx, n.Ref); !errors.Is(err, provider.ErrBadState) {
		t.Fatalf("cancel a hosting order: %v", err)
	}
	if _, err := c.ExtendRent(ctx, n.Ref, 1); !errors.Is(err, provider.ErrNotSupported) {
		t.Fatalf("extend: %v", err)
	}
	if err := c.FinishRent(ctx, n.Ref); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if st, err := c.RentCheck(ctx, n.Ref); err != nil || st.State != provider.Finished {
		t.Fatalf("check after finish: %+v %v", st, err)
	}
	if _, err := c.Rent(ctx, "telegram", "gb", 7, 0); !errors.Is(err, provider.ErrBadService) {
		t.Fatalf("rent for a week: %v", err)
	}
	if _, err := c.Rent(ctx, "telegram", "gb", 1, 100_000); !errors.Is(err, provider.ErrMaxPrice) {
		t.Fatalf("rent above the cap: %v", err)
	}
}

func mustID(t *testing.T, ref string) int64 {
	t.Helper()
	var n int64
	for _, r := range ref {
		if r < '0' || r > '9' {
			t.Fatalf("ref %q", ref)
		}
		n = n*10 + int64(r-'0')
	}
	return n
}
