package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Webhooks: URLs of a person's own systems that their account's events
// are posted to. An event (an SMS stored, a number or rental ended, a
// top-up credited) queues one delivery per webhook of the account in the
// very transaction that records the event, so a delivery exists exactly
// when its event does and survives every crash the event survives. A
// worker (package cmd/internal/webhook) claims due deliveries with a
// lease, posts them and records the answer here; a row whose worker died
// is claimed again once its lease ends. Delivery is at least once: the
// event id (the same in every attempt) lets the receiver drop a copy.
//
// Where a webhook may point is checked when it is added (AddWebhook) and
// again on the address each delivery dials: only public addresses,
// unless the operator allows private ones (Options.WebhookAllowPrivate).
//
// A delivery's payload is the event's facts as its data object says them
// (HookSMS, HookEnded, HookTopup, HookNote); it may hold an SMS and its
// code, so it is emptied as soon as the row is done. The row stays as the
// account's delivery log for WebhookLogRetention.

// WebhookFormat is the body a webhook receives.
type WebhookFormat string

// The formats: ours, signed, with every event; or SMS-Activate's
// activation webhook, with SMS only, for tools written against it.
const (
	FormatWantSMS     WebhookFormat = "wantsms"
	FormatSMSActivate WebhookFormat = "sms-activate"
)

// WebhookFormats are the formats in the order help lists them.
var WebhookFormats = []WebhookFormat{FormatWantSMS, FormatSMSActivate}

// ParseWebhookFormat reads a format's name.
func ParseWebhookFormat(s string) (WebhookFormat, error) {
	for _, f := range WebhookFormats {
		if string(f) == strings.ToLower(strings.TrimSpace(s)) {
			return f, nil
		}
	}
	return "", ErrBadWebhookFormat
}

// WebhookEvent is what a delivery tells.
type WebhookEvent string

// The events a webhook receives.
const (
	HookSMSReceived      WebhookEvent = "sms.received"      // an SMS on a number or a rental (HookSMS)
	HookReservationEnded WebhookEvent = "reservation.ended" // finished, or cancelled/expired/failed and refunded (HookEnded)
	HookRentalEnded      WebhookEvent = "rental.ended"      // ended, cancelled or failed (HookEnded)
	HookTopupCredited    WebhookEvent = "topup.credited"    // a top-up added credits (HookTopup)
	HookTest             WebhookEvent = "test"              // asked for by `webhook test` (HookNote)
)

// WebhookEvents are the events in the order the reference lists them.
var WebhookEvents = []WebhookEvent{HookSMSReceived, HookReservationEnded, HookRentalEnded, HookTopupCredited, HookTest}

// goesTo reports whether a webhook of format f receives the event: ours
// every event, SMS-Activate's only what its format can say.
func (e WebhookEvent) goesTo(f WebhookFormat) bool {
	return f == FormatWantSMS || e == HookSMSReceived || e == HookTest
}

// HookSMS is the data of sms.received: one SMS on a number
// (ReservationID) or on a rental (RentalID). Text, sender and code are
// the provider's, as stored.
type HookSMS struct {
	ReservationID int64     `json:"reservation_id,omitempty"`
	RentalID      int64     `json:"rental_id,omitempty"`
	Phone         string    `json:"phone"`   // E.164
	Service       string    `json:"service"` // our service code, e.g. "telegram"
	Country       string    `json:"country"` // ISO 3166-1 alpha-2, lower case
	Sender        string    `json:"sender"`
	Text          string    `json:"text"`
	Code          string    `json:"code"` // "" when none was found
	ReceivedAt    time.Time `json:"received_at"`
}

// HookEnded is the data of reservation.ended and rental.ended.
type HookEnded struct {
	ReservationID int64  `json:"reservation_id,omitempty"`
	RentalID      int64  `json:"rental_id,omitempty"`
	Phone         string `json:"phone"`
	Service       string `json:"service"`
	Country       string `json:"country"`
	// State is how it ended: a number finished, cancelled, expired or
	// failed; a rental ended, cancelled or failed.
	State       string    `json:"state"`
	RefundCents int64     `json:"refund_cents"` // given back in the same transaction; 0 when nothing was
	EndedAt     time.Time `json:"ended_at"`
}

