package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/provider"
)

// hookClient posts webhooks; a killed server resets the connection, so a
// short timeout only matters for a hung one.
var hookClient = &http.Client{Timeout: 10 * time.Second}

// Once a payment is acknowledged, Stripe and Blockonomics stop sending
// it; a later delivery that credited again would hide a credit lost in a
// crash. So after its acknowledgement an order only gets events that
// credit nothing (an expiry, an unconfirmed callback), except one order in
// redeliverEvery, which keeps getting its payment redelivered to show it
// is credited once however often it comes.
const redeliverEvery = 8

func redelivered(i int) bool { return i%redeliverEvery == 0 }

// heldForReview marks the card orders whose payment is not what they
// asked for (Stripe reports one cent charged): each is held for review,
// never credited, however often its completion comes.
func heldForReview(i int) bool { return i%redeliverEvery == 3 }

// takenBack marks the card orders Stripe takes back once their payment
// is acknowledged: refunded in part or whole, or disputed.
func takenBack(i int) bool { return i%4 == 1 }

// stripePoster is Stripe confirming card payments: a random order's
// completion each time, as a redelivery of the same event or as a new
// event for the same session (both happen), now and then an expiry.
func (w *world) stripePoster(rng *rand.Rand) func(context.Context) {
	url := "http://" + w.server.httpAddr + billing.StripeWebhookPath
	return func(ctx context.Context) {
		for n := 0; ctx.Err() == nil; n++ {
			i := rng.IntN(len(w.cards))
			o := w.cards[i]
			review := heldForReview(i)
			var acked bool
			w.acks.do(func() { acked = w.acks.card[o.Number] || w.acks.review[o.Number] })
			ev := stripetest.Event{ID: "evt_crash_" + o.Number, Type: billing.EventCheckoutCompleted,
				SessionID: o.SessionID, Order: o.Number, AmountTotal: o.AmountCents, PaymentIntent: "pi_crash_" + o.Number}
			if review {
				ev.AmountTotal = 1
			}
			if rng.IntN(2) == 0 {
				ev.ID += "_" + strconv.Itoa(n)
			}
			paid := !acked || redelivered(i)
			if !paid || rng.IntN(10) == 0 {
				ev.ID, ev.Type, ev.PaymentStatus, paid = ev.ID+"_x", billing.EventCheckoutExpired, "unpaid", false
			}
			code, err := stripetest.Post(ctx, url, stripeWebhook, ev)
			w.acks.do(func() {
				w.acks.deliveries++
				switch {
				case err != nil || code/100 != 2 || !paid:
				case review:
					w.acks.review[o.Number] = true
				default:
					w.acks.card[o.Number] = true
				}
			})
			pause(ctx, rng, err)
		}
	}
}

// reversalPoster is Stripe taking card payments back (takenBack orders,
// once their payment was acknowledged): refunds of a growing part of the
// charge, as Stripe reports the running total, and disputes of the whole,
// each now and then delivered again. Every reversal acknowledged must
// have taken back its share of the credits, once.
func (w *world) reversalPoster(rng *rand.Rand) func(context.Context) {
	url := "http://" + w.server.httpAddr + billing.StripeWebhookPath
	return func(ctx context.Context) {
		for ctx.Err() == nil {
			i := 1 + 4*rng.IntN(len(w.cards)/4) // a takenBack order
			o := w.cards[i]
			var paid bool
			var before reversal
			w.acks.do(func() { paid, before = w.acks.card[o.Number], w.acks.reversed[o.Number] })
			if !paid {
				pause(ctx, rng, nil)
				continue
			}
			ev := stripetest.ChargeEvent{Type: billing.EventChargeRefunded, PaymentIntent: "pi_crash_" + o.Number,
				Amount: o.AmountCents, Refunded: before.refunded}
			switch {
			case rng.IntN(3) == 0:
				ev.Type, ev.Refunded = billing.EventDisputeCreated, 0
			case before.refunded < o.AmountCents && rng.IntN(4) != 0: // else a redelivery
				ev.Refunded += 1 + rng.Int64N(o.AmountCents-before.refunded)
			}
			if ev.Type == billing.EventChargeRefunded && ev.Refunded == 0 {
				ev.Refunded = 1 + rng.Int64N(o.AmountCents)
			}
			code, err := stripetest.PostCharge(ctx, url, stripeWebhook, ev)
			w.acks.do(func() {
				w.acks.deliveries++
				if err != nil || code/100 != 2 {
					return
				}
				r := w.acks.reversed[o.Number]
				if ev.Type == billing.EventDisputeCreated {
					r.disputed = ev.Amount
				} else {
					r.refunded = max(r.refunded, ev.Refunded)
				}
				w.acks.reversed[o.Number] = r
			})
			pause(ctx, rng, err)
		}
	}
}

