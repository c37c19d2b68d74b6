package crashtest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/webhook"
	"github.com/wantsms/wantsms/store"
)

// People's webhooks in a crash run: every account has one, pointing at a
// receiver that outlives the server processes (as a person's system
// would). The receiver counts each post by webhook and event id; at the
// end, every delivery in the log is delivered and was received, copies
// only as many as kills could catch in flight, and every event the
// books hold (an SMS, a number or rental ended, a top-up) has exactly one
// delivery: queued in the event's own transaction, none lost, none twice.

// hookTimeout is the server's --webhook-timeout in a crash run: short, so
// that a post a kill caught in flight is taken over (after twice this and
// 5 s) within the run, long enough that a loaded machine answers within
// it (a post that times out after the receiver took it is a copy too).
const hookTimeout = 3 * time.Second

// hookSink is the people's systems behind their webhooks.
type hookSink struct {
	*httptest.Server
	mu       sync.Mutex
	received map[string]int // "path event-id" → posts
	posts    []sinkPost
	// hold, when set, is called with each post before it is answered:
	// the kill test holds the first one while it kills the server.
	hold func(n int)
}

type sinkPost struct {
	path, eventID, attempt, timestamp, signature string
	body                                         []byte
}

func newHookSink(t *testing.T) *hookSink {
	t.Helper()
	s := &hookSink{received: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p := sinkPost{path: r.URL.Path, eventID: r.Header.Get("X-WantSMS-Event-Id"), body: body,
			attempt: r.Header.Get("X-WantSMS-Attempt"), timestamp: r.Header.Get("X-WantSMS-Timestamp"),
			signature: r.Header.Get("X-WantSMS-Signature")}
		s.mu.Lock()
		s.received[p.path+" "+p.eventID]++
		s.posts = append(s.posts, p)
		n, hold := len(s.posts), s.hold
		s.mu.Unlock()
		if hold != nil {
			hold(n)
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *hookSink) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.received))
	for k, v := range s.received {
		out[k] = v
	}
	return out
}

func (s *hookSink) all() []sinkPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sinkPost(nil), s.posts...)
}

// signedBy checks a post's signature with the account's secret.
func (p sinkPost) signedBy(secret string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(p.timestamp + "." + string(p.body)))
	return hmac.Equal([]byte("sha256="+hex.EncodeToString(mac.Sum(nil))), []byte(p.signature))
}

// addHooks gives every account of the run a webhook to the sink.
func (w *world) addHooks(t *testing.T, st *store.Store, people ...person) {
	t.Helper()
	for _, p := range people {
		if _, err := st.AddWebhook(context.Background(), p.id, store.NewWebhook{URL: fmt.Sprintf("%s/hook/%d",
			w.hooks.URL, p.id)}, store.Origin{RemoteAddr: "crash seed"}); err != nil {
			t.Fatal(err)
		}
	}
}

// hookDoneTimeout bounds the wait for the webhook queue to empty after
// the last start: a post a kill caught in flight waits for its lease.
const hookDoneTimeout = 60 * time.Second

