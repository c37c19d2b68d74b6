package billing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wantsms/wantsms/billing/blockonomicsfake"
	"github.com/wantsms/wantsms/billing/stripemock"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

// canaryEmail is the test account's address: no request to a processor
// may carry it (privacy policy §6–7).
const canaryEmail = "privacy-canary@example.com"

// payEnv is Payments over a real store, served by a real HTTP server, with
// stripe-mock and the fake Blockonomics behind it.
type payEnv struct {
	t      *testing.T
	st     *store.Store
	pay    *Payments
	srv    *httptest.Server
	fake   *blockonomicsfake.Fake
	rec    *recorder
	user   store.User
	offset atomic.Int64 // added to the store's clock, nanoseconds
}

func newPayEnv(t *testing.T, withStripe bool) *payEnv {
	t.Helper()
	e := &payEnv{t: t, rec: &recorder{}}
	st, err := store.Open(testdb.Path(t), store.Options{Clock: e.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.fake = blockonomicsfake.New(btcKey)
	t.Cleanup(e.fake.Close)
	cfg := Config{
		Blockonomics: BlockonomicsConfig{APIKey: btcKey, CallbackSecret: btcSecret, APIBase: e.fake.URL},
		PublicURL:    testPublic,
		Log:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if withStripe {
		cfg.Stripe = StripeConfig{SecretKey: testKey, WebhookSecret: testWebhook, APIBase: stripemock.Start(t),
			HTTPClient: &http.Client{Transport: e.rec, Timeout: time.Minute}}
	}
	if e.pay, err = NewPayments(st, cfg); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	e.pay.Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	if e.user, err = st.CreateUser(context.Background(), canaryEmail, "correct horse", store.Origin{}); err != nil {
		t.Fatal(err)
	}
	// A payer whose address is verified: no limit on top-ups.
	if e.user, err = st.MarkEmailVerified(context.Background(), canaryEmail, "test"); err != nil {
		t.Fatal(err)
	}
	return e
}

// An account whose email is not verified tops up DefaultUnverifiedMaxCents
// in all; a negative limit lets it top up nothing.
func TestUnverifiedTopUpLimit(t *testing.T) {
	e := newPayEnv(t, true)
	ctx := context.Background()
	u, err := e.st.CreateUser(ctx, "new@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	var capErr *store.UnverifiedCapError
	if _, err := e.pay.OpenCard(ctx, u, 2500); !errors.As(err, &capErr) || capErr.MaxCents != DefaultUnverifiedMaxCents {
		t.Fatalf("$25 unverified: %v", err)
	}
	if _, err := e.pay.OpenBitcoin(ctx, u, 1000); err != nil {
		t.Fatalf("$10 unverified: %v", err)
	}
	none, err := NewPayments(e.st, Config{PublicURL: testPublic, UnverifiedMaxCents: -1,
		Blockonomics: BlockonomicsConfig{APIKey: btcKey, CallbackSecret: btcSecret, APIBase: e.fake.URL}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.st.CreateUser(ctx, "other@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.OpenBitcoin(ctx, other, 500); !errors.As(err, &capErr) || capErr.MaxCents != 0 ||
		!strings.Contains(capErr.UserFacing(), "verify your email address first") {
		t.Fatalf("no top-up before verification: %v", err)
	}
}

func (e *payEnv) now() time.Time { return time.Now().Add(time.Duration(e.offset.Load())) }

func (e *payEnv) balance() int64 {
	e.t.Helper()
	u, err := e.st.UserByID(context.Background(), e.user.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.BalanceCents
}

func (e *payEnv) order(number string) store.Order {
	e.t.Helper()
	o, err := e.st.OrderByNumber(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *payEnv) check() {
	e.t.Helper()
	rep, err := e.st.Check(context.Background())
	if err != nil || !rep.OK() {
		e.t.Fatalf("check: %+v %v", rep, err)
	}
}

// deliver posts a signed event and returns the status.
func (e *payEnv) deliver(ev stripetest.Event) int {
	e.t.Helper()
	code, err := stripetest.Post(context.Background(), e.srv.URL+StripeWebhookPath, testWebhook, ev)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func (e *payEnv) openCard(cents int64) store.Order {
	e.t.Helper()
	o, err := e.pay.OpenCard(context.Background(), e.user, cents)
	if err != nil {
		e.t.Fatal(err)
	}
	if o.SessionID == "" || o.CheckoutURL == "" || o.Status != store.OrderCreated {
		e.t.Fatalf("card order %+v", o)
	}
	return o
}

func completed(o store.Order, id string) stripetest.Event {
	return stripetest.Event{ID: id, Type: EventCheckoutCompleted, SessionID: o.SessionID, Order: o.Number,
		AmountTotal: o.AmountCents, PaymentIntent: "pi_test_1"}
}

func TestStripeSameEvent50TimesConcurrentlyCreditsOnce(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(2500)
	ev := completed(o, "evt_once")
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- e.deliver(ev)
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("delivery answered %d", c)
		}
	}
	if b := e.balance(); b != 2500 {
		t.Fatalf("balance %d after 50 deliveries, want 2500", b)
	}
	if got := e.order(o.Number); got.Status != store.OrderPaid || got.Credited != 2500 || got.PaymentIntentID != "pi_test_1" {
		t.Fatalf("order %+v", got)
	}
	e.check()
}

func TestStripeCompletedUnpaidThenAsyncSucceeded(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(1000)
	unpaid := completed(o, "evt_c")
	unpaid.PaymentStatus = "unpaid"
	if c := e.deliver(unpaid); c != 200 || e.order(o.Number).Status != store.OrderPending || e.balance() != 0 {
		t.Fatalf("completed unpaid: %d, %+v, balance %d", c, e.order(o.Number), e.balance())
	}
	ok := completed(o, "evt_s")
	ok.Type = EventCheckoutAsyncSucceeded
	for range 3 {
		if c := e.deliver(ok); c != 200 {
			t.Fatalf("async succeeded: %d", c)
		}
		e.deliver(unpaid) // a late redelivery of the first never goes back
	}
	if got := e.order(o.Number); got.Status != store.OrderPaid || e.balance() != 1000 {
		t.Fatalf("after async success: %+v, balance %d", got, e.balance())
	}
	e.check()
}

func TestStripeFailedAndExpired(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	a, b := e.openCard(500), e.openCard(1000)
	unpaid := completed(a, "evt_1")
	unpaid.PaymentStatus = "unpaid"
	failed := completed(a, "evt_2")
	failed.Type = EventCheckoutAsyncFailed
	expired := completed(b, "evt_3")
	expired.Type, expired.PaymentStatus = EventCheckoutExpired, "unpaid"
	for _, ev := range []stripetest.Event{unpaid, failed, expired} {
		if c := e.deliver(ev); c != 200 {
			t.Fatalf("%s: %d", ev.Type, c)
		}
	}
	if e.order(a.Number).Status != store.OrderFailed || e.order(b.Number).Status != store.OrderExpired || e.balance() != 0 {
		t.Fatalf("orders %+v %+v", e.order(a.Number), e.order(b.Number))
	}
	e.check()
}

func TestStripeForgedOldMalformedCreditNothing(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(1000)
	body := stripetest.Payload(completed(o, "evt_forged"))
	bad := []byte(`{"id":"evt_x","type":"checkout.session.completed","data":{"object":[]}}`)
	url := e.srv.URL + StripeWebhookPath
	cases := map[string]struct {
		body []byte
		sig  string
		want int
	}{
		"forged":    {body, stripetest.Sign(body, "whsec_guess", time.Time{}), 400},
		"old":       {body, stripetest.Sign(body, testWebhook, time.Now().Add(-6*time.Minute)), 400},
		"unsigned":  {body, "", 400},
		"tampered":  {[]byte(strings.Replace(string(body), `"amount_total":1000`, `"amount_total":1`, 1)), stripetest.Sign(body, testWebhook, time.Time{}), 400},
		"malformed": {bad, stripetest.Sign(bad, testWebhook, time.Time{}), 400},
		"too large": {make([]byte, maxWebhookBody+1), "", 413},
	}
	for name, c := range cases {
		code, err := stripetest.PostRaw(context.Background(), url, c.body, c.sig)
		if err != nil || code != c.want {
			t.Errorf("%s: %d %v, want %d", name, code, err, c.want)
		}
	}
	if got := e.order(o.Number); got.Status != store.OrderCreated || e.balance() != 0 {
		t.Fatalf("after refused events: %+v, balance %d", got, e.balance())
	}
	// The forged event's id was not remembered: the genuine one still credits.
	if c := e.deliver(completed(o, "evt_forged")); c != 200 || e.balance() != 1000 {
		t.Fatalf("genuine event after forgeries: %d, balance %d", c, e.balance())
	}
}

func TestStripeIgnoresOtherEventsAndUnknownSessions(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(1000)
	other := completed(o, "evt_pi")
	other.Type = "payment_intent.succeeded"
	if c := e.deliver(other); c != 200 {
		t.Fatalf("other type: %d", c)
	}
	stranger := stripetest.Event{ID: "evt_u", Type: EventCheckoutCompleted, SessionID: "cs_test_notours",
		Order: "nosuchorder", AmountTotal: 1000}
	if c := e.deliver(stranger); c != 200 {
		t.Fatalf("unknown session: %d", c)
	}
	if e.order(o.Number).Status != store.OrderCreated || e.balance() != 0 {
		t.Fatal("an ignored event changed something")
	}
}

func TestPayLinkAndReturnPages(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(500)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) *http.Response {
		t.Helper()
		res, err := client.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if link := e.pay.PayLink(o.Number); link != testPublic+"/pay/"+o.Number {
		t.Fatalf("pay link %q", link)
	}
	if res := get("/pay/" + o.Number); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != o.CheckoutURL {
		t.Fatalf("open order link: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, p := range []string{"/pay/done?order=" + o.Number, "/pay/cancelled"} {
		if res := get(p); res.StatusCode != 200 {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
	}
	if e.order(o.Number).Status != store.OrderCreated || e.balance() != 0 {
		t.Fatal("the success page fulfilled the order")
	}
	if res := get("/pay/aaaaaaaaaaaaaaaa"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown order link: %d", res.StatusCode)
	}
	e.deliver(completed(o, "evt_p"))
	if res := get("/pay/" + o.Number); res.StatusCode != http.StatusNotFound {
		t.Fatalf("paid order link: %d, want the closed page", res.StatusCode)
	}
}

func TestStripeErrorFailsTheOrder(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"nope"}}`))
	}))
	defer broken.Close()
	pay, err := NewPayments(e.st, Config{PublicURL: testPublic, Log: e.pay.log, Stripe: StripeConfig{SecretKey: testKey,
		WebhookSecret: testWebhook, APIBase: broken.URL}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pay.OpenCard(context.Background(), e.user, 500)
	if msg, ok := store.UserMessage(err); !ok || !strings.Contains(msg, "Stripe") {
		t.Fatalf("error %v, want one telling the person", err)
	}
	orders, _ := e.st.Orders(context.Background(), e.user.ID, 5)
	if len(orders) != 1 || orders[0].Status != store.OrderFailed {
		t.Fatalf("orders %+v, want one failed", orders)
	}
}

func TestAmountsAndBannedAccount(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, false)
	ctx := context.Background()
	for _, cents := range []int64{199, 50001} {
		if _, err := e.pay.OpenBitcoin(ctx, e.user, cents); !errors.Is(err, ErrAmount) {
			t.Errorf("amount %d: %v, want ErrAmount", cents, err)
		}
	}
	if _, err := e.pay.OpenCard(ctx, e.user, 500); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("card top-up without Stripe configured: %v", err)
	}
	banned := e.user
	banned.BannedAt = time.Now()
	var be *store.BannedError
	if _, err := e.pay.OpenBitcoin(ctx, banned, 500); !errors.As(err, &be) {
		t.Errorf("banned account: %v", err)
	}
	if len(e.fake.Addresses()) != 0 {
		t.Error("an address was taken for a refused order")
	}
}

// No request to Stripe or Blockonomics carries the person's email.
func TestProcessorsNeverSeeTheEmail(t *testing.T) {
	t.Parallel()
	e := newPayEnv(t, true)
	o := e.openCard(1000)
	if _, err := e.pay.OpenBitcoin(context.Background(), e.user, 1000); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, x := range e.rec.all() {
		seen++
		for k, v := range x.header {
			if strings.Contains(strings.ToLower(strings.Join(v, " ")), "canary") {
				t.Errorf("Stripe request header %s carries the email", k)
			}
		}
		for k, v := range x.form {
			if strings.Contains(strings.Join(v, " ")+k, "canary") {
				t.Errorf("Stripe request field %s carries the email", k)
			}
		}
		if x.form.Get("client_reference_id") != o.Number {
			t.Errorf("client_reference_id %q, want the order number", x.form.Get("client_reference_id"))
		}
	}
	for _, r := range e.fake.Requests() {
		seen++
		if strings.Contains(r.Path+r.Query.Encode()+r.Body+r.Authorization, "canary") {
			t.Errorf("Blockonomics request %s carries the email", r.Path)
		}
	}
	if seen < 3 {
		t.Fatalf("only %d processor requests recorded", seen)
	}
}