// btcPoster is Blockonomics reporting the transactions paying the Bitcoin
// orders: unconfirmed, one confirmation, confirmed, in any order and
// repeated, as its callbacks come.
func (w *world) btcPoster(rng *rand.Rand) func(context.Context) {
	url := "http://" + w.server.httpAddr + billing.BlockonomicsCallbackPath
	return func(ctx context.Context) {
		for ctx.Err() == nil {
			i := rng.IntN(len(w.coins))
			o := w.coins[i]
			var acked bool
			w.acks.do(func() { acked = w.acks.coin[o.Number] })
			status := rng.IntN(3)
			if acked && !redelivered(i) {
				status = rng.IntN(2)
			}
			code, err := w.btc.Callback(ctx, url, btcSecret, status, o.BTCAddress, txidOf(o.Number),
				o.BTCExpectedSats, false)
			w.acks.do(func() {
				w.acks.deliveries++
				if err == nil && code/100 == 2 && status == billing.BTCConfirmed {
					w.acks.coin[o.Number] = true
				}
			})
			pause(ctx, rng, err)
		}
	}
}

// pause spaces deliveries a little (a few dozen a second from each
// poster), longer while the server is down, as processors back off.
func pause(ctx context.Context, rng *rand.Rand, err error) {
	d := time.Duration(10+rng.IntN(90)) * time.Millisecond
	if err != nil {
		d = 50 * time.Millisecond
	}
	sleep(ctx, d)
}

// txidOf is the one transaction paying an order.
func txidOf(order string) string {
	sum := sha256.Sum256([]byte("crash-" + order))
	return hex.EncodeToString(sum[:])
}

// creditRunner is the operator running `wantsms credit` on the server's
// data directory, one after another, credits and a few debits.
func (w *world) creditRunner(rng *rand.Rand) func(context.Context) {
	people := append(append(append([]person(nil), w.reservers...), w.scripters...), w.payers...)
	return func(ctx context.Context) {
		for n := 0; ctx.Err() == nil; n++ {
			p := people[rng.IntN(len(people))]
			cents := int64(1 + rng.IntN(500))
			if p.funded && rng.IntN(5) == 0 {
				cents = -cents // a debit: they hold thousands of dollars
			}
			reason := fmt.Sprintf("crash credit %d", n)
			cmd := w.server.command(append([]string{"credit", p.email, strconv.FormatInt(cents, 10), "--reason", reason},
				w.storeFlags()...)...)
			if out, err := cmd.CombinedOutput(); err == nil {
				w.acks.do(func() { w.acks.credits = append(w.acks.credits, credit{p.email, reason, cents}) })
			} else if ctx.Err() == nil {
				w.t.Logf("wantsms credit %s %d: %v: %s", p.email, cents, err, out)
			}
		}
	}
}

// smsPusher is the provider pushing SMS to the webhook for numbers that
// are open now (read from the database, as the provider knows its own):
// a third of them, so that others wait in vain and are refunded.
func (w *world) smsPusher(rng *rand.Rand) func(context.Context) {
	url := "http://" + w.server.httpAddr + "/webhooks/provider/smsactivate"
	return func(ctx context.Context) {
		for n := 0; ctx.Err() == nil; n++ {
			sleep(ctx, time.Duration(10+rng.IntN(40))*time.Millisecond)
			var ref string
			err := w.db.QueryRowContext(ctx, `SELECT provider_ref FROM reservations WHERE ended_at IS NULL
				AND CAST(provider_ref AS INTEGER) % 3 = 0 ORDER BY random() LIMIT 1`).Scan(&ref)
			if err != nil {
				continue // none open now, or the database is busy
			}
			// Seven digits, one code per push: the provider's own codes
			// have six, and an SMS is known by its code.
			text := fmt.Sprintf("Crash push: your code is %d", 9_000_000+n)
			if w.pushSMS(ctx, url, ref, text) {
				w.acks.do(func() { w.acks.pushes = append(w.acks.pushes, push{ref, text, time.Now()}) })
			}
			w.acks.do(func() { w.acks.deliveries++ })
		}
	}
}

// pushSMS posts one signed SMS and reports whether it was acknowledged.
func (w *world) pushSMS(ctx context.Context, url, ref, text string) bool {
	body, _ := json.Marshal(map[string]any{"activationId": ref, "service": "tg", "text": text, "country": 16})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set(provider.WebhookSignatureHeader, provider.SignWebhook([]byte(hookSecret), body))
	res, err := hookClient.Do(req)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
