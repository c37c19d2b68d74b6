// Package smtptest runs a real SMTP server (go-smtp) on a loopback port,
// for tests: it offers STARTTLS with a certificate made for it (TLSConfig
// trusts it) and PLAIN authentication once encrypted, keeps every message
// it accepts, parsed, and can be told to refuse them.
//
// May import from this repository: cmd/internal/mail.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/wantsms/wantsms/cmd/internal/mail"
)

// The credentials URL gives the client.
const (
	User     = "wantsms"
	Password = "mail server password"
)

// Message is one message the server accepted.
type Message struct {
	From   string
	To     []string
	Authed bool // the client authenticated (only possible over TLS)
	TLS    bool // the conversation was encrypted
	mail.Parsed
}

// Server is a running SMTP server.
type Server struct {
	srv     *smtp.Server
	addr    string
	client  *tls.Config
	mu      sync.Mutex
	msgs    []Message
	refuse  *smtp.SMTPError
	arrived chan struct{}
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen runs a server on addr until Close.
func Listen(addr string) (*Server, error) {
	cert, pool, err := selfSigned()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{addr: l.Addr().String(), client: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		arrived: make(chan struct{}, 1)}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "mail.test"
	s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.MaxMessageBytes = 1 << 20
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	go s.srv.Serve(l) //nolint:errcheck // ends with Close
	return s, nil
}

// Addr is host:port.
func (s *Server) Addr() string { return s.addr }

// URL is the --smtp-url of this server: STARTTLS and authentication.
func (s *Server) URL() string {
	return "smtp://" + url.UserPassword(User, Password).String() + "@" + s.addr
}

// PlainURL is the --smtp-url of this server without TLS or credentials,
// as for a relay on the same machine.
func (s *Server) PlainURL() string { return "smtp://" + s.addr + "?tls=none" }

// TLSConfig trusts the server's certificate (mail.Config.TLS).
func (s *Server) TLSConfig() *tls.Config { return s.client.Clone() }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Refuse makes the server answer every message's data with code (4xx:
// try later, 5xx: never) until Accept; "{rcpt}" in text is replaced by the
// recipient, as mail servers like to quote it.
func (s *Server) Refuse(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: text}
}

// Accept takes messages again.
func (s *Server) Accept() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = nil
}

// Messages is every message accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor waits until a message for which match holds has arrived, and
// returns the first such.
func (s *Server) WaitFor(t testing.TB, timeout time.Duration, match func(Message) bool) Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, m := range s.Messages() {
			if match(m) {
				return m
			}
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("no such message within %v; the server has %d", timeout, len(s.Messages()))
		}
	}
}

// To matches messages to an address about subject (a part of it).
func To(addr, subject string) func(Message) bool {
	return func(m Message) bool {
		return len(m.To) == 1 && m.To[0] == addr && strings.Contains(strings.ToLower(m.Subject), strings.ToLower(subject))
	}
}

type session struct {
	s      *Server
	conn   *smtp.Conn
	from   string
	to     []string
	authed bool
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != User || pass != Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if r := x.s.refuse; r != nil {
		return &smtp.SMTPError{Code: r.Code, EnhancedCode: r.EnhancedCode,
			Message: strings.ReplaceAll(r.Message, "{rcpt}", strings.Join(x.to, ", "))}
	}
	p, err := mail.Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "unreadable: " + err.Error()}
	}
	_, tlsOn := x.conn.TLSConnectionState()
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: x.to, Authed: x.authed, TLS: tlsOn, Parsed: p})
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("certificate: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: c}, pool, nil
}
