package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The outbox. Every mail is a row written in the same transaction as the
// event that causes it (a sign-up, a reset request, a credited top-up),
// so a mail is queued exactly when its event happened, and survives any
// crash that the event survives. A worker (package mail) claims due rows
// one at a time with a lease, renders and sends them, and records the
// outcome; a row whose sender died is claimed again once its lease ends.
//
// Delivery is at least once: a process killed after the mail server took
// a mail and before the row says so sends it again after the lease (with
// the same Message-ID, so the copy is recognisable); a clean shutdown
// waits for the mail in flight and sends nothing twice. The maildir
// delivery of a server without SMTP is exactly once (its file is named
// after the row).
//
// What a mail says is the mail package's business: a row holds its kind
// and the facts (params) the text needs. Params may hold a code or a
// link's token, so they are emptied as soon as the row is done; the rest
// stays as the account's mail log for MailLogRetention.

// MailKind is what a mail is about.
type MailKind string

// The mails WantSMS sends. Security mails always go; notices go to a
// verified address, unless the person turned their kind off.
const (
	MailVerify          MailKind = "verify"           // a code (and, at sign-up, a link) that verifies an address
	MailEmailChanged    MailKind = "email_changed"    // to the old address, once a change took effect
	MailPasswordReset   MailKind = "password_reset"   // a code that resets the password
	MailPasswordChanged MailKind = "password_changed" // changed in the dashboard or by a reset
	MailKeyLinked       MailKind = "key_linked"       // a key now signs in to the account
	MailAPIKeyCreated   MailKind = "api_key_created"  // an API key was made: it reaches the account over HTTP
	MailAPIKeyRevoked   MailKind = "api_key_revoked"  // an API key was revoked
	MailSupportReply    MailKind = "support_reply"    // notice: staff answered a conversation
	MailTopupReceipt    MailKind = "topup_receipt"    // notice: a top-up was credited
	MailRentalEnding    MailKind = "rental_ending"    // notice: a rented number ends soon
	MailWebhookAdded    MailKind = "webhook_added"    // the account's events (SMS and codes) now go to a URL too
)

// NoticeKinds are the mails a person may turn off, in the order settings
// list them; every other kind is about the account's security and always
// sent.
var NoticeKinds = []MailKind{MailSupportReply, MailTopupReceipt, MailRentalEnding}

// Notice reports whether a person may turn this kind of mail off.
func (k MailKind) Notice() bool {
	for _, n := range NoticeKinds {
		if n == k {
			return true
		}
	}
	return false
}

// Label names a kind of mail for people (settings, the mail log).
func (k MailKind) Label() string {
	switch k {
	case MailVerify:
		return "email verification"
	case MailEmailChanged:
		return "email address changed"
	case MailPasswordReset:
		return "password reset code"
	case MailPasswordChanged:
		return "password changed"
	case MailKeyLinked:
		return "SSH key linked"
	case MailAPIKeyCreated:
		return "API key created"
	case MailAPIKeyRevoked:
		return "API key revoked"
	case MailSupportReply:
		return "support answers"
	case MailTopupReceipt:
		return "top-up receipts"
	case MailRentalEnding:
		return "rentals ending"
	case MailWebhookAdded:
		return "webhook added"
	}
	return string(k)
}

// The params a mail's text is made of, by name. Each kind uses some.
const (
	ParamCode        = "code"        // verify, password_reset: the code to type
	ParamLink        = "link"        // verify, not of a change: the token of the verification link
	ParamChange      = "change"      // verify: "1" when the address is the new one of an email change
	ParamOld         = "old"         // email_changed: the address before
	ParamNew         = "new"         // email_changed: the address after
	ParamKeys        = "keys"        // password_reset, password_changed: linked keys, one "name fingerprint" a line
	ParamHow         = "how"         // password_changed: "reset" or "dashboard"
	ParamKeyName     = "key_name"    // key_linked, api_key_*: the key's name
	ParamFingerprint = "fingerprint" // key_linked
	ParamFrom        = "from"        // key_linked, api_key_*, password_*, webhook_added: the address the change came from
	ParamOrder       = "order"       // topup_receipt: the order number
	ParamProcessor   = "processor"   // topup_receipt: stripe or blockonomics
	ParamCents       = "cents"       // topup_receipt: credits added (one credit is one cent)
	ParamRental      = "rental"      // rental_ending: the rental's id
	ParamPhone       = "phone"       // rental_ending: the rented number
	ParamService     = "service"     // rental_ending: its service code
	ParamCountry     = "country"     // rental_ending: its country code
	ParamEnds        = "ends"        // rental_ending: its end, Unix seconds
	ParamURL         = "url"         // webhook_added: where the account's events now go
	ParamFormat      = "format"      // webhook_added: the format they go in
	ParamUnsubscribe = "unsubscribe" // notices: the token of the unsubscribe link
	ParamAt          = "at"          // when the event happened, Unix seconds
)

