package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpURLForms are the forms of --smtp-url, for messages.
const smtpURLForms = "smtp://user:password@host:port (STARTTLS), smtps://user:password@host:port (TLS) " +
	"or smtp://host:port?tls=none (plain, for a relay on this machine)"

// smtpSender hands mails to a mail server over SMTP, one connection per
// mail: account mail is a trickle, and a fresh connection never trips on
// one the server dropped.
type smtpSender struct {
	host string
	port int
	opts []gomail.Option
	desc string // for the log, without the password
}

// newSMTP reads --smtp-url: smtp://[user:password@]host[:port] speaks
// STARTTLS and refuses a server without it (port 587 by default);
// smtps:// speaks TLS from the first byte (port 465 by default);
// smtp://…?tls=none speaks plain text (a relay on this machine, port 25).
// A user name turns authentication on (the strongest mechanism the server
// offers; PLAIN and LOGIN only over TLS). tlsConfig, when set, replaces
// the system's roots (tests).
func newSMTP(raw string, timeout time.Duration, tlsConfig *tls.Config) (*smtpSender, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("--smtp-url: %v", err) // url's error quotes the URL: the password too
	}
	host := u.Hostname()
	if host == "" || u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("--smtp-url %s: want a host and no path: %s", redact(u), smtpURLForms)
	}
	q := u.Query()
	tlsMode := q.Get("tls")
	q.Del("tls")
	if len(q) > 0 {
		return nil, fmt.Errorf("--smtp-url %s: unknown parameter (only tls=none is known)", redact(u))
	}
	port := 587
	opts := []gomail.Option{gomail.WithTimeout(timeout)}
	switch {
	case u.Scheme == "smtps" && tlsMode == "":
		port = 465
		opts = append(opts, gomail.WithSSL())
	case u.Scheme == "smtp" && tlsMode == "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case u.Scheme == "smtp" && tlsMode == "none":
		port = 25
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("--smtp-url %s: want %s", redact(u), smtpURLForms)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("--smtp-url %s: port %q", redact(u), p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if tlsConfig != nil {
		c := tlsConfig.Clone()
		if c.ServerName == "" {
			c.ServerName = host
		}
		opts = append(opts, gomail.WithTLSConfig(c))
	}
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return &smtpSender{host: host, port: port, opts: opts, desc: redact(u)}, nil
}

// redact writes an SMTP URL without its password.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

func (s *smtpSender) String() string { return "SMTP " + s.desc }

// deliver sends one message.
func (s *smtpSender) deliver(ctx context.Context, d delivery) error {
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	return c.DialAndSendWithContext(ctx, d.msg)
}

// permanent reports whether the mail server refused a mail for good (a
// 5xx answer to the sender, a recipient or the data): trying again would
// only be refused again. Anything else (a lost connection, a 4xx, a
// failed TLS handshake) is tried again later.
func permanent(err error) bool {
	var se *gomail.SendError
	return errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600
}