// HookTopup is the data of topup.credited.
type HookTopup struct {
	Order         string `json:"order"`     // the order number, as Wallet and `orders` show it
	Processor     string `json:"processor"` // stripe or blockonomics
	CreditedCents int64  `json:"credited_cents"`
}

// HookNote is the data of test.
type HookNote struct {
	Message string `json:"message"`
}

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The statuses of a delivery.
const (
	DeliveryQueued    DeliveryStatus = "queued"    // waiting for its (next) attempt
	DeliverySending   DeliveryStatus = "sending"   // claimed by a worker, under lease
	DeliveryDelivered DeliveryStatus = "delivered" // answered with a 2xx
	DeliveryFailed    DeliveryStatus = "failed"    // given up: no 2xx within WebhookRetryWindow
)

// Limits and periods of webhooks.
const (
	// MaxWebhooks bounds an account's webhooks: a few systems of one's
	// own, and each event is posted to every one.
	MaxWebhooks = 5
	// MaxWebhookURLLen bounds a URL, in bytes: long enough for a path
	// with a token in it, short enough for a screen.
	MaxWebhookURLLen = 1000
	// WebhookRetryWindow is how long after its event a delivery is tried
	// again (with a doubling wait) before it is given up.
	WebhookRetryWindow = 24 * time.Hour
	// WebhookLogRetention is how long a delivery stays in the account's
	// delivery log (its event, status and the receiver's answer, never
	// its contents) after it was delivered or given up: long enough to
	// look into a receiver that missed events, short because it is only
	// that.
	WebhookLogRetention = 30 * 24 * time.Hour
	// maxHookAnswer bounds what a receiver's answer makes us store.
	maxHookAnswer = 200
)

// Errors about webhooks.
var (
	ErrBadWebhookURL error = userErr(fmt.Sprintf("a webhook URL is http:// or https:// and a host, at most %d "+
		"characters, without a user name, password or #fragment", MaxWebhookURLLen))
	ErrBadWebhookFormat error = userErr("a webhook's format is wantsms or sms-activate")
	ErrWebhookExists    error = userErr("this URL is already one of your webhooks")
	ErrTooManyWebhooks  error = userErr(fmt.Sprintf("an account can have at most %d webhooks", MaxWebhooks))
	ErrNoWebhook        error = userErr("no such webhook on this account")
	ErrNoWebhooks       error = userErr("this account has no webhook: add one first")
)

// Webhook is one URL an account's events go to.
type Webhook struct {
	ID        int64
	UserID    int64
	URL       string
	Format    WebhookFormat
	CreatedAt time.Time
	// Recent are its latest deliveries, newest first (filled by
	// Webhooks).
	Recent []WebhookDelivery
}

// WebhookDelivery is one event for one webhook, as the person sees it:
// never its contents.
type WebhookDelivery struct {
	ID            int64
	WebhookID     int64
	EventID       string
	Event         WebhookEvent
	Status        DeliveryStatus
	Attempts      int
	HTTPStatus    int    // of the last answer; 0 when none came
	Answer        string // the start of the last answer's body, or why none came (untrusted text)
	CreatedAt     time.Time
	NextAttemptAt time.Time // when queued: the next attempt
	DoneAt        time.Time // zero until delivered or given up
}

// NewWebhook is a webhook to add.
type NewWebhook struct {
	URL    string
	Format WebhookFormat // "" is ours
	// Password, when not nil, is checked before anything else: the
	// dashboard asks for it, since a webhook sends codes elsewhere; a
	// command's key proved the person already.
	Password *string
}

// WebhookAdded is a webhook just added. Secret is the account's signing
// secret when this addition made it (the account's first webhook): it is
// shown this once. "" when the account had one already.
type WebhookAdded struct {
	Webhook
	Secret string
}

// CleanWebhookURL checks a webhook URL's form: http or https, a host, no
// user name or password, no fragment, at most MaxWebhookURLLen bytes of
// printable text. Where it points is checked apart (AddWebhook).
func CleanWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxWebhookURLLen {
		return "", ErrBadWebhookURL
	}
	for _, r := range raw {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return "", ErrBadWebhookURL
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Fragment != "" || strings.Contains(raw, "#") ||
		u.Hostname() == "" {
		return "", ErrBadWebhookURL
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", ErrBadWebhookURL
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", ErrBadWebhookURL
		}
	}
	return u.String(), nil
}