// MailStatus is where a mail is in the outbox.
type MailStatus string

// The outbox statuses.
const (
	MailQueued  MailStatus = "queued"  // waiting for its (next) attempt
	MailSending MailStatus = "sending" // claimed by a worker, under lease
	MailSent    MailStatus = "sent"    // the mail server (or the maildir) took it
	MailFailed  MailStatus = "failed"  // given up after its attempts, or refused for good
	MailDropped MailStatus = "dropped" // not sent: its code expired or a newer one replaced it
)

// MailLogRetention is how long the mail log (what was sent to whom, when;
// never its codes) is kept after the mail was sent or given up: 6 months,
// like the sign-in records it is often read with (a reset asked for, a
// key linked).
const MailLogRetention = 180 * 24 * time.Hour

// Mail is one outbox row as the worker sends it.
type Mail struct {
	ID        int64
	UserID    int64
	Kind      MailKind
	To        string
	Params    map[string]string
	Attempt   int // this attempt's number, from 1
	CreatedAt time.Time
}

// MailLogEntry is an outbox row as a person (the export) or an admin sees
// it: never its params.
type MailLogEntry struct {
	ID        int64
	UserID    int64
	Kind      MailKind
	To        string
	Subject   string // "" until sent
	Status    MailStatus
	Attempts  int
	LastError string // why the last attempt failed, or why it was dropped
	CreatedAt time.Time
	DoneAt    time.Time // zero while queued or sending
}

// outMail is what a transaction queues.
type outMail struct {
	userID  int64
	kind    MailKind
	to      string
	params  map[string]string
	expires int64 // 0: none; else a code's end, after which it is not sent
}

