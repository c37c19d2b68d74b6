package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/store/netaddr"
)

// hookURL is a public address: adding it needs no name resolved.
const hookURL = "https://8.8.8.8/hooks/wantsms"

func addHook(t *testing.T, s *Store, u User, url string, f WebhookFormat) WebhookAdded {
	t.Helper()
	w, err := s.AddWebhook(context.Background(), u.ID, NewWebhook{URL: url, Format: f}, origin)
	if err != nil {
		t.Fatalf("add webhook %s: %v", url, err)
	}
	return w
}

// deliveries lists the queue and log of an account, oldest first.
func deliveries(t *testing.T, s *Store, u User) []WebhookDelivery {
	t.Helper()
	out, err := collect(context.Background(), s.r, scanDelivery, `SELECT `+deliveryColumns+`
		FROM webhook_deliveries WHERE user_id = ? ORDER BY id`, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func payloadOf(t *testing.T, s *Store, id int64, v any) {
	t.Helper()
	var p string
	if err := s.r.QueryRow(`SELECT payload FROM webhook_deliveries WHERE id = ?`, id).Scan(&p); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(p), v); err != nil {
		t.Fatalf("payload %q: %v", p, err)
	}
}

// A webhook's URL is http or https with a host, no credentials, no
// fragment, not too long; where it points is checked too: a name that
// resolves to loopback is refused, unless the store allows private
// addresses.
func TestAddWebhookChecksTheURL(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "hooks@example.com")
	for _, bad := range []string{"", "ftp://8.8.8.8/x", "https://user:pw@8.8.8.8/x", "https://8.8.8.8/x#frag",
		"//8.8.8.8/x", "https:///x", "https://8.8.8.8/a b", "javascript:alert(1)", "https://8.8.8.8:99999/x",
		"https://8.8.8.8/" + strings.Repeat("a", MaxWebhookURLLen)} {
		if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: bad}, origin); !errors.Is(err, ErrBadWebhookURL) {
			t.Errorf("%q: %v, want ErrBadWebhookURL", bad, err)
		}
	}
	var np *netaddr.NotPublicError
	for _, private := range []string{"http://localhost:8080/hook", "http://127.0.0.1/hook", "http://169.254.169.254/",
		"http://[fd00:ec2::254]/", "http://10.0.0.7/hook", "http://100.64.1.1/"} {
		if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: private}, origin); !errors.As(err, &np) {
			t.Errorf("%q: %v, want a NotPublicError", private, err)
		}
	}
	if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: hookURL, Format: "json"}, origin); !errors.Is(err, ErrBadWebhookFormat) {
		t.Errorf("format json: %v", err)
	}
	if hooks, _ := s.Webhooks(ctx, u.ID, 5); len(hooks) != 0 {
		t.Fatalf("refused webhooks were added: %+v", hooks)
	}

	open, err := Open(testDatabase(t), Options{WebhookAllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	v := newUser(t, open, "private@example.com")
	if _, err := open.AddWebhook(ctx, v.ID, NewWebhook{URL: "http://localhost:8080/hook"}, origin); err != nil {
		t.Fatalf("a private address with private allowed: %v", err)
	}
}

// The first webhook makes the account's secret, shown once; the next ones
// reuse it; the last one removed takes it away, and a new first one makes
// a new one. Adding is a security event with its security mail; an
// account holds MaxWebhooks, each URL once; the password, when asked, is
// checked.
func TestWebhookSecretAndLimits(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "owner@example.com")
	first := addHook(t, s, u, hookURL, "")
	if !strings.HasPrefix(first.Secret, "whsec_") || len(first.Secret) < 40 || first.Format != FormatWantSMS {
		t.Fatalf("first webhook: %+v", first)
	}
	second := addHook(t, s, u, "https://8.8.4.4/sa", FormatSMSActivate)
	if second.Secret != "" {
		t.Fatal("the secret was shown again with the second webhook")
	}
	if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: hookURL}, origin); !errors.Is(err, ErrWebhookExists) {
		t.Fatalf("the same URL twice: %v", err)
	}
	for i := 2; i < MaxWebhooks; i++ {
		addHook(t, s, u, "https://8.8.8.8/more/"+string(rune('a'+i)), "")
	}
	if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: "https://8.8.8.8/too-many"}, origin); !errors.Is(err, ErrTooManyWebhooks) {
		t.Fatalf("one too many: %v", err)
	}
	wrong := "wrong password"
	if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: "https://8.8.8.8/pw", Password: &wrong}, origin); !errors.Is(err, ErrCurrentPassword) {
		t.Fatalf("a wrong password: %v", err)
	}
	events, _ := s.SecurityEvents(ctx, u.ID, 50)
	added := 0
	for _, e := range events {
		if e.Kind == SecurityWebhookAdded {
			added++
		}
	}
	if added != MaxWebhooks {
		t.Fatalf("%d webhook_added events, want %d", added, MaxWebhooks)
	}
	mails, _ := s.MailLog(ctx, u.ID, 50)
	hookMails := 0
	for _, m := range mails {
		if m.Kind == MailWebhookAdded {
			hookMails++
		}
	}
	if hookMails != MaxWebhooks {
		t.Fatalf("%d webhook_added mails, want one per webhook", hookMails)
	}

	rotated, err := s.RotateWebhookSecret(ctx, u.ID, nil, origin)
	if err != nil || rotated == first.Secret || !strings.HasPrefix(rotated, "whsec_") {
		t.Fatalf("rotate: %q %v", rotated, err)
	}
	hooks, _ := s.Webhooks(ctx, u.ID, 5)
	for _, h := range hooks {
		if _, err := s.RemoveWebhook(ctx, u.ID, h.ID, origin); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM webhook_secrets WHERE user_id = ?`, u.ID); n != 0 {
		t.Fatal("the secret outlived the last webhook")
	}
	if _, err := s.RotateWebhookSecret(ctx, u.ID, nil, origin); !errors.Is(err, ErrNoWebhooks) {
		t.Fatalf("rotate without webhooks: %v", err)
	}
	again := addHook(t, s, u, hookURL, "")
	if again.Secret == "" || again.Secret == first.Secret || again.Secret == rotated {
		t.Fatal("a new first webhook did not get a new secret")
	}
	if again.ID <= hooks[len(hooks)-1].ID {
		t.Fatal("a webhook id was handed out again")
	}
	other := newUser(t, s, "other@example.com")
	if _, err := s.RemoveWebhook(ctx, other.ID, again.ID, origin); !errors.Is(err, ErrNoWebhook) {
		t.Fatalf("another account removed a webhook: %v", err)
	}
}

// Each event queues one delivery per webhook that takes it, in the
// transaction of the event; an SMS-Activate webhook takes SMS only; an
// account without webhooks queues nothing.
func TestEventsQueueDeliveries(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "events@example.com")
	credit(t, s, u, 10_000)
	none := newUser(t, s, "nohooks@example.com")
	credit(t, s, none, 1000)
	ours := addHook(t, s, u, hookURL, FormatWantSMS)
	sa := addHook(t, s, u, "https://8.8.4.4/sa", FormatSMSActivate)

	r, err := s.CreateReservation(ctx, newRes(u, 45))
	must(t, err)
	must(t, err2(s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "m1", Sender: "Telegram", Body: "Code 24279", Code: "24279"})))
	must(t, err2(s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "m1", Sender: "Telegram", Body: "Code 24279", Code: "24279"})))
	must(t, err2(s.EndReservation(ctx, r.ID, ResFinished)))
	r2, err := s.CreateReservation(ctx, newRes(u, 30))
	must(t, err)
	must(t, err2(s.EndReservation(ctx, r2.ID, ResCancelled)))
	o := stripeOrder(t, s, u, 1000, "cs_hook")
	must(t, err2(s.ApplyStripe(ctx, paid("evt_hook", "cs_hook"))))
	rent := mustRent(t, s, newRental(u, 200, 1))
	must(t, err2(s.AddRentalMessage(ctx, rent.ID, NewMessage{ProviderID: "r1", Sender: "Bank", Body: "Your code 1111", Code: "1111"})))
	must(t, err2(s.FailRental(ctx, rent.ID)))

	var got []string
	ds := deliveries(t, s, u)
	for _, d := range ds {
		h := "ours"
		if d.WebhookID == sa.ID {
			h = "sa"
		}
		got = append(got, h+" "+string(d.Event))
		if d.Status != DeliveryQueued || !strings.HasPrefix(d.EventID, "evt_") {
			t.Errorf("delivery %+v", d)
		}
	}
	want := []string{"ours sms.received", "sa sms.received", "ours reservation.ended", "ours reservation.ended",
		"ours topup.credited", "ours sms.received", "sa sms.received", "ours rental.ended"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("queued\n%s\nwant\n%s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
	if ds[0].EventID != ds[1].EventID || ds[0].EventID == ds[2].EventID {
		t.Fatal("one event must have one id for every webhook, and two events two ids")
	}
	var sms HookSMS
	payloadOf(t, s, ds[0].ID, &sms)
	if sms.ReservationID != r.ID || sms.Text != "Code 24279" || sms.Code != "24279" || sms.Service != "telegram" ||
		sms.Country != "gb" || sms.Phone != "+447700900123" || sms.Sender != "Telegram" || sms.ReceivedAt.IsZero() {
		t.Fatalf("sms payload %+v", sms)
	}
	var ended HookEnded
	payloadOf(t, s, ds[3].ID, &ended)
	if ended.ReservationID != r2.ID || ended.State != "cancelled" || ended.RefundCents != 30 {
		t.Fatalf("ended payload %+v", ended)
	}
	var top HookTopup
	payloadOf(t, s, ds[4].ID, &top)
	if top.Order != o.Number || top.Processor != "stripe" || top.CreditedCents != 1000 {
		t.Fatalf("top-up payload %+v", top)
	}
	var rentEnd HookEnded
	payloadOf(t, s, ds[7].ID, &rentEnd)
	if rentEnd.RentalID != rent.ID || rentEnd.State != "failed" {
		t.Fatalf("rental payload %+v", rentEnd)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM webhook_deliveries WHERE user_id = ?`, none.ID); n != 0 {
		t.Fatal("an account without webhooks queued deliveries")
	}
	if _, err := s.TestWebhook(ctx, u.ID, ours.ID); err != nil {
		t.Fatal(err)
	}
	tests, err := s.TestWebhook(ctx, u.ID, 0)
	if err != nil || len(tests) != 2 {
		t.Fatalf("test every webhook: %d %v", len(tests), err)
	}
	if _, err := s.TestWebhook(ctx, none.ID, 0); !errors.Is(err, ErrNoWebhooks) {
		t.Fatalf("test without webhooks: %v", err)
	}
	if _, err := s.TestWebhook(ctx, none.ID, ours.ID); !errors.Is(err, ErrNoWebhook) {
		t.Fatalf("test another account's webhook: %v", err)
	}
}

