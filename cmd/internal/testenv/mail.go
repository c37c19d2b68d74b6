package testenv

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/mail"
	"github.com/wantsms/wantsms/cmd/internal/mail/smtptest"
	"github.com/wantsms/wantsms/cmd/internal/service"
)

// MailFrom is the sender of a test server's mails.
const MailFrom = "WantSMS <no-reply@wantsms.test>"

// WithSMTP sends the server's mails to srv (STARTTLS, authenticated),
// with retries a test can wait for: a tenth of a second apart, three
// attempts.
func WithSMTP(srv *smtptest.Server) func(*service.Config) {
	return func(c *service.Config) {
		c.Mail.SMTPURL, c.Mail.From, c.Mail.TLS = srv.URL(), MailFrom, srv.TLSConfig()
		c.Mail.RetryBase, c.Mail.RetryMax, c.Mail.MaxAttempts = 100*time.Millisecond, 100*time.Millisecond, 3
		c.Mail.Poll = 50 * time.Millisecond
	}
}

// Maildir is where a test server without SMTP writes its mails.
func (e *Env) Maildir() string { return filepath.Join(e.Dir, service.MaildirName) }

// WaitMail waits until the server's maildir holds a mail to addr whose
// subject contains subject (any case), and returns the newest such.
func (e *Env) WaitMail(t testing.TB, addr, subject string) mail.Parsed {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		mails, err := mail.ReadMaildir(e.Maildir())
		if err != nil {
			t.Fatal(err)
		}
		for i := len(mails) - 1; i >= 0; i-- {
			p := mails[i].Parsed
			if strings.Trim(p.To, "<>") == addr && strings.Contains(strings.ToLower(p.Subject), strings.ToLower(subject)) {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s about %q within %v (%d mails)", addr, subject, Wait, len(mails))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	codeLine = regexp.MustCompile(`(?m)^    ([A-Z2-9]{4}-[A-Z2-9]{4})$`)
	link     = regexp.MustCompile(`https?://\S+/(verify|unsubscribe)/[A-Za-z0-9_-]+`)
)

// CodeIn is the code a mail's text shows on a line of its own, as a person
// reads it ("" when none).
func CodeIn(text string) string {
	if m := codeLine.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

// LinkIn is the first of our links of kind ("verify" or "unsubscribe") in
// a mail's text ("" when none).
func LinkIn(text, kind string) string {
	for _, m := range link.FindAllStringSubmatch(text, -1) {
		if m[1] == kind {
			return m[0]
		}
	}
	return ""
}