// queueMail writes a mail to the outbox; the mailer is woken once the
// transaction commits. A notice goes only to a verified address and only
// if the person has not turned its kind off; it gets an unsubscribe token.
func (tx *Tx) queueMail(ctx context.Context, m outMail) error {
	if m.params == nil {
		m.params = map[string]string{}
	}
	m.params[ParamAt] = fmt.Sprint(tx.now)
	var unsub sql.NullString
	if m.kind.Notice() {
		var send bool
		err := tx.QueryRowContext(ctx, `SELECT email_verified_at IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM notice_optouts WHERE user_id = ?1 AND kind = ?2) FROM users WHERE id = ?1`,
			m.userID, m.kind).Scan(&send)
		if err != nil {
			return fmt.Errorf("notice settings of account %d: %w", m.userID, err)
		}
		if !send {
			return nil
		}
		tok, err := newToken()
		if err != nil {
			return err
		}
		m.params[ParamUnsubscribe], unsub = tok, sql.NullString{String: tokenHash(tok), Valid: true}
	}
	params, err := json.Marshal(m.params)
	if err != nil {
		return fmt.Errorf("encode %s mail: %w", m.kind, err)
	}
	var expires sql.NullInt64
	if m.expires != 0 {
		expires = sql.NullInt64{Int64: m.expires, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (user_id, kind, to_addr, params, next_at, expires_at,
		unsubscribe, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		m.userID, m.kind, m.to, string(params), tx.now, expires, unsub, tx.now); err != nil {
		return fmt.Errorf("queue %s mail: %w", m.kind, err)
	}
	tx.mailQueued = true
	return nil
}

// queueAccountMail queues a mail to the account's own address.
func (tx *Tx) queueAccountMail(ctx context.Context, userID int64, kind MailKind, params map[string]string) error {
	var email sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ? AND deleted_at IS NULL`, userID).
		Scan(&email); err != nil {
		return fmt.Errorf("address of account %d: %w", userID, noRows(err, ErrNoUser))
	}
	if !email.Valid {
		return ErrNoUser
	}
	return tx.queueMail(ctx, outMail{userID: userID, kind: kind, to: email.String, params: params})
}

// announceTopup queues the receipt of a top-up that credited cents, and
// its webhook event. An order of an erased account is still credited (to
// its anonymous row), with no one to tell.
func (tx *Tx) announceTopup(ctx context.Context, o Order, cents int64) error {
	var live bool
	if err := tx.QueryRowContext(ctx, `SELECT deleted_at IS NULL FROM users WHERE id = ?`, o.UserID).
		Scan(&live); err != nil {
		return fmt.Errorf("account of order %s: %w", o.Number, err)
	}
	if !live {
		return nil
	}
	if err := tx.queueAccountMail(ctx, o.UserID, MailTopupReceipt, map[string]string{ParamOrder: o.Number,
		ParamProcessor: string(o.Processor), ParamCents: fmt.Sprint(cents)}); err != nil {
		return err
	}
	return tx.hookTopup(ctx, o, cents)
}

// dropQueued drops the account's mails of kind still waiting for a first
// or next attempt: a newer one (a new code) replaces them.
func (tx *Tx) dropQueued(ctx context.Context, userID int64, kind MailKind, why string) error {
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'dropped', params = '', last_error = ?, done_at = ?
		WHERE user_id = ? AND kind = ? AND status = 'queued'`, why, tx.now, userID, kind)
	if err != nil {
		return fmt.Errorf("drop queued %s mail: %w", kind, err)
	}
	return nil
}

// MailQueued receives a signal after a write that queued mail commits in
// this process; mail queued by another process (a command-line tool) is
// found by the worker's periodic look.
func (s *Store) MailQueued() <-chan struct{} { return s.mailQueued }

func (s *Store) wakeMailer() { signal(s.mailQueued) }

// signal wakes whoever waits on a one-slot channel, without waiting
// itself: a signal already pending says it all.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// ClaimMail takes the next mail due to be sent, queued or left by a sender
// whose lease ended, and leases it for lease: no other worker takes it
// meanwhile. A due mail whose code expired is dropped instead. ok is false
// when nothing is due.
func (s *Store) ClaimMail(ctx context.Context, lease time.Duration) (m Mail, ok bool, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		ok = false
		for {
			var params string
			var expires sql.NullInt64
			var created int64
			err := tx.QueryRowContext(ctx, `SELECT id, user_id, kind, to_addr, params, attempts, expires_at, created_at
				FROM outbox WHERE status IN ('queued', 'sending') AND next_at <= ? ORDER BY next_at, id LIMIT 1`, tx.now).
				Scan(&m.ID, &m.UserID, &m.Kind, &m.To, &params, &m.Attempt, &expires, &created)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find due mail: %w", err)
			}
			if expires.Valid && expires.Int64 <= tx.now {
				if err := tx.finishMail(ctx, m.ID, m.Attempt, MailDropped, "its code expired before it could be sent", ""); ignoreLeaseLost(err) != nil {
					return err
				}
				continue
			}
			m.Params = nil
			if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
				if err := tx.finishMail(ctx, m.ID, m.Attempt, MailFailed, "unreadable params: "+err.Error(), ""); ignoreLeaseLost(err) != nil {
					return err
				}
				continue
			}
			m.CreatedAt = time.Unix(created, 0)
			// Taken only as it was found: a row another instance claimed
			// meanwhile is left to it (see claimed).
			res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sending', attempts = ?, next_at = ?
				WHERE id = ? AND attempts = ? AND status IN ('queued', 'sending') AND next_at <= ?`,
				m.Attempt+1, tx.now+int64(lease/time.Second), m.ID, m.Attempt, tx.now)
			if err != nil {
				return fmt.Errorf("claim mail %d: %w", m.ID, err)
			}
			if !claimed(res) {
				continue
			}
			m.Attempt++
			ok = true
			return nil
		}
	})
	return m, ok, err
}

// claimed reports whether a claim's conditional update took its row. The
// writer lock (dialect.go) already serializes claims, on PostgreSQL across
// instances too; the condition keeps a claim exclusive by itself, so that
// two instances never send the same mail or post whatever serializes
// their writes.
func claimed(res sql.Result) bool {
	n, err := res.RowsAffected()
	return err == nil && n == 1
}

// errLeaseLost: the row is no longer this attempt's (its lease ended and
// another worker took it, or the account was deleted meanwhile).
var errLeaseLost = errors.New("the mail is no longer this attempt's")

// MailSent records that attempt delivered the mail, and the subject it
// went with; its params are emptied. Nothing happens (nil) when the row
// is no longer the attempt's.
func (s *Store) MailSent(ctx context.Context, id int64, attempt int, subject string) error {
	return s.write(ctx, func(tx *Tx) error {
		return ignoreLeaseLost(tx.finishMail(ctx, id, attempt, MailSent, "", subject))
	})
}

// RetryMail puts a mail whose attempt failed back in the queue, to be tried
// again at at.
func (s *Store) RetryMail(ctx context.Context, id int64, attempt int, why string, at time.Time) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'queued', next_at = ?, last_error = ?
			WHERE id = ? AND status = 'sending' AND attempts = ?`, at.Unix(), clip(why, maxMailError), id, attempt)
		if err != nil {
			return fmt.Errorf("retry mail %d: %w", id, err)
		}
		return nil
	})
}