// AddWebhook adds a webhook to an account: the URL's form (CleanWebhookURL)
// and where its host resolves to (public addresses only, unless the store
// allows private ones) are checked first, then, in one transaction, the
// webhook, the account's signing secret if it had none, a security event
// and the security mail that says a webhook now receives the account's
// SMS. At most MaxWebhooks, each URL once.
func (s *Store) AddWebhook(ctx context.Context, userID int64, n NewWebhook, o Origin) (WebhookAdded, error) {
	raw, err := CleanWebhookURL(n.URL)
	if err != nil {
		return WebhookAdded{}, err
	}
	if n.Format == "" {
		n.Format = FormatWantSMS
	}
	if _, err := ParseWebhookFormat(string(n.Format)); err != nil {
		return WebhookAdded{}, err
	}
	if n.Password != nil {
		if err := s.confirmPassword(ctx, userID, *n.Password, o, "to add a webhook"); err != nil {
			return WebhookAdded{}, err
		}
	}
	u, _ := url.Parse(raw) // clean: it parses
	if err := s.hookGuard.CheckHost(ctx, u.Hostname()); err != nil {
		return WebhookAdded{}, err
	}
	var out WebhookAdded
	err = s.write(ctx, func(tx *Tx) error {
		var count int
		var dup bool
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE url = ?) > 0 FROM webhooks WHERE user_id = ?`,
			raw, userID).Scan(&count, &dup); err != nil {
			return fmt.Errorf("count webhooks: %w", err)
		}
		switch {
		case dup:
			return ErrWebhookExists
		case count >= MaxWebhooks:
			return ErrTooManyWebhooks
		}
		var err error
		out.Webhook, err = scanWebhook(tx.QueryRowContext(ctx, `INSERT INTO webhooks (user_id, url, format, created_at)
			SELECT id, ?, ?, ? FROM users WHERE id = ? AND deleted_at IS NULL RETURNING `+webhookColumns,
			raw, n.Format, tx.now, userID))
		if errors.Is(err, ErrNoWebhook) {
			return ErrNoUser
		}
		if err != nil {
			return err
		}
		if count == 0 {
			if out.Secret, err = tx.newHookSecret(ctx, userID); err != nil {
				return err
			}
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		if err := tx.recordEvent(ctx, userID, SecurityWebhookAdded, o, clip(raw, maxHookDetail)); err != nil {
			return err
		}
		return tx.queueAccountMail(ctx, userID, MailWebhookAdded, map[string]string{ParamURL: raw,
			ParamFormat: string(n.Format), ParamFrom: o.RemoteAddr})
	})
	return out, err
}

// maxHookDetail bounds a URL written into a security event.
const maxHookDetail = 300

// newHookSecret makes the account's signing secret anew: "whsec_" and 32
// random bytes, URL-safe. Secrets come from crypto/rand always.
func (tx *Tx) newHookSecret(ctx context.Context, userID int64) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", fmt.Errorf("draw webhook secret: %w", err)
	}
	secret := "whsec_" + base64.RawURLEncoding.EncodeToString(b)
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_secrets (user_id, secret, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at`,
		userID, secret, tx.now); err != nil {
		return "", fmt.Errorf("store webhook secret: %w", err)
	}
	return secret, nil
}

// RotateWebhookSecret replaces the account's signing secret and returns
// the new one, shown this once; deliveries from now on, retries of older
// events included, are signed with it. The dashboard confirms it with the
// password (not nil). An account without webhooks has no secret
// (ErrNoWebhooks).
func (s *Store) RotateWebhookSecret(ctx context.Context, userID int64, password *string, o Origin) (string, error) {
	if password != nil {
		if err := s.confirmPassword(ctx, userID, *password, o, "to make a new webhook secret"); err != nil {
			return "", err
		}
	}
	var secret string
	err := s.write(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return fmt.Errorf("count webhooks: %w", err)
		}
		if n == 0 {
			return ErrNoWebhooks
		}
		var err error
		if secret, err = tx.newHookSecret(ctx, userID); err != nil {
			return err
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, SecurityWebhookSecret, o, "")
	})
	return secret, err
}

