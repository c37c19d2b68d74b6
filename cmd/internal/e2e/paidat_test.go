package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// A paid order records when it was paid (privacy policy §6: payment
// records keep their timestamps): the moment Stripe's webhook or the
// Bitcoin confirmation arrived, in the database, in `orders` and in the
// export — for a card and for Bitcoin.
func TestPaidOrdersRecordWhenTheyWerePaid(t *testing.T) {
	clock := testenv.NewClock(time.Now().UTC().Truncate(time.Second))
	env := testenv.StartWithPayments(t, func(c *service.Config) { c.Clock = clock.Now })
	u, key := env.NewUser("paid-at@example.com")

	ok(t, env.Env, key, "topup card 10")
	card := env.LastOrder(t, u.ID)
	clock.Advance(3 * time.Minute)
	cardPaid := clock.Now()
	if code := env.StripeEvent(t, "evt_paid_at", billing.EventCheckoutCompleted, card, true); code != 200 {
		t.Fatalf("stripe webhook: %d", code)
	}
	ok(t, env.Env, key, "topup btc 10")
	btc := env.LastOrder(t, u.ID)
	clock.Advance(2 * time.Minute)
	btcPaid := clock.Now()
	if code := env.BTCCallback(t, store.BTCStatusConfirmed, btc.BTCAddress, strings.Repeat("7d", 32), btc.BTCExpectedSats); code != 200 {
		t.Fatalf("bitcoin callback: %d", code)
	}
	clock.Advance(time.Minute) // reading later must not move them

	want := map[string]time.Time{card.Number: cardPaid, btc.Number: btcPaid}
	for number, at := range want {
		var paid, created int64
		queryDB(t, env.Env, `SELECT paid_at, created_at FROM orders WHERE number = ? AND status = 'paid'`, number).
			Scan(&paid, &created)
		if paid != at.Unix() || created == paid {
			t.Errorf("order %s: paid_at %d (created %d), want %d, when it was paid", number, paid, created, at.Unix())
		}
	}
	var list ordersJSON
	okJSON(t, env.Env, key, "orders --json", &list)
	var doc struct {
		Orders []struct {
			Number string  `json:"number"`
			PaidAt *string `json:"paid_at"`
		} `json:"orders"`
	}
	okJSON2(t, env.Env, key, "export --json", &doc)
	if len(list.Orders) != 2 || len(doc.Orders) != 2 {
		t.Fatalf("orders %+v, export %+v", list, doc)
	}
	for i, o := range list.Orders {
		e := doc.Orders[len(doc.Orders)-1-i] // export: oldest first
		stamp := want[o.Order].Format(time.RFC3339)
		if o.PaidAt == nil || *o.PaidAt != stamp || e.Number != o.Order || e.PaidAt == nil || *e.PaidAt != stamp {
			t.Errorf("order %s: orders says paid %v, export %v; want %s", o.Order, o.PaidAt, e.PaidAt, stamp)
		}
	}
}