// GiveUpMail records that a mail will not be sent: its attempts are spent
// or the mail server refused it for good. Admins see it (FailedMails).
func (s *Store) GiveUpMail(ctx context.Context, id int64, attempt int, why string) error {
	return s.write(ctx, func(tx *Tx) error {
		return ignoreLeaseLost(tx.finishMail(ctx, id, attempt, MailFailed, why, ""))
	})
}

// maxMailError bounds what a mail server's answer may make us store.
const maxMailError = 300

func ignoreLeaseLost(err error) error {
	if errors.Is(err, errLeaseLost) {
		return nil
	}
	return err
}

// finishMail ends a row's life in the outbox as status and empties its
// params.
func (tx *Tx) finishMail(ctx context.Context, id int64, attempt int, status MailStatus, why, subject string) error {
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = ?, params = '', last_error = ?, subject = ?,
		done_at = ? WHERE id = ? AND status IN ('queued', 'sending') AND attempts = ?`,
		status, clip(why, maxMailError), subject, tx.now, id, attempt)
	if err != nil {
		return fmt.Errorf("mark mail %d %s: %w", id, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errLeaseLost
	}
	return nil
}

const mailLogColumns = `id, user_id, kind, to_addr, subject, status, attempts, last_error, created_at, done_at`

func scanMailLog(r scanner) (MailLogEntry, error) {
	var e MailLogEntry
	var created int64
	var done sql.NullInt64
	err := r.Scan(&e.ID, &e.UserID, &e.Kind, &e.To, &e.Subject, &e.Status, &e.Attempts, &e.LastError, &created, &done)
	e.CreatedAt, e.DoneAt = time.Unix(created, 0), timeOrZero(done)
	return e, err
}

// MailLog lists the mails of an account, newest first.
func (s *Store) MailLog(ctx context.Context, userID int64, limit int) ([]MailLogEntry, error) {
	out, err := collect(ctx, s.r, scanMailLog, `SELECT `+mailLogColumns+` FROM outbox WHERE user_id = ?
		ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("mail log of account %d: %w", userID, err)
	}
	return out, nil
}

// AuditMailFailed records an admin looking at the failed mails: they
// name people's addresses.
const AuditMailFailed AuditAction = "mails.failed"

// FailedMails lists, for an admin, the mails given up, newest first: the
// address, what kind, how many attempts and the mail server's last word.
// Looking is audited, like the list of accounts.
func (s *Store) FailedMails(ctx context.Context, a Actor, limit int) ([]MailLogEntry, error) {
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		_, err := tx.audit(ctx, a, AuditEntry{Action: AuditMailFailed})
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := collect(ctx, s.r, scanMailLog, `SELECT `+mailLogColumns+` FROM outbox WHERE status = 'failed'
		ORDER BY done_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("failed mails: %w", err)
	}
	return out, nil
}

// newToken draws a link token: 32 random bytes, URL-safe. Secrets come
// from crypto/rand always, never from Options.Rand (a fixed source in view
// tests).
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", fmt.Errorf("draw token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// tokenHash is how a link's token is stored and looked up: 256 random
// bits need no salt or slow hash, only to not be readable from the
// database.
func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		// The reset throttle is keyed by the email, like the sign-in one:
		// short-lived, but the email must not outlive the account.
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_throttle WHERE key = (SELECT 'reset:email:' || email
			FROM users WHERE id = ?)`, userID); err != nil {
			return fmt.Errorf("delete reset throttle: %w", err)
		}
		for _, q := range []string{
			`DELETE FROM outbox WHERE user_id = ?`,
			`DELETE FROM email_codes WHERE user_id = ?`,
			`DELETE FROM notice_optouts WHERE user_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return fmt.Errorf("delete mail of account %d: %w", userID, err)
			}
		}
		return nil
	})
	purgeSteps = append(purgeSteps,
		purgeStep{PurgeMailLog, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM outbox WHERE done_at IS NOT NULL AND done_at < ?`,
				now.Add(-MailLogRetention).Unix())
		}},
		purgeStep{PurgeEmailCodes, func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM email_codes WHERE expires_at <= ?`, now.Unix())
		}},
	)
}

// Names of the mail steps in a PurgeReport.
const (
	PurgeMailLog    = "mail log older than 6 months"
	PurgeEmailCodes = "expired email codes"
)