// RemoveWebhook removes one of the account's webhooks, with its queue and
// delivery log; the last one takes the signing secret with it. It is
// recorded as a security event.
func (s *Store) RemoveWebhook(ctx context.Context, userID, id int64, o Origin) (Webhook, error) {
	var w Webhook
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		w, err = scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ? AND user_id = ?`,
			id, userID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id); err != nil {
			return fmt.Errorf("remove webhook %d: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_secrets WHERE user_id = ?1
			AND NOT EXISTS (SELECT 1 FROM webhooks WHERE user_id = ?1)`, userID); err != nil {
			return fmt.Errorf("remove webhook secret: %w", err)
		}
		tx.notify(Event{UserID: userID, Kind: EventAccount})
		return tx.recordEvent(ctx, userID, SecurityWebhookRemoved, o, clip(w.URL, maxHookDetail))
	})
	return w, err
}

// Webhooks lists an account's webhooks, oldest first, each with its
// recent deliveries (newest first, at most recent of them).
func (s *Store) Webhooks(ctx context.Context, userID int64, recent int) ([]Webhook, error) {
	hooks, err := collect(ctx, s.r, scanWebhook, `SELECT `+webhookColumns+` FROM webhooks WHERE user_id = ? ORDER BY id`,
		userID)
	if err != nil {
		return nil, fmt.Errorf("webhooks of account %d: %w", userID, err)
	}
	for i := range hooks {
		if hooks[i].Recent, err = collect(ctx, s.r, scanDelivery, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, hooks[i].ID, recent); err != nil {
			return nil, fmt.Errorf("deliveries of webhook %d: %w", hooks[i].ID, err)
		}
	}
	return hooks, nil
}

// TestWebhook queues a test event to one webhook of the account (id), or
// to each of them (id 0), and returns the deliveries queued.
func (s *Store) TestWebhook(ctx context.Context, userID, id int64) ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	err := s.write(ctx, func(tx *Tx) error {
		q, args := `SELECT id, format FROM webhooks WHERE user_id = ?`, []any{userID}
		if id != 0 {
			q, args = q+` AND id = ?`, append(args, id)
		}
		targets, err := collect(ctx, tx, scanTarget, q+` ORDER BY id`, args...)
		if err != nil {
			return fmt.Errorf("webhooks to test: %w", err)
		}
		switch {
		case len(targets) == 0 && id != 0:
			return ErrNoWebhook
		case len(targets) == 0:
			return ErrNoWebhooks
		}
		out, err = tx.queueDeliveries(ctx, userID, targets, HookTest,
			HookNote{Message: "A test from WantSMS: this webhook works."})
		return err
	})
	return out, err
}

// hookTarget is a webhook an event is queued for.
type hookTarget struct {
	id     int64
	format WebhookFormat
}

func scanTarget(r scanner) (hookTarget, error) {
	var t hookTarget
	return t, r.Scan(&t.id, &t.format)
}

// queueHooks queues an event of the account for each of its webhooks
// that receives it, in the transaction of the event. An account without
// webhooks, nearly all of them, costs one lookup in an index.
func (tx *Tx) queueHooks(ctx context.Context, userID int64, event WebhookEvent, data any) error {
	targets, err := collect(ctx, txPrepared{tx}, scanTarget, qHookTargets, userID)
	if err != nil {
		return fmt.Errorf("webhooks of account %d: %w", userID, err)
	}
	if len(targets) == 0 {
		return nil
	}
	_, err = tx.queueDeliveries(ctx, userID, targets, event, data)
	return err
}

// queueDeliveries writes one delivery of the event per target that
// receives it, all under one event id; the worker is woken once the
// transaction commits.
func (tx *Tx) queueDeliveries(ctx context.Context, userID int64, targets []hookTarget, event WebhookEvent,
	data any) ([]WebhookDelivery, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", event, err)
	}
	b := make([]byte, 12)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return nil, fmt.Errorf("draw event id: %w", err)
	}
	eventID := "evt_" + hex.EncodeToString(b)
	var out []WebhookDelivery
	for _, t := range targets {
		if !event.goesTo(t.format) {
			continue
		}
		d, err := scanDelivery(tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, user_id, event_id,
			event, payload, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+deliveryColumns,
			t.id, userID, eventID, event, string(payload), tx.now, tx.now))
		if err != nil {
			return nil, fmt.Errorf("queue %s event for webhook %d: %w", event, t.id, err)
		}
		out = append(out, d)
	}
	if len(out) > 0 {
		tx.hooksQueued = true
	}
	return out, nil
}

