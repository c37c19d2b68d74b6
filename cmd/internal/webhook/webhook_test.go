package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/cmd/internal/webhook"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

// receiver is a person's system: it checks every post's signature with
// the secret it was shown, as README's recipe does, and answers what the
// test tells it.
type receiver struct {
	*httptest.Server
	secret string

	mu      sync.Mutex
	posts   []post
	answers []int // the status of each post in turn; 200 once they run out
}

type post struct {
	header  http.Header
	body    []byte
	validTS bool // the signature matched the timestamp and body
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	t.Helper()
	return newReceiverWith(t, nil, answers...)
}

// newReceiverWith answers with h instead, once the post is recorded.
func newReceiverWith(t *testing.T, h http.HandlerFunc, answers ...int) *receiver {
	t.Helper()
	r := &receiver{answers: answers}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		p := post{header: req.Header.Clone(), body: body, validTS: r.verify(req.Header, body)}
		r.posts = append(r.posts, p)
		if h != nil {
			r.mu.Unlock()
			h(w, req)
			return
		}
		status := http.StatusOK
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "answer "+strconv.Itoa(status))
	}))
	t.Cleanup(r.Close)
	return r
}

// verify is the receiver's side of the signature: HMAC-SHA256 with the
// secret over the timestamp header, a dot and the raw body, compared in
// constant time.
func (r *receiver) verify(h http.Header, body []byte) bool {
	ts := h.Get("X-WantSMS-Timestamp")
	mac := hmac.New(sha256.New, []byte(r.secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	return ts != "" && hmac.Equal([]byte(want), []byte(h.Get("X-WantSMS-Signature")))
}

func (r *receiver) got() []post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]post(nil), r.posts...)
}

