package e2e

import (
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

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
)

// hookReceiver is a person's own system behind a webhook: it keeps what
// is posted to it and answers 200.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts []hookPost
	ch    chan struct{}
}

type hookPost struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	r := &hookReceiver{ch: make(chan struct{}, 64)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.posts = append(r.posts, hookPost{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		r.ch <- struct{}{}
		io.WriteString(w, "thanks")
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the first post of the event type, waiting for it.
func (r *hookReceiver) wait(t *testing.T, event string) hookPost {
	t.Helper()
	deadline := time.After(testenv.Wait)
	for {
		r.mu.Lock()
		for _, p := range r.posts {
			if p.header.Get("X-WantSMS-Event") == event {
				r.mu.Unlock()
				return p
			}
		}
		r.mu.Unlock()
		select {
		case <-r.ch:
		case <-deadline:
			t.Fatalf("no %s post within %s", event, testenv.Wait)
		}
	}
}

// signedBy checks a post's signature as README's recipe does.
func (p hookPost) signedBy(secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(p.header.Get("X-WantSMS-Timestamp") + "." + string(p.body)))
	return hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(p.header.Get("X-WantSMS-Signature")))
}

type hookEnvelope struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		ReservationID int64  `json:"reservation_id"`
		Code          string `json:"code"`
		Text          string `json:"text"`
		State         string `json:"state"`
	} `json:"data"`
}

type hookAddedJSON struct {
	ID         int64  `json:"id"`
	URL        string `json:"url"`
	Format     string `json:"format"`
	CreatedAt  string `json:"created_at"`
	Deliveries []any  `json:"deliveries"`
	Secret     string `json:"secret"`
}

