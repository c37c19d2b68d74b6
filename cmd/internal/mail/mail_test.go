package mail_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/mail"
	"github.com/wantsms/wantsms/cmd/internal/mail/smtptest"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/testdb"
)

const wait = 20 * time.Second

var site = mail.Site{Dashboard: "ssh -p 2222 localhost", PublicURL: "http://localhost:8080"}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(testdb.Path(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// run starts a worker until the test ends.
func run(t *testing.T, st *store.Store, cfg mail.Config) *mail.Worker {
	t.Helper()
	if cfg.From == "" {
		cfg.From = "WantSMS <no-reply@wantsms.test>"
	}
	cfg.Site = site
	w, err := mail.NewWorker(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return w
}

// codeIn finds the code a mail's text shows.
var codeIn = regexp.MustCompile(`(?m)^    ([A-Z2-9]{4}-[A-Z2-9]{4})$`)

// A sign-up's verification mail reaches a real SMTP server over STARTTLS
// with authentication: a text part with the code and the link, an HTML
// part saying the same with no remote content, a Message-ID made from
// the outbox row. The row is then sent, its params emptied.
func TestVerificationMailOverSMTP(t *testing.T) {
	srv := smtptest.Start(t)
	st := openStore(t)
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "reader@example.com", "correct horse", store.Origin{RemoteAddr: "203.0.113.5:4000"})
	if err != nil {
		t.Fatal(err)
	}
	w := run(t, st, mail.Config{SMTPURL: srv.URL(), TLS: srv.TLSConfig()})
	m := srv.WaitFor(t, wait, smtptest.To("reader@example.com", "verify"))
	if !m.TLS || !m.Authed || m.From != "no-reply@wantsms.test" {
		t.Fatalf("conversation: tls %v auth %v from %q", m.TLS, m.Authed, m.From)
	}
	code := codeIn.FindStringSubmatch(m.Text)
	if code == nil || !strings.Contains(m.HTML, code[1]) || strings.Contains(m.Subject, code[1]) {
		t.Fatalf("the code in text, HTML and not the subject:\n%s\n%s", m.Text, m.HTML)
	}
	link := regexp.MustCompile(`http://localhost:8080/verify/[A-Za-z0-9_-]{43}`).FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, `<a href="`+link+`">`+link+`</a>`) {
		t.Fatalf("the link, written out as itself:\n%s\n%s", m.Text, m.HTML)
	}
	if got := m.Header.Get("Message-Id"); !regexp.MustCompile(`^<wantsms\.\d+\.\d+@wantsms\.test>$`).MatchString(got) {
		t.Fatalf("Message-ID %q", got)
	}
	if m.Header.Get("Auto-Submitted") != "auto-generated" || m.Header.Get("List-Unsubscribe") != "" {
		t.Fatalf("headers: %v", m.Header)
	}
	if got, err := st.VerifyEmail(ctx, u.ID, strings.ToLower(code[1]), store.Origin{}); err != nil || !got.Verified() {
		t.Fatalf("verify with the mailed code: %v", err)
	}
	waitFor(t, func() bool { return sentCount(t, st, u.ID) == 1 })
	log, _ := st.MailLog(ctx, u.ID, 5)
	if log[0].Subject != m.Subject {
		t.Fatalf("mail log subject %q, sent %q", log[0].Subject, m.Subject)
	}
	if s := w.Stats(); s.Sent != 1 || s.Failed != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A mail server that answers "try later" gets the mail again, with a
// growing wait, until the attempts are spent: the mail is then given up,
// shown to admins and counted. A 5xx answer gives up at once. The log
// says it all without the address the server quoted.
func TestFailingServerRetriedThenGivenUp(t *testing.T) {
	srv := smtptest.Start(t)
	srv.Refuse(451, "mailbox {rcpt} busy")
	var logs syncBuffer
	st := openStore(t)
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "busy@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	w := run(t, st, mail.Config{SMTPURL: srv.URL(), TLS: srv.TLSConfig(), RetryBase: time.Second,
		RetryMax: time.Second, MaxAttempts: 3, Poll: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	waitFor(t, func() bool { return w.Stats().Failed == 1 })
	if s := w.Stats(); s.Retried != 2 || s.Sent != 0 {
		t.Fatalf("stats %+v: want two retries, then given up", s)
	}
	log, _ := st.MailLog(ctx, u.ID, 5)
	if log[0].Status != store.MailFailed || log[0].Attempts != 3 || !strings.Contains(log[0].LastError, "451") {
		t.Fatalf("mail log: %+v", log[0])
	}
	admin := adminActor(t, st)
	failed, err := st.FailedMails(ctx, admin, 10)
	if err != nil || len(failed) != 1 || failed[0].To != "busy@example.com" {
		t.Fatalf("failed mails: %+v %v", failed, err)
	}
	g, err := st.ReadGauges(ctx)
	if err != nil || g.MailsByStatus[store.MailFailed] != 1 {
		t.Fatalf("gauges: %+v %v", g.MailsByStatus, err)
	}

	srv.Refuse(550, "no such user")
	nobody, err := st.CreateUser(ctx, "nobody@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		log, _ := st.MailLog(ctx, nobody.ID, 1)
		return log[0].Status == store.MailFailed
	})
	if log, _ := st.MailLog(ctx, nobody.ID, 1); log[0].Attempts != 1 || !strings.Contains(log[0].LastError, "550") {
		t.Fatalf("a 5xx answer: %+v, want given up at the first attempt", log[0])
	}
	if len(srv.Messages()) != 0 {
		t.Fatal("a refused mail was kept")
	}
	if l := logs.String(); !strings.Contains(l, "mail given up") || !strings.Contains(l, "[recipient]") ||
		strings.Contains(strings.ToLower(l), "busy@example.com") {
		t.Fatalf("the log:\n%s", l)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The maildir default writes each mail once, named after its row, and
// reads back as sent; a server without SMTP needs no other setup.
func TestMaildirDefault(t *testing.T) {
	st := openStore(t)
	dir := filepath.Join(t.TempDir(), "mail")
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "local@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	w := run(t, st, mail.Config{Maildir: dir})
	if !strings.Contains(w.Describe(), dir) {
		t.Fatalf("describe %q", w.Describe())
	}
	waitFor(t, func() bool { return sentCount(t, st, u.ID) == 1 })
	got, err := mail.ReadMaildir(dir)
	if err != nil || len(got) != 1 || got[0].Parsed.To != "<local@example.com>" || codeIn.FindString(got[0].Parsed.Text) == "" {
		t.Fatalf("maildir: %+v %v", got, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "new", got[0].Name)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mail file: %v %v", fi, err)
	}
}

// Every kind of mail: the subject never holds a code, the HTML loads
// nothing and links only to our own pages, and notices carry a working
// unsubscribe line; security mails do not.
func TestEveryMailIsPlainAndOurs(t *testing.T) {
	p := map[string]string{store.ParamCode: "ABCD-EFGH", store.ParamLink: strings.Repeat("t", 43),
		store.ParamOld: "old@example.com", store.ParamNew: "new@example.com", store.ParamKeys: "laptop SHA256:abc",
		store.ParamHow: "reset", store.ParamKeyName: `<b>"x"</b>`, store.ParamFingerprint: "SHA256:abc",
		store.ParamFrom: "203.0.113.9:5000", store.ParamOrder: "abcdefghjkmnpqrs", store.ParamProcessor: "stripe",
		store.ParamCents: "1000", store.ParamUnsubscribe: strings.Repeat("u", 43), store.ParamAt: "1800000000",
		store.ParamRental: "7", store.ParamPhone: "+447700900123", store.ParamService: "telegram",
		store.ParamCountry: "gb", store.ParamEnds: "1800086400", store.ParamURL: "https://hooks.example.com/wantsms",
		store.ParamFormat: "wantsms"}
	kinds := []store.MailKind{store.MailVerify, store.MailEmailChanged, store.MailPasswordReset,
		store.MailPasswordChanged, store.MailKeyLinked, store.MailSupportReply, store.MailTopupReceipt,
		store.MailRentalEnding, store.MailAPIKeyCreated, store.MailAPIKeyRevoked, store.MailWebhookAdded}
	if len(kinds) != len(store.NoticeKinds)+8 {
		t.Fatal("a kind of mail is missing from this test")
	}
	href := regexp.MustCompile(`href="([^"]*)"`)
	for _, k := range kinds {
		c, err := mail.Compose(store.Mail{ID: 1, Kind: k, Params: p}, site)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		h := strings.ToLower(c.HTML())
		for _, bad := range []string{"<img", "src=", "<script", "url(", "@import", "<link", "<iframe", "<b>"} {
			if strings.Contains(h, bad) {
				t.Errorf("%s: the HTML holds %q", k, bad)
			}
		}
		for _, m := range href.FindAllStringSubmatch(c.HTML(), -1) {
			if !strings.HasPrefix(m[1], site.PublicURL+"/") {
				t.Errorf("%s: a link elsewhere: %s", k, m[1])
			}
		}
		if strings.Contains(c.Subject, "ABCD") || strings.Contains(c.Subject, "EFGH") {
			t.Errorf("%s: the subject holds the code: %q", k, c.Subject)
		}
		unsub := strings.Contains(c.Text(), site.PublicURL+mail.UnsubscribePath+p[store.ParamUnsubscribe])
		if unsub != k.Notice() {
			t.Errorf("%s: unsubscribe line %v, notice %v", k, unsub, k.Notice())
		}
		for _, line := range strings.Split(c.Text(), "\n") {
			if len(line) > 78 && !strings.Contains(line, "http") {
				t.Errorf("%s: a line of %d characters: %q", k, len(line), line)
			}
		}
	}
	c, err := mail.Compose(store.Mail{ID: 1, Kind: store.MailRentalEnding, Params: p}, site)
	if err != nil || c.Subject != "Your rented number +447700900123 ends on 2027-01-16 08:00 UTC" ||
		!strings.Contains(c.Text(), "rental R7 of the number +447700900123 (Telegram, United Kingdom)") ||
		!strings.Contains(c.Text(), site.Dashboard+" extend R7 --days 7") {
		t.Errorf("the rental notice: %v\n%s\n%s", err, c.Subject, c.Text())
	}
	if _, err := mail.Compose(store.Mail{Kind: store.MailTopupReceipt, Params: map[string]string{}}, site); err == nil {
		t.Error("a notice without its unsubscribe token was written")
	}
}

// The mail to the new address of an email change holds the code and no
// link, even were a token among its params (a row queued by an older
// release): a change is confirmed from inside the account only.
func TestEmailChangeMailHasNoLink(t *testing.T) {
	p := map[string]string{store.ParamCode: "ABCD-EFGH", store.ParamChange: "1",
		store.ParamLink: strings.Repeat("t", 43), store.ParamAt: "1800000000"}
	c, err := mail.Compose(store.Mail{ID: 1, Kind: store.MailVerify, Params: p}, site)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{c.Text(), c.HTML()} {
		if strings.Contains(part, mail.VerifyPath) || strings.Contains(part, "href") ||
			!strings.Contains(part, "ABCD-EFGH") || !strings.Contains(part, "Account tab (press v)") {
			t.Errorf("the change's mail:\n%s", part)
		}
	}
}

// --smtp-url: the schemes and their TLS, and errors that never show the
// password.
func TestSMTPURL(t *testing.T) {
	st := openStore(t)
	for _, c := range []struct{ url, want string }{
		{"smtp://user:secret@mail.example.com:587", "SMTP smtp://user@mail.example.com:587"},
		{"smtps://mail.example.com", "SMTP smtps://mail.example.com"},
		{"smtp://localhost:25?tls=none", "SMTP smtp://localhost:25?tls=none"},
	} {
		w, err := mail.NewWorker(st, mail.Config{SMTPURL: c.url, From: "a@example.com"})
		if err != nil || w.Describe() != c.want {
			t.Errorf("%s: %v %v", c.url, w, err)
		}
	}
	for _, bad := range []string{"http://user:secret@mail.example.com", "smtp://user:secret@/", "smtps://user:secret@h?tls=none",
		"smtp://user:secret@h?tls=maybe", "smtp://user:secret@h:99999", "smtp://user:secret@h/path", "smtp://user:secret@h?x=1"} {
		_, err := mail.NewWorker(st, mail.Config{SMTPURL: bad, From: "a@example.com"})
		if err == nil || strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := mail.NewWorker(st, mail.Config{Maildir: t.TempDir(), From: "not an address"}); err == nil {
		t.Error("a From that is not an address was taken")
	}
}

func adminActor(t *testing.T, st *store.Store) store.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, "boss@example.com", "correct horse", store.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkEmailVerified(ctx, u.Email, "test"); err != nil {
		t.Fatal(err)
	}
	k := newKey(t)
	if _, _, err := st.GrantAdmin(ctx, u.Email, k, "test"); err != nil {
		t.Fatal(err)
	}
	return store.Actor{UserID: u.ID, Key: k.Fingerprint}
}

func sentCount(t *testing.T, st *store.Store, userID int64) int {
	t.Helper()
	log, err := st.MailLog(context.Background(), userID, 50)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range log {
		if m.Status == store.MailSent {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newKey(t *testing.T) store.KeySpec {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return store.SpecOf(k)
}