// The events, queued by the transactions that record them.

func (tx *Tx) hookSMS(ctx context.Context, userID int64, d HookSMS) error {
	d.ReceivedAt = d.ReceivedAt.UTC()
	return tx.queueHooks(ctx, userID, HookSMSReceived, d)
}

func (tx *Tx) hookReservationEnded(ctx context.Context, r Reservation) error {
	d := HookEnded{ReservationID: r.ID, Phone: r.Phone, Service: r.Service, Country: r.Country, State: string(r.State),
		EndedAt: r.EndedAt.UTC()}
	if r.Refunded {
		d.RefundCents = r.PriceCents
	}
	return tx.queueHooks(ctx, r.UserID, HookReservationEnded, d)
}

func (tx *Tx) hookRentalEnded(ctx context.Context, r Rental) error {
	return tx.queueHooks(ctx, r.UserID, HookRentalEnded, HookEnded{RentalID: r.ID, Phone: r.Phone, Service: r.Service,
		Country: r.Country, State: string(r.State), RefundCents: r.RefundCents, EndedAt: r.EndedAt.UTC()})
}

func (tx *Tx) hookTopup(ctx context.Context, o Order, cents int64) error {
	return tx.queueHooks(ctx, o.UserID, HookTopupCredited, HookTopup{Order: o.Number, Processor: string(o.Processor),
		CreditedCents: cents})
}

const webhookColumns = `id, user_id, url, format, created_at`

func scanWebhook(r scanner) (Webhook, error) {
	var w Webhook
	var created int64
	err := r.Scan(&w.ID, &w.UserID, &w.URL, &w.Format, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNoWebhook
	}
	if err != nil {
		return w, fmt.Errorf("scan webhook: %w", err)
	}
	w.CreatedAt = time.Unix(created, 0)
	return w, nil
}

const deliveryColumns = `id, webhook_id, event_id, event, status, attempts, COALESCE(last_status, 0), last_answer,
	created_at, next_attempt_at, done_at`

func scanDelivery(r scanner) (WebhookDelivery, error) {
	var d WebhookDelivery
	var created, next int64
	var done sql.NullInt64
	err := r.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Event, &d.Status, &d.Attempts, &d.HTTPStatus, &d.Answer,
		&created, &next, &done)
	d.CreatedAt, d.DoneAt = time.Unix(created, 0), timeOrZero(done)
	if d.Status == DeliveryQueued {
		d.NextAttemptAt = time.Unix(next, 0)
	}
	return d, err
}

// Delivery is a claimed delivery, as the worker posts it.
type Delivery struct {
	ID        int64
	WebhookID int64
	URL       string
	Format    WebhookFormat
	EventID   string
	Event     WebhookEvent
	Payload   json.RawMessage // the event's data object
	Secret    string          // the account's signing secret
	Attempt   int             // this attempt's number, from 1
	CreatedAt time.Time       // the event's time
}

// WebhooksQueued receives a signal after a write that queued deliveries
// commits in this process; deliveries due later (retries) are found by
// the worker's periodic look.
func (s *Store) WebhooksQueued() <-chan struct{} { return s.hooksQueued }

func (s *Store) wakeHooks() { signal(s.hooksQueued) }