// waitHooksDone waits until no delivery waits or is being posted.
func (w *world) waitHooksDone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(hookDoneTimeout)
	for {
		var n int
		err := w.db.QueryRow(`SELECT COUNT(*) FROM webhook_deliveries WHERE status IN ('queued', 'sending')`).Scan(&n)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhook deliveries still waiting %v after the last start (%v)\n%s", n, hookDoneTimeout,
				err, w.server.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkHooks holds the delivery log to the receiver's record and to the
// books.
func (w *world) checkHooks(t *testing.T, ctx context.Context, rep *Report) {
	t.Helper()
	received := w.hooks.counts()
	for _, n := range received {
		rep.HookPosts += n
	}
	rows, err := w.db.QueryContext(ctx, `SELECT d.id, w.url, d.event_id, d.event, d.status, d.last_answer
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	known := map[string]bool{}
	for rows.Next() {
		var id int64
		var raw, eventID, event, status, answer string
		if err := rows.Scan(&id, &raw, &eventID, &event, &status, &answer); err != nil {
			t.Fatal(err)
		}
		rep.Hooks++
		if status != string(store.DeliveryDelivered) {
			t.Errorf("delivery %d (%s) is %s: %s", id, event, status, answer)
			continue
		}
		u, _ := url.Parse(raw)
		key := u.Path + " " + eventID
		known[key] = true
		switch n := received[key]; {
		case n == 0:
			t.Errorf("delivery %d (%s, %s) is delivered in the log, never received", id, event, eventID)
		case n > 1:
			rep.HookCopies += n - 1
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for key := range received {
		if !known[key] {
			t.Errorf("the receiver got %s, which the log does not hold as delivered", key)
		}
	}
	// A kill catches at most the posts under way at once.
	if most := rep.Kills * webhook.DefaultPosts; rep.HookCopies > most {
		t.Errorf("%d copies of webhook posts in %d kills: more than kills can catch in flight (%d)", rep.HookCopies,
			rep.Kills, most)
	}
	// Each event of the books has its one delivery, in every account.
	for _, c := range []struct{ event, books string }{
		{"sms.received", `(SELECT COUNT(*) FROM messages m JOIN reservations r ON r.id = m.reservation_id
			WHERE r.user_id = u.id) + (SELECT COUNT(*) FROM rental_messages m JOIN rentals r ON r.id = m.rental_id
			WHERE r.user_id = u.id)`},
		{"reservation.ended", `(SELECT COUNT(*) FROM reservations r WHERE r.user_id = u.id AND r.ended_at IS NOT NULL)`},
		{"rental.ended", `(SELECT COUNT(*) FROM rentals r WHERE r.user_id = u.id AND r.ended_at IS NOT NULL)`},
		{"topup.credited", `(SELECT COUNT(*) FROM ledger l WHERE l.user_id = u.id AND l.kind = 'topup')`},
	} {
		q := `SELECT COUNT(*) FROM users u WHERE EXISTS (SELECT 1 FROM webhooks w WHERE w.user_id = u.id) AND ` +
			c.books + ` <> (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.user_id = u.id AND d.event = ?)`
		if n := w.count(t, ctx, q, c.event); n != 0 {
			t.Errorf("%d accounts whose %s deliveries are not one per event of the books", n, c.event)
		}
	}
	if n := w.count(t, ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE event = 'sms.received'`); n == 0 {
		t.Error("no SMS was delivered to a webhook: the run proves nothing about them")
	}
}

// killTimeout is the server's --webhook-timeout in KillMidWebhook: the
// kill (or the stop) must come while the post waits, well within it.
const killTimeout = 3 * time.Second

// WebhookKillReport is what the kill of a server mid-post did.
type WebhookKillReport struct {
	Posts    int    // posts the receiver got in all
	EventID  string // the event's id, in every post
	Attempts []string
}

// KillMidWebhook kills the server with SIGKILL while its post of an
// event waits for the receiver's answer, starts it again, and checks
// that the event is posted again, the same event (id, body, signed with
// the account's secret) under its next attempt number, once the dead
// process's lease is over, and then no more: the receiver, dropping
// copies by event id, has it once. A clean shutdown while a post is in
// flight waits for its answer and records it: that event is never
// posted again.
func KillMidWebhook(t *testing.T, command func(args ...string) *exec.Cmd) WebhookKillReport {
	t.Helper()
	dir := t.TempDir()
	sink := newHookSink(t)
	inFlight, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	sink.hold = func(n int) {
		if n == 1 {
			once.Do(func() { close(inFlight) })
			<-release
		}
	}
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	st, err := service.OpenStore(dir, "", store.Options{WebhookAllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "receiver@crash.example", "correct horse battery", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	added, err := st.AddWebhook(ctx, u.ID, store.NewWebhook{URL: sink.URL + "/hook"}, store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	queued, err := st.TestWebhook(ctx, u.ID, 0)
	if err != nil || len(queued) != 1 {
		t.Fatalf("queue the event: %v", err)
	}
	st.Close()

	srv := &server{command: command, logPath: filepath.Join(t.TempDir(), "server.log"), sshAddr: freeAddr(t),
		httpAddr: freeAddr(t)}
	srv.args = append([]string{"serve"}, flagArgs("data", dir, "ssh-addr", srv.sshAddr, "http-addr", srv.httpAddr,
		"log-level", "info", "providers", "sim", "webhook-allow-private", "true",
		"webhook-timeout", killTimeout.String())...)
	t.Cleanup(srv.abandon)
	srv.start(t)
	select {
	case <-inFlight:
	case <-time.After(readyTimeout):
		t.Fatalf("the event was not posted\n%s", srv.logTail())
	}
	srv.kill(t) // the post waits for its answer
	close(release)
	db := openRO(t, dir)
	var status string
	var attempts int
	if err := db.QueryRow(`SELECT status, attempts FROM webhook_deliveries WHERE id = ?`, queued[0].ID).
		Scan(&status, &attempts); err != nil || status != "sending" || attempts != 1 {
		t.Fatalf("after the kill the delivery is %s, attempt %d (%v): want sending, 1", status, attempts, err)
	}
	srv.start(t)
	waitDelivery(t, db, srv, queued[0].ID, readyTimeout)

	// A clean shutdown while a post is in flight: the post is answered
	// and recorded before the process ends.
	inFlight2, release2 := make(chan struct{}), make(chan struct{})
	var once2 sync.Once
	sink.mu.Lock()
	held := len(sink.posts)
	sink.hold = func(n int) {
		if n == held+1 {
			once2.Do(func() { close(inFlight2) })
			<-release2
		}
	}
	sink.mu.Unlock()
	st2, err := service.OpenStore(dir, "", store.Options{WebhookAllowPrivate: true, Relay: true})
	if err != nil {
		t.Fatal(err)
	}
	tested, err := st2.TestWebhook(ctx, u.ID, 0)
	st2.Close()
	if err != nil || len(tested) != 1 {
		t.Fatalf("queue the second event: %v", err)
	}
	second := tested[0].EventID
	select {
	case <-inFlight2:
	case <-time.After(readyTimeout):
		t.Fatalf("the second event was not posted\n%s", srv.logTail())
	}
	stopped := make(chan error, 1)
	go func() { stopped <- srv.stop(30 * time.Second) }()
	waitLog(t, srv, "shutting down")
	close(release2)
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v\n%s", err, srv.logTail())
	}
	if err := db.QueryRow(`SELECT status FROM webhook_deliveries WHERE id = ?`, tested[0].ID).Scan(&status); err != nil ||
		status != "delivered" {
		t.Fatalf("after a clean stop mid-post the delivery is %s (%v), want delivered", status, err)
	}

	var rep WebhookKillReport
	seen := map[string]int{}
	for _, p := range sink.all() {
		rep.Posts++
		seen[p.eventID]++
		if !p.signedBy(added.Secret) {
			t.Errorf("post %s (attempt %s) is not signed with the account's secret", p.eventID, p.attempt)
		}
		if p.eventID == queued[0].EventID {
			rep.Attempts = append(rep.Attempts, p.attempt)
			if string(p.body) != string(sink.all()[0].body) {
				t.Errorf("attempt %s posted another body:\n%s\n%s", p.attempt, p.body, sink.all()[0].body)
			}
		}
	}
	rep.EventID = queued[0].EventID
	if seen[queued[0].EventID] != 2 || strings.Join(rep.Attempts, ",") != "1,2" {
		t.Errorf("the event killed in flight was posted %d times (attempts %v): want twice, attempts 1 and 2",
			seen[queued[0].EventID], rep.Attempts)
	}
	if seen[second] != 1 {
		t.Errorf("the event in flight at a clean stop was posted %d times, want once", seen[second])
	}
	if len(seen) != 2 {
		t.Errorf("the receiver got %d events, want 2: %v", len(seen), seen)
	}
	return rep
}

// openRO opens the data directory's database read-only, beside the
// server.
func openRO(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, service.DatabaseFile)+"?_busy_timeout=10000&_query_only=on")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitDelivery waits until a delivery is delivered.
func waitDelivery(t *testing.T, db *sql.DB, srv *server, id int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var status string
		if err := db.QueryRow(`SELECT status FROM webhook_deliveries WHERE id = ?`, id).Scan(&status); err == nil &&
			status == "delivered" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %d not delivered within %v\n%s", id, timeout, srv.logTail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitLog waits until the server's output holds text.
func waitLog(t *testing.T, srv *server, text string) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for !strings.Contains(srv.logTail(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("the server never said %q\n%s", text, srv.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