// A person adds a webhook over SSH, reserves a number with the
// simulator, and their system receives the SMS, signed with the secret
// `webhook add` printed, then the number's end; `webhook list` shows
// both delivered with the system's answer, and /metrics counts them.
func TestWebhooksOverSSH(t *testing.T) {
	rec := newHookReceiver(t)
	env := testenv.Start(t, testenv.SimNumbers(300*time.Millisecond, false, 20*time.Minute),
		func(c *service.Config) { c.Webhooks.AllowPrivate = true })
	u, key := env.NewUser("hooked@example.com")
	env.Credit(u.ID, 1000, "grant-hooked")

	var added hookAddedJSON
	okJSON(t, env, key, "webhook add "+rec.URL+"/wantsms --json", &added)
	if !strings.HasPrefix(added.Secret, "whsec_") || added.Format != "wantsms" || added.URL != rec.URL+"/wantsms" {
		t.Fatalf("webhook add: %+v", added)
	}
	var again hookAddedJSON
	okJSON(t, env, key, "webhook add "+rec.URL+"/sa --format sms-activate --json", &again)
	if again.Secret != "" {
		t.Fatal("the secret was printed again with the second webhook")
	}

	out := ok(t, env, key, "reserve telegram --country gb --wait 1m --json")
	var code string
	var id int64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct {
			Event string `json:"event"`
			ID    int64  `json:"id"`
			Code  string `json:"code"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		id = ev.ID
		if ev.Event == "sms" {
			code = ev.Code
		}
	}
	if code == "" {
		t.Fatalf("no code in %s", out)
	}
	sms := rec.wait(t, "sms.received")
	var env1 hookEnvelope
	if err := json.Unmarshal(sms.body, &env1); err != nil {
		t.Fatalf("body %s: %v", sms.body, err)
	}
	if !sms.signedBy(added.Secret) || env1.Type != "sms.received" || env1.Data.ReservationID != id ||
		env1.Data.Code != code || sms.header.Get("X-WantSMS-Event-Id") != env1.ID {
		t.Fatalf("the SMS as posted: %s %v", sms.body, sms.header)
	}
	if sms.signedBy("whsec_someone-else") {
		t.Fatal("any secret verifies the post")
	}
	// Nothing of the person but the event: no email, no account id.
	if strings.Contains(string(sms.body), "hooked@example.com") || strings.Contains(string(sms.body), "user") {
		t.Fatalf("the post names the account: %s", sms.body)
	}
	// The SMS-Activate webhook got the same SMS as an activation.
	var sa map[string]any
	deadline := time.Now().Add(testenv.Wait)
	for sa == nil && time.Now().Before(deadline) {
		rec.mu.Lock()
		for _, p := range rec.posts {
			if p.header.Get("X-WantSMS-Event-Id") == env1.ID && !strings.HasPrefix(string(p.body), `{"id"`) {
				json.Unmarshal(p.body, &sa)
			}
		}
		rec.mu.Unlock()
		if sa == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if sa["activationId"] != float64(id) || sa["service"] != "tg" || sa["country"] != float64(16) || sa["code"] != code {
		t.Fatalf("the activation webhook: %v", sa)
	}

	ok(t, env, key, "finish "+strconv.FormatInt(id, 10))
	ended := rec.wait(t, "reservation.ended")
	var env2 hookEnvelope
	json.Unmarshal(ended.body, &env2)
	if !ended.signedBy(added.Secret) || env2.Data.ReservationID != id || env2.Data.State != "finished" {
		t.Fatalf("the end as posted: %s", ended.body)
	}

	var list struct {
		Webhooks []struct {
			ID         int64 `json:"id"`
			Deliveries []struct {
				Event      string `json:"event"`
				Status     string `json:"status"`
				HTTPStatus int    `json:"http_status"`
				Answer     string `json:"answer"`
			} `json:"deliveries"`
		} `json:"webhooks"`
	}
	eventually(t, func() bool {
		stdout, _, status := env.Run(t, key, "webhook list --json")
		if status != 0 || json.Unmarshal([]byte(stdout), &list) != nil || len(list.Webhooks) != 2 {
			return false
		}
		ds := list.Webhooks[0].Deliveries
		return len(ds) == 2 && ds[0].Event == "reservation.ended" && ds[0].Status == "delivered" &&
			ds[1].Event == "sms.received" && ds[1].Status == "delivered" && ds[1].HTTPStatus == 200 &&
			ds[1].Answer == "thanks" && len(list.Webhooks[1].Deliveries) == 1
	})
	text := ok(t, env, key, "webhook list")
	if !strings.Contains(text, "sms.received") || !strings.Contains(text, "delivered (200)") {
		t.Fatalf("webhook list:\n%s", text)
	}
	fams := scrape(t, env)
	if value(t, fams, "wantsms_webhook_attempts_total", "outcome", "delivered") < 3 ||
		value(t, fams, "wantsms_webhook_deliveries", "status", "delivered") < 3 {
		t.Fatalf("/metrics: %+v %+v", fams["wantsms_webhook_attempts_total"], fams["wantsms_webhook_deliveries"])
	}
	if _, ok := fams["wantsms_webhook_queue_depth"]; !ok {
		t.Fatal("/metrics lacks the queue depth")
	}

	// A test event, then the webhook removed by its URL.
	var tested struct {
		Queued []struct {
			WebhookID int64  `json:"webhook_id"`
			EventID   string `json:"event_id"`
		} `json:"queued"`
	}
	okJSON(t, env, key, "webhook test "+strconv.FormatInt(added.ID, 10)+" --json", &tested)
	if len(tested.Queued) != 1 || tested.Queued[0].WebhookID != added.ID {
		t.Fatalf("webhook test: %+v", tested)
	}
	if p := rec.wait(t, "test"); p.header.Get("X-WantSMS-Event-Id") != tested.Queued[0].EventID || !p.signedBy(added.Secret) {
		t.Fatalf("the test as posted: %v", p.header)
	}
	ok(t, env, key, "webhook remove "+rec.URL+"/wantsms")
	ok(t, env, key, "webhook remove "+strconv.FormatInt(again.ID, 10))
	if out := ok(t, env, key, "webhook list"); !strings.Contains(out, "no webhook") {
		t.Fatalf("after removing both:\n%s", out)
	}
	evs, _ := env.Store().SecurityEvents(t.Context(), u.ID, 20)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[string(e.Kind)]++
	}
	if kinds["webhook_added"] != 2 || kinds["webhook_removed"] != 2 {
		t.Fatalf("sign-in activity: %v", kinds)
	}
}

// Without --webhook-allow-private, a webhook whose host is or resolves to
// this machine or a private network is refused when added, in words, and
// nothing is added.
func TestWebhookToPrivateAddressRefusedOverSSH(t *testing.T) {
	rec := newHookReceiver(t)
	_, port, _ := net.SplitHostPort(rec.Listener.Addr().String())
	env := testenv.Start(t)
	_, key := env.NewUser("careful@example.com")
	for url, why := range map[string]string{
		"http://localhost:" + port + "/in": "localhost resolves to 127.0.0.1, which is not a public address",
		"http://127.0.0.1:" + port + "/in": "127.0.0.1 is not a public address",
		"http://169.254.169.254/latest":    "169.254.169.254 is not a public address",
		"http://[::1]:" + port + "/in":     "::1 is not a public address",
		"http://user:pw@8.8.8.8/in":        "without a user name, password",
		"gopher://8.8.8.8/in":              "http:// or https://",
	} {
		stdout, stderr, status := env.Run(t, key, "webhook add "+url)
		if status == 0 || stdout != "" || !strings.Contains(stderr, why) {
			t.Errorf("webhook add %s: status %d, stderr %q, want %q", url, status, stderr, why)
		}
	}
	if out := ok(t, env, key, "webhook list"); !strings.Contains(out, "no webhook") {
		t.Fatalf("a refused webhook was added:\n%s", out)
	}
}