// The delivery is written in the transaction of its event: when it cannot
// be, the event does not happen either (no SMS stored, no refund, no
// credit), and once it can, both are there.
func TestDeliveryIsWrittenWithItsEvent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "atomic@example.com")
	credit(t, s, u, 1000)
	addHook(t, s, u, hookURL, "")
	r, err := s.CreateReservation(ctx, newRes(u, 45))
	must(t, err)
	r2, err := s.CreateReservation(ctx, newRes(u, 45))
	must(t, err)
	o := stripeOrder(t, s, u, 1000, "cs_atomic")
	balance := resBalance(t, s, u)
	injectFailure(t, s, "INSERT", "webhook_deliveries") // the queue is full
	if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "x", Body: "Code 1"}); err == nil {
		t.Fatal("the SMS was stored without its delivery")
	}
	if _, err := s.EndReservation(ctx, r2.ID, ResCancelled); err == nil {
		t.Fatal("the reservation ended without its delivery")
	}
	if _, err := s.ApplyStripe(ctx, paid("evt_atomic", "cs_atomic")); err == nil {
		t.Fatal("the top-up was credited without its delivery")
	}
	got, _ := s.UserReservation(ctx, u.ID, r.ID)
	got2, _ := s.Reservation(ctx, r2.ID)
	paidOrder, _ := s.OrderByNumber(ctx, o.Number)
	if len(got.Messages) != 0 || got.State != ResActive || got2.State != ResActive ||
		resBalance(t, s, u) != balance || paidOrder.Status == OrderPaid {
		t.Fatalf("half an event happened: %+v %+v %+v balance %d", got, got2, paidOrder, resBalance(t, s, u))
	}
	removeFailure(t, s, "webhook_deliveries")
	must(t, err2(s.AddMessage(ctx, r.ID, NewMessage{ProviderID: "x", Body: "Code 1"})))
	must(t, err2(s.EndReservation(ctx, r2.ID, ResCancelled)))
	must(t, err2(s.ApplyStripe(ctx, paid("evt_atomic", "cs_atomic"))))
	if n := len(deliveries(t, s, u)); n != 3 {
		t.Fatalf("%d deliveries, want 3", n)
	}
}