// ClaimDelivery takes the next delivery due, queued or left by a worker
// whose lease ended, and leases it for lease: no other worker takes it
// meanwhile. ok is false when nothing is due.
func (s *Store) ClaimDelivery(ctx context.Context, lease time.Duration) (d Delivery, ok bool, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		ok = false
		for {
			var payload string
			var created int64
			var secret sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT d.id, d.webhook_id, w.url, w.format, d.event_id, d.event, d.payload,
				d.attempts, d.created_at, s.secret
				FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
				LEFT JOIN webhook_secrets s ON s.user_id = d.user_id
				WHERE d.status IN ('queued', 'sending') AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT 1`,
				tx.now).Scan(&d.ID, &d.WebhookID, &d.URL, &d.Format, &d.EventID, &d.Event, &payload, &d.Attempt,
				&created, &secret)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("find due webhook delivery: %w", err)
			}
			d.Payload, d.Secret, d.CreatedAt = json.RawMessage(payload), secret.String, time.Unix(created, 0)
			// Taken only as it was found (see claimed).
			res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'sending', attempts = ?,
				next_attempt_at = ? WHERE id = ? AND attempts = ? AND status IN ('queued', 'sending')
				AND next_attempt_at <= ?`, d.Attempt+1, tx.now+int64(max(lease, time.Second)/time.Second), d.ID,
				d.Attempt, tx.now)
			if err != nil {
				return fmt.Errorf("claim webhook delivery %d: %w", d.ID, err)
			}
			if claimed(res) {
				d.Attempt++
				ok = true
				return nil
			}
		}
	})
	return d, ok, err
}

// Attempt is what became of one attempt of a delivery.
type Attempt struct {
	HTTPStatus int    // the answer's status; 0 when none came
	Answer     string // the start of its body, or why none came
	Delivered  bool   // a 2xx
	// RetryAt is when to try again after a failure; zero gives up.
	RetryAt time.Time
}

// RecordAttempt records the outcome of a delivery's attempt: delivered,
// queued again for RetryAt, or given up. Once the row is done its
// payload is emptied. Nothing happens (nil) when the row is no longer the
// attempt's: its lease ended and another attempt took it, or its webhook
// was removed meanwhile.
func (s *Store) RecordAttempt(ctx context.Context, id int64, attempt int, a Attempt) error {
	return s.write(ctx, func(tx *Tx) error {
		var status sql.NullInt64
		if a.HTTPStatus != 0 {
			status = sql.NullInt64{Int64: int64(a.HTTPStatus), Valid: true}
		}
		answer := clip(a.Answer, maxHookAnswer)
		q, args := `UPDATE webhook_deliveries SET status = ?, last_status = ?, last_answer = ?, payload = '',
			done_at = ?`, []any{DeliveryDelivered, status, answer, tx.now}
		switch {
		case a.Delivered:
		case !a.RetryAt.IsZero():
			q, args = `UPDATE webhook_deliveries SET status = 'queued', last_status = ?, last_answer = ?,
				next_attempt_at = ?`, []any{status, answer, a.RetryAt.Unix()}
		default:
			args[0] = DeliveryFailed
		}
		var userID, hookID int64
		err := tx.QueryRowContext(ctx, q+` WHERE id = ? AND status = 'sending' AND attempts = ?
			RETURNING user_id, webhook_id`, append(args, id, attempt)...).Scan(&userID, &hookID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // no longer this attempt's
		}
		if err != nil {
			return fmt.Errorf("record attempt %d of webhook delivery %d: %w", attempt, id, err)
		}
		tx.notify(Event{UserID: userID, Kind: EventWebhook, Ref: hookID})
		return nil
	})
}

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		// The deliveries go with their webhooks (ON DELETE CASCADE,
		// through their index).
		for _, q := range []string{
			`DELETE FROM webhooks WHERE user_id = ?`,
			`DELETE FROM webhook_secrets WHERE user_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return fmt.Errorf("delete webhooks of account %d: %w", userID, err)
			}
		}
		return nil
	})
	purgeSteps = append(purgeSteps, purgeStep{PurgeWebhookLog,
		func(ctx context.Context, tx *Tx, now time.Time) (int64, error) {
			return tx.execCount(ctx, `DELETE FROM webhook_deliveries WHERE id IN (`+hookLogDue+`)`,
				now.Add(-WebhookLogRetention).Unix())
		}})
}

// hookLogDue selects the deliveries done before ?1 (index
// webhook_deliveries_done).
const hookLogDue = `SELECT id FROM webhook_deliveries WHERE done_at IS NOT NULL AND done_at < ?1`

// PurgeWebhookLog names the webhook step in a PurgeReport.
const PurgeWebhookLog = "webhook deliveries done more than 30 days ago"
