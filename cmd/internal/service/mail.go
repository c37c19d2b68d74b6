package service

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/wantsms/wantsms/cmd/internal/mail"
)

// MaildirName is where mails go inside the data directory when no SMTP
// server is configured.
const MaildirName = "mail"

// DefaultMailFrom is the sender of mails written to the maildir when no
// --mail-from is given.
const DefaultMailFrom = "WantSMS <no-reply@localhost>"

// startMail prepares the mail worker: SMTP when configured, else the
// maildir under the data directory (the log says which). Links in mails
// point at the public URL the payment desk uses.
func (s *Service) startMail() error {
	cfg := s.cfg.Mail
	if cfg.SMTPURL != "" && cfg.From == "" {
		return fmt.Errorf("mail: --smtp-url needs --mail-from, the address mails come from")
	}
	if cfg.From == "" {
		cfg.From = DefaultMailFrom
	}
	cfg.Maildir = filepath.Join(s.cfg.DataDir, MaildirName)
	cfg.Site = mail.Site{Dashboard: sshCommand(s.cfg.SSHPublic, s.SSHAddr()),
		PublicURL: strings.TrimRight(s.publicURL(), "/")}
	if cfg.Log == nil {
		cfg.Log = s.log
	}
	w, err := mail.NewWorker(s.Store, cfg)
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	s.mail = w
	if cfg.SMTPURL == "" {
		s.log.Info("mail: no --smtp-url, so mails are written to a maildir; read them with `wantsms dev mail`",
			"maildir", cfg.Maildir)
	} else {
		s.log.Info("mail", "via", w.Describe(), "from", cfg.From)
	}
	return nil
}

// publicURL is the HTTP base links point at (as the payment desk has it).
func (s *Service) publicURL() string {
	if s.cfg.Payments.PublicURL != "" {
		return s.cfg.Payments.PublicURL
	}
	return "http://" + s.httpL.Addr().String()
}

// Mail is the running mail worker.
func (s *Service) Mail() *mail.Worker { return s.mail }