// world is a store on a clock that moves only when told, allowing
// webhooks to loopback (where the receivers are), and a person with
// credits.
type world struct {
	st    *store.Store
	clock *testenv.Clock
	user  store.User
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := testenv.NewClock(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(testdb.Path(t), store.Options{Clock: clock.Now,
		WebhookAllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "hooked@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Move(ctx, store.Movement{UserID: u.ID, AmountCents: 1000, Kind: store.LedgerGrant,
		Reference: "g"}); err != nil {
		t.Fatal(err)
	}
	return &world{st: st, clock: clock, user: u}
}

func (w *world) hook(t *testing.T, r *receiver, f store.WebhookFormat) store.WebhookAdded {
	t.Helper()
	added, err := w.st.AddWebhook(context.Background(), w.user.ID, store.NewWebhook{URL: r.URL + "/hook", Format: f},
		store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if added.Secret != "" {
		r.secret = added.Secret
	}
	return added
}

// sms reserves a Telegram number in the United Kingdom and stores its SMS.
func (w *world) sms(t *testing.T) store.Reservation {
	t.Helper()
	ctx := context.Background()
	r, err := w.st.CreateReservation(ctx, store.NewReservation{UserID: w.user.ID, Service: "telegram", Country: "gb",
		Phone: "+447700900123", Provider: "sim", ProviderRef: "42", PriceCents: 45, Lifetime: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddMessage(ctx, r.ID, store.NewMessage{ProviderID: "1", Sender: "Telegram",
		Body: "Telegram code: 24279", Code: "24279"}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (w *world) deliveries(t *testing.T) []store.WebhookDelivery {
	t.Helper()
	hooks, err := w.st.Webhooks(context.Background(), w.user.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.WebhookDelivery
	for _, h := range hooks {
		out = append(out, h.Recent...)
	}
	return out
}

func worker(st *store.Store) *webhook.Worker {
	return webhook.New(st, webhook.Config{AllowPrivate: true, Timeout: 5 * time.Second})
}

// An SMS reaches the receiver in our format, signed with the secret shown
// when the webhook was added; the receiver's answer is recorded.
func TestDeliverySignedWithTheAccountSecret(t *testing.T) {
	w := newWorld(t)
	rec := newReceiver(t)
	w.hook(t, rec, store.FormatWantSMS)
	res := w.sms(t)
	if n := worker(w.st).DeliverDue(context.Background()); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
	posts := rec.got()
	if len(posts) != 1 || !posts[0].validTS {
		t.Fatalf("posts %+v: want one, signed", posts)
	}
	p := posts[0]
	var env struct {
		ID        string    `json:"id"`
		Type      string    `json:"type"`
		CreatedAt time.Time `json:"created_at"`
		Data      struct {
			ReservationID int64     `json:"reservation_id"`
			Phone         string    `json:"phone"`
			Service       string    `json:"service"`
			Country       string    `json:"country"`
			Sender        string    `json:"sender"`
			Text          string    `json:"text"`
			Code          string    `json:"code"`
			ReceivedAt    time.Time `json:"received_at"`
		} `json:"data"`
	}
	dec := json.NewDecoder(strings.NewReader(string(p.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("body %s: %v", p.body, err)
	}
	if env.Type != "sms.received" || !strings.HasPrefix(env.ID, "evt_") || env.Data.ReservationID != res.ID ||
		env.Data.Code != "24279" || env.Data.Text != "Telegram code: 24279" || env.Data.Service != "telegram" ||
		env.Data.Country != "gb" || env.Data.Phone != "+447700900123" || env.Data.Sender != "Telegram" ||
		!env.CreatedAt.Equal(w.clock.Now()) {
		t.Fatalf("body %s", p.body)
	}
	if p.header.Get("X-WantSMS-Event-Id") != env.ID || p.header.Get("X-WantSMS-Event") != "sms.received" ||
		p.header.Get("X-WantSMS-Attempt") != "1" || p.header.Get("Content-Type") != "application/json" ||
		p.header.Get("X-WantSMS-Timestamp") != strconv.FormatInt(w.clock.Now().Unix(), 10) {
		t.Fatalf("headers %v", p.header)
	}
	// A signature made with another secret, or over another body, fails.
	forged := &receiver{secret: "whsec_guessed"}
	if forged.verify(p.header, p.body) || rec.verify(p.header, append([]byte(" "), p.body...)) {
		t.Fatal("the signature does not bind the secret and the body")
	}
	ds := w.deliveries(t)
	if len(ds) != 1 || ds[0].Status != store.DeliveryDelivered || ds[0].HTTPStatus != 200 || ds[0].Answer != "answer 200" {
		t.Fatalf("recorded %+v", ds)
	}
}

// The SMS-Activate format is its activation webhook, with the service's
// two-letter code and the country's number from the adapter's table; a
// rental's SMS is its rent webhook; other events do not go to it.
func TestSMSActivateFormat(t *testing.T) {
	w := newWorld(t)
	rec := newReceiver(t)
	w.hook(t, rec, store.FormatSMSActivate)
	res := w.sms(t)
	ctx := context.Background()
	if _, err := w.st.EndReservation(ctx, res.ID, store.ResFinished); err != nil {
		t.Fatal(err)
	}
	rent, err := w.st.CreateRental(ctx, store.NewRental{UserID: w.user.ID, Service: "whatsapp", Country: "br",
		Phone: "+5511999990000", Provider: "sim", ProviderRef: "r1", PriceCents: 100, Days: 1, Period: 24 * time.Hour,
		CancelWindow: 20 * time.Minute, MaxOpen: 5})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.AddRentalMessage(ctx, rent.ID, store.NewMessage{ProviderID: "x", Sender: "WhatsApp",
		Body: "WhatsApp code 123-456", Code: "123456"}); err != nil {
		t.Fatal(err)
	}
	worker(w.st).DeliverDue(ctx)
	posts := rec.got()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the two SMS", len(posts))
	}
	at := w.clock.Now().UTC().Format("2006-01-02 15:04:05")
	want := `{"activationId":` + strconv.FormatInt(res.ID, 10) + `,"service":"tg","text":"Telegram code: 24279",` +
		`"code":"24279","country":16,"receivedAt":"` + at + `"}`
	if string(posts[0].body) != want {
		t.Fatalf("activation webhook\n%s\nwant\n%s", posts[0].body, want)
	}
	wantRent := `{"rentId":"` + strconv.FormatInt(rent.ID, 10) + `","sms":{"phoneFrom":"WhatsApp",` +
		`"text":"WhatsApp code 123-456","date":"` + at + `"}}`
	if string(posts[1].body) != wantRent {
		t.Fatalf("rent webhook\n%s\nwant\n%s", posts[1].body, wantRent)
	}
	if !posts[0].validTS || posts[0].header.Get("X-WantSMS-Event-Id") == "" {
		t.Fatal("an SMS-Activate post without its signature or event id")
	}
}

// A receiver that answers 500 gets the event again, with the same id,
// after 30 s, then 60 s, then 120 s; nothing is posted before its time;
// the first 2xx ends it.
func TestRetriesAfter500sWithBackoff(t *testing.T) {
	w := newWorld(t)
	rec := newReceiver(t, 500, 503, 500)
	w.hook(t, rec, store.FormatWantSMS)
	w.sms(t)
	wk := worker(w.st)
	ctx := context.Background()
	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		if n := wk.DeliverDue(ctx); n != 1 {
			t.Fatalf("attempt %d: %d posts", i+1, n)
		}
		d := w.deliveries(t)[0]
		if d.Status != store.DeliveryQueued || d.Attempts != i+1 || d.HTTPStatus < 500 ||
			!d.NextAttemptAt.Equal(w.clock.Now().Add(wait)) {
			t.Fatalf("after attempt %d: %+v, want the next in %s", i+1, d, wait)
		}
		w.clock.Advance(wait - time.Second)
		if n := wk.DeliverDue(ctx); n != 0 {
			t.Fatalf("posted %s early", time.Second)
		}
		w.clock.Advance(time.Second)
	}
	if n := wk.DeliverDue(ctx); n != 1 {
		t.Fatalf("the fourth attempt: %d posts", n)
	}
	posts := rec.got()
	if len(posts) != 4 {
		t.Fatalf("%d posts, want 4", len(posts))
	}
	for i, p := range posts {
		if p.header.Get("X-WantSMS-Event-Id") != posts[0].header.Get("X-WantSMS-Event-Id") || !p.validTS ||
			p.header.Get("X-WantSMS-Attempt") != strconv.Itoa(i+1) || string(p.body) != string(posts[0].body) {
			t.Fatalf("attempt %d is not the same event, signed: %v %s", i+1, p.header, p.body)
		}
	}
	if d := w.deliveries(t)[0]; d.Status != store.DeliveryDelivered || d.Attempts != 4 {
		t.Fatalf("after the 2xx: %+v", d)
	}
	if got := wk.Stats(); got.Delivered != 1 || got.Retried != 3 || got.Failed != 0 {
		t.Fatalf("stats %+v", got)
	}
}

// Retries stop 24 hours after the event: the delivery is then given up,
// with the last answer kept for the person to see.
func TestGivesUpAfterADay(t *testing.T) {
	w := newWorld(t)
	answers := make([]int, 100)
	for i := range answers {
		answers[i] = http.StatusBadGateway
	}
	rec := newReceiver(t, answers...)
	w.hook(t, rec, store.FormatWantSMS)
	w.sms(t)
	start := w.clock.Now()
	wk := worker(w.st)
	ctx := context.Background()
	attempts := 0
	for attempts < 100 {
		attempts += wk.DeliverDue(ctx)
		d := w.deliveries(t)[0]
		if d.Status == store.DeliveryFailed {
			break
		}
		if d.NextAttemptAt.After(start.Add(store.WebhookRetryWindow)) {
			t.Fatalf("an attempt scheduled past the window: %+v", d)
		}
		w.clock.Advance(d.NextAttemptAt.Sub(w.clock.Now()))
	}
	d := w.deliveries(t)[0]
	if d.Status != store.DeliveryFailed || d.HTTPStatus != http.StatusBadGateway || d.Answer != "answer 502" {
		t.Fatalf("given up: %+v", d)
	}
	// 30 s doubling to 1 h: seven attempts in the first hour, then one an
	// hour until the day is over.
	if attempts < 25 || attempts > 32 || len(rec.got()) != attempts {
		t.Fatalf("%d attempts (%d posts) in a day", attempts, len(rec.got()))
	}
	w.clock.Advance(48 * time.Hour)
	if n := wk.DeliverDue(ctx); n != 0 {
		t.Fatal("a given-up delivery was posted again")
	}
}

// A redirect is an answer, not a way elsewhere: its target is never asked.
func TestRedirectsNotFollowed(t *testing.T) {
	w := newWorld(t)
	elsewhere := newReceiver(t)
	rec := newReceiverWith(t, func(rw http.ResponseWriter, req *http.Request) {
		http.Redirect(rw, req, elsewhere.URL+"/stolen", http.StatusTemporaryRedirect)
	})
	w.hook(t, rec, store.FormatWantSMS)
	w.sms(t)
	worker(w.st).DeliverDue(context.Background())
	if n := len(elsewhere.got()); n != 0 {
		t.Fatalf("the redirect was followed: %d posts at its target", n)
	}
	d := w.deliveries(t)[0]
	if d.Status != store.DeliveryQueued || d.HTTPStatus != http.StatusTemporaryRedirect ||
		!strings.Contains(d.Answer, "redirect to "+elsewhere.URL+"/stolen, not followed") {
		t.Fatalf("recorded %+v", d)
	}
}

// Without the operator's flag, a delivery never connects to a private
// address: here a webhook added while private addresses were allowed,
// whose name (localhost) resolves to 127.0.0.1 when it is posted. The
// check is on the address dialled, after the name was resolved.
func TestPrivateAddressRefusedAtDelivery(t *testing.T) {
	w := newWorld(t)
	rec := newReceiver(t)
	_, port, _ := net.SplitHostPort(rec.Listener.Addr().String())
	added, err := w.st.AddWebhook(context.Background(), w.user.ID, store.NewWebhook{URL: "http://localhost:" + port + "/hook"},
		store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	rec.secret = added.Secret
	w.sms(t)
	strict := webhook.New(w.st, webhook.Config{Timeout: 5 * time.Second})
	if n := strict.DeliverDue(context.Background()); n != 1 {
		t.Fatalf("%d attempts", n)
	}
	if n := len(rec.got()); n != 0 {
		t.Fatalf("the receiver on loopback got %d posts", n)
	}
	d := w.deliveries(t)[0]
	if d.HTTPStatus != 0 || !strings.Contains(d.Answer, "127.0.0.1 is not a public address") {
		t.Fatalf("recorded %+v", d)
	}
	// The operator's flag lets the next attempt through.
	w.clock.Advance(time.Minute)
	worker(w.st).DeliverDue(context.Background())
	if n := len(rec.got()); n != 1 {
		t.Fatalf("with private addresses allowed: %d posts", n)
	}
}

// Only the start of an answer is read and kept; a receiver that does not
// answer in time is an attempt that failed.
func TestAnswersCappedAndTimedOut(t *testing.T) {
	w := newWorld(t)
	release := make(chan struct{})
	defer close(release)
	calls := 0
	var mu sync.Mutex
	rec := newReceiverWith(t, func(rw http.ResponseWriter, req *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			rw.WriteHeader(http.StatusTeapot)
			io.WriteString(rw, strings.Repeat("é", 1<<20))
			return
		}
		<-release // never answers while the test runs
	})
	w.hook(t, rec, store.FormatWantSMS)
	w.sms(t)
	wk := webhook.New(w.st, webhook.Config{AllowPrivate: true, Timeout: 300 * time.Millisecond})
	wk.DeliverDue(context.Background())
	d := w.deliveries(t)[0]
	if d.HTTPStatus != http.StatusTeapot || len([]rune(d.Answer)) > 200 || !strings.HasPrefix(d.Answer, "éé") {
		t.Fatalf("first answer recorded as %d %d runes", d.HTTPStatus, len([]rune(d.Answer)))
	}
	w.clock.Advance(time.Minute)
	wk.DeliverDue(context.Background())
	if d := w.deliveries(t)[0]; d.HTTPStatus != 0 || d.Answer != "no answer within 300ms" || d.Attempts != 2 {
		t.Fatalf("second answer recorded as %+v", d)
	}
}

// Sign is what README's recipe checks.
func TestSignMatchesTheRecipe(t *testing.T) {
	r := &receiver{secret: "whsec_example"}
	body := []byte(`{"id":"evt_1"}`)
	h := http.Header{}
	h.Set("X-WantSMS-Timestamp", "1764072000")
	h.Set("X-WantSMS-Signature", webhook.Sign("whsec_example", 1764072000, body))
	if !r.verify(h, body) {
		t.Fatal("Sign disagrees with the recipe")
	}
}
