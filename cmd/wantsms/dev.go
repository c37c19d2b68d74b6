package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/store"
)

// The Stripe event types `dev stripe-event --type` accepts.
var devStripeTypes = map[string]string{
	"completed":       billing.EventCheckoutCompleted,
	"async-succeeded": billing.EventCheckoutAsyncSucceeded,
	"async-failed":    billing.EventCheckoutAsyncFailed,
	"expired":         billing.EventCheckoutExpired,
	"refunded":        billing.EventChargeRefunded,
	"disputed":        billing.EventDisputeCreated,
}

const devUsage = `usage: wantsms dev COMMAND [ARGS] [FLAGS]

  stripe-event ORDER          sign a Checkout event for a card order and post it to the server's webhook
  btc-callback ORDER          send a Blockonomics callback for a Bitcoin order
  blockonomics                serve a fake Blockonomics API for BLOCKONOMICS_API_BASE
  mail [N|last] [--raw]       list the mails a server without --smtp-url wrote to DATA/mail, or print one

They find the server as it was started: the data directory from --data or
WANTSMS_DATA, its address from --url, else WANTSMS_PUBLIC_URL, else
--http-addr or WANTSMS_HTTP_ADDR. ` + "`wantsms dev COMMAND -h`" + ` lists a command's flags.
`

// devTypeNames lists them for messages.
const devTypeNames = "completed, async-succeeded, async-failed, expired, refunded or disputed"