// A worker leases what it claims: nobody else takes it until the lease
// ends; then the next claim is a new attempt, and the late answer of the
// old one changes nothing. Delivered, the payload goes; a failure is
// queued again for when it says, or given up.
func TestClaimLeaseAndOutcomes(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "lease@example.com")
	added := addHook(t, s, u, hookURL, "")
	sent, err := s.TestWebhook(ctx, u.ID, 0)
	must(t, err)
	d, ok, err := s.ClaimDelivery(ctx, time.Minute)
	if err != nil || !ok || d.ID != sent[0].ID || d.Attempt != 1 || d.Secret != added.Secret || d.URL != hookURL ||
		d.Event != HookTest || !strings.Contains(string(d.Payload), "this webhook works") {
		t.Fatalf("claim: %+v %v %v", d, ok, err)
	}
	if _, ok, _ := s.ClaimDelivery(ctx, time.Minute); ok {
		t.Fatal("a leased delivery was claimed twice")
	}
	clock.Add(time.Minute)
	d2, ok, err := s.ClaimDelivery(ctx, time.Minute)
	if err != nil || !ok || d2.ID != d.ID || d2.Attempt != 2 {
		t.Fatalf("claim after the lease: %+v %v %v", d2, ok, err)
	}
	must(t, s.RecordAttempt(ctx, d.ID, d.Attempt, Attempt{Delivered: true, HTTPStatus: 200}))
	if got := deliveries(t, s, u)[0]; got.Status != DeliverySending || got.Attempts != 2 {
		t.Fatalf("the first attempt's late answer counted: %+v", got)
	}
	retry := clock.Now().Add(30 * time.Second)
	must(t, s.RecordAttempt(ctx, d2.ID, d2.Attempt, Attempt{HTTPStatus: 500, Answer: "oops", RetryAt: retry}))
	got := deliveries(t, s, u)[0]
	if got.Status != DeliveryQueued || got.HTTPStatus != 500 || got.Answer != "oops" || !got.NextAttemptAt.Equal(retry) {
		t.Fatalf("after a 500: %+v", got)
	}
	if _, ok, _ := s.ClaimDelivery(ctx, time.Minute); ok {
		t.Fatal("claimed before its retry was due")
	}
	clock.Add(30 * time.Second)
	d3, ok, _ := s.ClaimDelivery(ctx, time.Minute)
	if !ok || d3.Attempt != 3 {
		t.Fatalf("the retry: %+v", d3)
	}
	must(t, s.RecordAttempt(ctx, d3.ID, d3.Attempt, Attempt{HTTPStatus: 204, Answer: "", Delivered: true}))
	got = deliveries(t, s, u)[0]
	if got.Status != DeliveryDelivered || got.DoneAt.IsZero() || got.HTTPStatus != 204 {
		t.Fatalf("delivered: %+v", got)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM webhook_deliveries WHERE payload <> ''`); n != 0 {
		t.Fatal("a delivered payload was kept")
	}
	sent, _ = s.TestWebhook(ctx, u.ID, 0)
	d4, _, _ := s.ClaimDelivery(ctx, time.Minute)
	must(t, s.RecordAttempt(ctx, d4.ID, d4.Attempt, Attempt{Answer: "connection refused"}))
	if got := deliveries(t, s, u)[1]; got.Status != DeliveryFailed || got.HTTPStatus != 0 || got.DoneAt.IsZero() {
		t.Fatalf("given up: %+v", got)
	}
}

// The delivery log goes WebhookLogRetention after a delivery was done
// (through its index: TestPurgeQueriesUseTheirIndexes); what is still
// queued stays.
func TestRetentionOfWebhookDeliveries(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "retention@example.com")
	addHook(t, s, u, hookURL, "")
	must(t, err2(s.TestWebhook(ctx, u.ID, 0)))
	d, _, _ := s.ClaimDelivery(ctx, time.Minute)
	must(t, s.RecordAttempt(ctx, d.ID, d.Attempt, Attempt{Delivered: true, HTTPStatus: 200, Answer: "ok"}))
	must(t, err2(s.TestWebhook(ctx, u.ID, 0))) // still queued at the end
	clock.Add(WebhookLogRetention)
	if got := purge(t, s)[PurgeWebhookLog]; got != 0 {
		t.Fatalf("purged %d within the period", got)
	}
	clock.Add(time.Second)
	if got := purge(t, s)[PurgeWebhookLog]; got != 1 {
		t.Fatalf("purged %d, want the delivered one", got)
	}
	if ds := deliveries(t, s, u); len(ds) != 1 || ds[0].Status != DeliveryQueued {
		t.Fatalf("left %+v", ds)
	}
}

// The export lists the webhooks with their delivery log, never the
// secret; deleting the account removes webhooks, secret and queue.
func TestWebhooksExportedAndErased(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "leaver@example.com")
	w := addHook(t, s, u, "https://8.8.8.8/leaver-hook", "")
	must(t, err2(s.TestWebhook(ctx, u.ID, 0)))
	e, err := s.Export(ctx, u.ID)
	must(t, err)
	if len(e.Webhooks) != 1 || e.Webhooks[0].URL != w.URL || len(e.Webhooks[0].Recent) != 1 ||
		e.Webhooks[0].Recent[0].Event != HookTest {
		t.Fatalf("export: %+v", e.Webhooks)
	}
	raw, _ := json.Marshal(e)
	if strings.Contains(string(raw), w.Secret) {
		t.Fatal("the export holds the secret")
	}
	must(t, s.DeleteAccount(ctx, u.ID, "correct horse", origin))
	dump := dumpTables(t, s)
	for _, trace := range []string{"leaver-hook", w.Secret} {
		if strings.Contains(dump, trace) {
			t.Errorf("%q outlived the account:\n%s", trace, grepLines(dump, trace))
		}
	}
}

// BenchmarkMessageIngestWithWebhook is BenchmarkMessageIngest for an
// account with a webhook: each SMS also queues its delivery, in its
// transaction.
func BenchmarkMessageIngestWithWebhook(b *testing.B) {
	s, _ := openTest(b)
	ctx := context.Background()
	u := newUser(b, s, "ingest@example.com")
	credit(b, s, u, 1<<40)
	if _, err := s.AddWebhook(ctx, u.ID, NewWebhook{URL: hookURL}, origin); err != nil {
		b.Fatal(err)
	}
	n := newRes(u, 1)
	n.MaxOpen = 0
	r, err := s.CreateReservation(ctx, n)
	if err != nil {
		b.Fatal(err)
	}
	sub := s.Hub().Subscribe(u.ID)
	defer sub.Close()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.AddMessage(ctx, r.ID, NewMessage{ProviderID: fmt.Sprint(i), Body: "code 123456", Code: "123456"}); err != nil {
			b.Fatal(err)
		}
		<-sub.C // the SMS: one event
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "messages/s")
}