// runDev runs the tools for trying payments and mail on a local server:
// stripe-mock sends no webhooks and a local server gets no Blockonomics
// callbacks, so these play the processors' part; a server without SMTP
// writes its mails to a maildir, which `dev mail` reads.
func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("want stripe-event, btc-callback, blockonomics or mail (wantsms help dev)")
	}
	if isHelpFlag(args[0]) {
		fmt.Fprint(stdout, devUsage)
		return errHelp
	}
	switch args[0] {
	case "stripe-event":
		return devStripeEvent(ctx, args[1:], stdout, stderr)
	case "btc-callback":
		return devBTCCallback(ctx, args[1:], stdout, stderr)
	case "blockonomics":
		return devBlockonomics(ctx, args[1:], stdout, stderr)
	case "mail":
		return devMail(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown dev command %q", args[0])
}

// devServer is where a dev command finds the running server: by the same
// flags and environment variables the server was started with, so one
// started with another data directory or port is found without
// repeating them.
type devServer struct{ base, httpAddr, databaseURL string }

func devServerFlags(f *flags, dir *string) *devServer {
	s := &devServer{}
	storeFlags(f, dir, &s.databaseURL)
	f.String(&s.base, "url", "WANTSMS_PUBLIC_URL", "",
		"base URL of the running server's HTTP listener (default http://localhost:PORT of --http-addr)")
	f.String(&s.httpAddr, "http-addr", "WANTSMS_HTTP_ADDR", defaultHTTPAddr, "the server's HTTP listen address")
	return s
}

// url is the server's HTTP base, as the server itself derives its own.
func (s *devServer) url() (string, error) {
	if s.base != "" {
		return strings.TrimRight(s.base, "/"), nil
	}
	return localURL(s.httpAddr)
}

// devOrder reads an order from the data directory.
func devOrder(ctx context.Context, dir, databaseURL, number string) (store.Order, error) {
	st, err := openForTool(dir, databaseURL)
	if err != nil {
		return store.Order{}, err
	}
	defer st.Close()
	o, err := st.OrderByNumber(ctx, number)
	if err != nil {
		return store.Order{}, fmt.Errorf("order %s: %w", number, err)
	}
	return o, nil
}

func devStripeEvent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("dev stripe-event", stderr)
	var dir, secret, typ, currency string
	var unpaid bool
	var amount int64
	server := devServerFlags(f, &dir)
	f.Secret(&secret, "stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET", "the server's webhook signing secret, whsec_…")
	f.fs.StringVar(&typ, "type", "completed", devTypeNames)
	f.fs.BoolVar(&unpaid, "unpaid", false, "a completed session whose payment is still on its way (payment_status unpaid)")
	f.fs.Int64Var(&amount, "amount", 0, "cents charged (a session), refunded so far or disputed (default: the order's amount)")
	f.fs.StringVar(&currency, "currency", "usd", "currency of --amount, e.g. jpy for an amount that is not the order's")
	pos, err := f.parse(args)
	if err != nil {
		return flagError(err)
	}
	evType, ok := devStripeTypes[typ]
	if len(pos) != 1 || !ok || secret == "" || amount < 0 {
		return usagef("want one order number, a --type of %s, no negative --amount, and STRIPE_WEBHOOK_SECRET",
			devTypeNames)
	}
	base, err := server.url()
	if err != nil {
		return err
	}
	o, err := devOrder(ctx, dir, server.databaseURL, pos[0])
	if err != nil {
		return err
	}
	if o.Processor != store.ProcessorStripe || o.SessionID == "" {
		return fmt.Errorf("order %s is not a card order with a Checkout session", o.Number)
	}
	if amount == 0 {
		amount = o.AmountCents
	}
	url := base + billing.StripeWebhookPath
	var id, what string
	var code int
	if evType == billing.EventChargeRefunded || evType == billing.EventDisputeCreated {
		switch o.Status {
		case store.OrderPaid, store.OrderReview, store.OrderRefunded, store.OrderDisputed:
		default:
			return fmt.Errorf("order %s is %s: pay it first (--type completed)", o.Number, o.Status)
		}
		ev := stripetest.ChargeEvent{ID: "evt_dev_" + randomHex(12), Type: evType, PaymentIntent: o.PaymentIntentID,
			Amount: amount, Currency: currency}
		if evType == billing.EventChargeRefunded {
			ev.Amount = max(amount, o.AmountCents) // the charge; amount is what was refunded of it
			ev.Refunded = amount
		}
		id, what = ev.ID, fmt.Sprintf("%d %s", amount, currency)
		code, err = stripetest.PostCharge(ctx, url, secret, ev)
	} else {
		status := "paid"
		if unpaid || evType == billing.EventCheckoutExpired || evType == billing.EventCheckoutAsyncFailed {
			status = "unpaid"
		}
		ev := stripetest.Event{ID: "evt_dev_" + randomHex(12), Type: evType, SessionID: o.SessionID, Order: o.Number,
			PaymentStatus: status, AmountTotal: amount, Currency: currency, PaymentIntent: "pi_dev_" + randomHex(8)}
		id, what = ev.ID, fmt.Sprintf("%s, %d %s", status, amount, currency)
		code, err = stripetest.Post(ctx, url, secret, ev)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s (%s) for order %s: HTTP %d\n", id, evType, what, o.Number, code)
	return delivered(code)
}

// delivered turns the server's answer into the command's outcome: a
// delivery the server refused is a failure, whatever the reason.
func delivered(code int) error {
	if code < 200 || code > 299 {
		return fmt.Errorf("the server refused the delivery: HTTP %d", code)
	}
	return nil
}

func devBTCCallback(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("dev btc-callback", stderr)
	var dir, secret, txid, fake, key string
	var status int
	var sats int64
	var forge bool
	server := devServerFlags(f, &dir)
	f.Secret(&secret, "blockonomics-callback-secret", "BLOCKONOMICS_CALLBACK_SECRET", "the server's callback secret")
	f.String(&fake, "fake", "BLOCKONOMICS_API_BASE", "",
		"the `wantsms dev blockonomics` the server looks transactions up at: the payment is put on its chain first")
	f.Secret(&key, "blockonomics-api-key", "BLOCKONOMICS_API_KEY", "the fake's API key")
	f.fs.IntVar(&status, "status", 2, "0 unconfirmed, 1 one confirmation, 2 confirmed")
	f.fs.Int64Var(&sats, "sats", 0, "satoshis sent (default: the amount quoted)")
	f.fs.StringVar(&txid, "txid", "", "transaction id, 64 hex digits (default: one derived from the order)")
	f.fs.BoolVar(&forge, "forge", false, "send the callback only, of a payment nobody made: it must credit nothing")
	pos, err := f.parse(args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) != 1 || secret == "" {
		return usagef("want one order number and BLOCKONOMICS_CALLBACK_SECRET")
	}
	if txid != "" && !isTxid(txid) {
		return usagef("--txid %q: want 64 hex digits", txid)
	}
	if sats < 0 || status < billing.BTCPaymentError || status > billing.BTCConfirmed {
		return usagef("want --status from -1 to 2 and no negative --sats")
	}
	base, err := server.url()
	if err != nil {
		return err
	}
	o, err := devOrder(ctx, dir, server.databaseURL, pos[0])
	if err != nil {
		return err
	}
	if o.Processor != store.ProcessorBlockonomics || o.BTCAddress == "" {
		return fmt.Errorf("order %s is not a Bitcoin order with an address", o.Number)
	}
	if sats == 0 {
		sats = o.BTCExpectedSats
	}
	if txid == "" {
		sum := sha256.Sum256([]byte("dev-" + o.Number))
		txid = hex.EncodeToString(sum[:])
	}
	if !forge && fake != "" && fake != billing.DefaultBlockonomicsBase {
		if err := blockonomicsfake.SendBroadcast(ctx, fake, key, blockonomicsfake.Broadcast{Txid: txid,
			Addr: o.BTCAddress, Sats: sats, Status: status}); err != nil {
			return err
		}
	}
	code, err := blockonomicsfake.SendCallback(ctx, base+billing.BlockonomicsCallbackPath, secret, status, o.BTCAddress, txid, sats, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "status %d, %s BTC, txid %s…, for order %s: HTTP %d\n", status, billing.FormatBTC(sats),
		txid[:12], o.Number, code)
	return delivered(code)
}

// isTxid reports whether s is 64 hex digits, as every Bitcoin txid is.
func isTxid(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// devBlockonomics serves a fake Blockonomics API (price, new_address and
// tx_detail, with the payments `dev btc-callback` puts on its chain) until
// interrupted, for BLOCKONOMICS_API_BASE.
func devBlockonomics(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("dev blockonomics", stderr)
	var addr, key string
	f.fs.StringVar(&addr, "addr", "127.0.0.1:12113", "listen address")
	f.Secret(&key, "blockonomics-api-key", "BLOCKONOMICS_API_KEY", "the API key to accept")
	pos, err := f.parse(args)
	if err != nil {
		return flagError(err)
	}
	if len(pos) > 0 || key == "" {
		return usagef("want BLOCKONOMICS_API_KEY and no argument")
	}
	fake, err := blockonomicsfake.Listen(addr, key)
	if err != nil {
		return err
	}
	defer fake.Close()
	fmt.Fprintf(stdout, "fake Blockonomics at %s (price $%s per BTC): set BLOCKONOMICS_API_BASE=%s\n",
		fake.URL, blockonomicsfake.DefaultPrice, fake.URL)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return nil
}
