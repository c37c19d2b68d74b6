package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ReservationState is where a reservation stands. It starts active (paid,
// waiting for an SMS), becomes received with its first SMS, and ends once:
// finished after an SMS, or cancelled, expired or failed without one,
// each of those three with a full refund in the same transaction.
type ReservationState string

// The states of a reservation. Active and received are open; the others
// are ended for good.
const (
	ResActive    ReservationState = "active"    // waiting for an SMS
	ResReceived  ReservationState = "received"  // at least one SMS came: paid
	ResFinished  ReservationState = "finished"  // closed after an SMS
	ResCancelled ReservationState = "cancelled" // given back before any SMS: refunded
	ResExpired   ReservationState = "expired"   // lifetime over without an SMS: refunded
	ResFailed    ReservationState = "failed"    // provider error after the debit: refunded
)

// Open reports whether the reservation can still receive an SMS.
func (s ReservationState) Open() bool { return s == ResActive || s == ResReceived }

// refunds reports whether ending in s gives the price back.
func (s ReservationState) refunds() bool {
	return s == ResCancelled || s == ResExpired || s == ResFailed
}

// HistoryRetention is how far back the dashboard history reaches: the
// privacy policy deletes it a year after a reservation ended (the purge
// itself is a separate job; history never shows older rows meanwhile).
const HistoryRetention = 365 * 24 * time.Hour

// Limits on what an upstream may store in a message, so a hostile or
// broken provider cannot fill the database. An SMS is at most a few
// concatenated parts of 153 characters; senders are short names.
const (
	maxBodyRunes   = 2000
	maxSenderRunes = 64
	maxCodeRunes   = 32
)

// Reservation is one number rented by a user.
type Reservation struct {
	ID          int64
	UserID      int64
	Service     string // canonical service code
	Country     string // canonical country code
	Phone       string // E.164
	Provider    string // the provider's configured name
	ProviderRef string // the provider's activation id
	Simulated   bool   // from the built-in simulator, not a real number
	CostMicros  int64  // what the provider charged
	PriceCents  int64  // what the user paid
	State       ReservationState
	CreatedAt   time.Time
	ExpiresAt   time.Time
	CancelAfter time.Time // cancel is refused before this
	EndedAt     time.Time // zero while open
	Refunded    bool
	Operator    string       // the mobile operator asked for; "" for any
	Report      ReportReason // why the person reported the number as bad; "" when not reported
	Messages    []Message    // oldest first; filled by the listing methods

	// againAsked: another SMS was asked for, when the newest message was
	// againAfter (0: none). See WaitingForAnother.
	againAsked bool
	againAfter int64
}

// WaitingForAnother reports whether another SMS was asked for on the
// number and none has come since (its Messages must be filled in).
func (r Reservation) WaitingForAnother() bool {
	if !r.againAsked || r.State != ResReceived {
		return false
	}
	for _, m := range r.Messages {
		if m.ID > r.againAfter {
			return false
		}
	}
	return true
}

// LatestCode is the code of the newest message that has one.
func (r Reservation) LatestCode() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Code != "" {
			return r.Messages[i].Code
		}
	}
	return ""
}

// NewReservation is a number just bought upstream, to be recorded and paid.
type NewReservation struct {
	UserID      int64
	Service     string
	Country     string
	Phone       string
	Provider    string
	ProviderRef string
	Simulated   bool
	CostMicros  int64
	PriceCents  int64
	Operator    string        // the mobile operator asked for; "" for any
	Lifetime    time.Duration // how long the number stays open
	CancelGuard time.Duration // cancel is refused this long after creation
	// UpstreamExpires is the provider's own end of the activation, if it
	// says: the reservation never outlives it.
	UpstreamExpires time.Time
	MaxOpen         int // open reservations a user may hold (0: no limit)
}

// Errors about reservations.
var (
	ErrNoReservation error = userErr("no such number")
	ErrNotOpen       error = userErr("this number has already ended")
	ErrSMSArrived    error = userErr("an SMS has arrived on this number: it is paid and cannot be cancelled")
)

// OpenLimitError refuses a reservation beyond the per-user limit.
type OpenLimitError struct{ Max int }

func (e *OpenLimitError) Error() string {
	if e.Max == 1 {
		return "you already have an open number, the most at once: finish or cancel it first"
	}
	return fmt.Sprintf("you already have %d open numbers, the most at once: finish or cancel one first", e.Max)
}

// UserFacing tells the person the rule.
func (e *OpenLimitError) UserFacing() string { return e.Error() }

// ResRef is the ledger reference of a reservation's debit and refund.
func ResRef(id int64) string { return "res:" + strconv.FormatInt(id, 10) }

const reservationColumns = `id, user_id, service, country, phone, provider, provider_ref, simulated, cost_micros,
	price_cents, state, created_at, expires_at, cancel_after, ended_at, refunded, operator, report, again_message_id`

func scanReservation(row scanner) (Reservation, error) {
	var r Reservation
	var created, expires, cancelAfter int64
	var ended sql.NullInt64
	var report sql.NullString
	var again sql.NullInt64
	err := row.Scan(&r.ID, &r.UserID, &r.Service, &r.Country, &r.Phone, &r.Provider, &r.ProviderRef, &r.Simulated,
		&r.CostMicros, &r.PriceCents, &r.State, &created, &expires, &cancelAfter, &ended, &r.Refunded, &r.Operator,
		&report, &again)
	if errors.Is(err, sql.ErrNoRows) {
		return Reservation{}, ErrNoReservation
	}
	if err != nil {
		return Reservation{}, fmt.Errorf("scan reservation: %w", err)
	}
	r.CreatedAt, r.ExpiresAt, r.CancelAfter = time.Unix(created, 0), time.Unix(expires, 0), time.Unix(cancelAfter, 0)
	r.EndedAt, r.Report = timeOrZero(ended), ReportReason(report.String)
	r.againAsked, r.againAfter = again.Valid, again.Int64
	return r, nil
}

// CreateReservation records a bought number and debits its price, in one
// transaction. It refuses a banned account, one in debt (*DebtError), an
// overdraft (ErrInsufficientFunds) and a user at the open-reservation limit
// (*OpenLimitError); then nothing is written and the caller gives the
// number back upstream. Bought for a request with an idempotency key
// (WithIdemClaim), it is linked to the key in the same transaction.
func (s *Store) CreateReservation(ctx context.Context, n NewReservation) (Reservation, error) {
	if n.PriceCents <= 0 || n.Lifetime <= 0 || n.ProviderRef == "" || n.Provider == "" {
		return Reservation{}, fmt.Errorf("reservation %+v: price, lifetime, provider and ref are required", n)
	}
	var r Reservation
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.checkCanReserve(ctx, n.UserID, n.MaxOpen); err != nil {
			return err
		}
		expires := tx.now + int64(n.Lifetime/time.Second)
		if !n.UpstreamExpires.IsZero() {
			expires = max(min(expires, n.UpstreamExpires.Unix()), tx.now+1)
		}
		cancelAfter := min(tx.now+int64(n.CancelGuard/time.Second), expires)
		var err error
		r, err = scanReservation(tx.QueryRowContext(ctx, `INSERT INTO reservations (user_id, service, country, phone,
			provider, provider_ref, simulated, cost_micros, price_cents, state, created_at, expires_at, cancel_after,
			operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?) RETURNING `+reservationColumns,
			n.UserID, n.Service, n.Country, n.Phone, n.Provider, n.ProviderRef, n.Simulated, n.CostMicros,
			n.PriceCents, tx.now, expires, cancelAfter, n.Operator))
		if err != nil {
			return fmt.Errorf("insert reservation: %w", err)
		}
		if _, err := tx.moveNew(ctx, Movement{UserID: n.UserID, AmountCents: -n.PriceCents, Kind: LedgerReserve,
			Reference: ResRef(r.ID), Note: n.Service + " " + n.Country}); err != nil {
			return err
		}
		if err := tx.linkIdem(ctx, n.UserID, ResRef(r.ID)); err != nil {
			return err
		}
		tx.notify(Event{UserID: n.UserID, Kind: EventReservation, Ref: r.ID})
		return nil
	})
	if err == nil {
		s.counters.reservations.Add(1)
	}
	return r, err
}

// checkCanReserve refuses a banned or deleted account, one that owes
// money (*DebtError) and one at its open-reservation limit. Every
// reservation passes here, in the transaction of its debit.
func (tx *Tx) checkCanReserve(ctx context.Context, userID int64, maxOpen int) error {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND deleted_at IS NULL`, userID))
	if err != nil {
		return err
	}
	if err := u.CheckNotBanned(); err != nil {
		return err
	}
	if err := CheckNoDebt(u.DebtCents); err != nil {
		return err
	}
	if maxOpen <= 0 {
		return nil
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM reservations WHERE user_id = ? AND ended_at IS NULL`,
		userID).Scan(&open); err != nil {
		return fmt.Errorf("count open reservations: %w", err)
	}
	if open >= maxOpen {
		return &OpenLimitError{Max: maxOpen}
	}
	return nil
}

// CountOpen is how many open reservations a user holds.
func (s *Store) CountOpen(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM reservations WHERE user_id = ? AND ended_at IS NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count open reservations: %w", err)
	}
	return n, nil
}

// Reservation returns one reservation (without messages).
func (s *Store) Reservation(ctx context.Context, id int64) (Reservation, error) {
	return scanReservation(s.r.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations WHERE id = ?`, id))
}

// UserReservation returns one of a user's reservations with its messages;
// another user's is ErrNoReservation.
func (s *Store) UserReservation(ctx context.Context, userID, id int64) (Reservation, error) {
	r, err := scanReservation(s.r.QueryRowContext(ctx, `SELECT `+reservationColumns+
		` FROM reservations WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil {
		return r, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, reservation_id, provider_id, sender, body, code, received_at
		FROM messages WHERE reservation_id = ? ORDER BY received_at, id`, id)
	if err != nil {
		return r, fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return r, err
		}
		r.Messages = append(r.Messages, m)
	}
	return r, rows.Err()
}

// OpenReservationByRef finds the open reservation holding a provider's
// activation (the newest, should an upstream ever reuse an id).
func (s *Store) OpenReservationByRef(ctx context.Context, provider, ref string) (Reservation, error) {
	return scanReservation(s.r.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE provider = ? AND provider_ref = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1`, provider, ref))
}

// OpenReservations lists a user's open reservations, newest first, with
// their messages.
func (s *Store) OpenReservations(ctx context.Context, userID int64) ([]Reservation, error) {
	out, err := s.queryReservations(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE user_id = ? AND ended_at IS NULL ORDER BY id DESC`, userID)
	if err != nil || len(out) == 0 {
		return out, err
	}
	if s.OnPostgres() {
		// Measured there, the join below reads slower than the IN list
		// (BenchmarkOpenReservations).
		return out, s.attachMessages(ctx, out)
	}
	// On SQLite a statement with an IN list is parsed on every call (the
	// read pool prepares none); the join is one statement, prepared once,
	// and an Inbox reads this again on every SMS.
	return out, s.attachOpenMessages(ctx, userID, out)
}

// AllOpenReservations lists every open reservation (without messages),
// soonest to expire first: what the engine resumes on start.
func (s *Store) AllOpenReservations(ctx context.Context) ([]Reservation, error) {
	return s.queryReservations(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE ended_at IS NULL ORDER BY expires_at, id`)
}

// OpenNumberIDs lists the ids of every open reservation and every active
// rental: what the engine holding the numbers' lease (LeaseNumbers) looks
// for, every few seconds, to find numbers another instance sold.
func (s *Store) OpenNumberIDs(ctx context.Context) (reservations, rentals []int64, err error) {
	scanID := func(r scanner) (id int64, err error) { return id, r.Scan(&id) }
	reservations, err = collect(ctx, s.r, scanID, `SELECT id FROM reservations WHERE ended_at IS NULL`)
	if err != nil {
		return nil, nil, fmt.Errorf("list open reservations: %w", err)
	}
	rentals, err = collect(ctx, s.r, scanID, `SELECT id FROM rentals WHERE ended_at IS NULL`)
	if err != nil {
		return nil, nil, fmt.Errorf("list active rentals: %w", err)
	}
	return reservations, rentals, nil
}

func (s *Store) queryReservations(ctx context.Context, q string, args ...any) ([]Reservation, error) {
	rs, err := collect(ctx, s.r, scanReservation, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list reservations: %w", err)
	}
	return rs, nil
}

// EndReservation ends an open reservation in state to, in one
// transaction. Ending in cancelled, expired or failed refunds the price
// exactly once and needs the reservation to be active (no SMS yet):
// otherwise ErrSMSArrived. A reservation already ended is ErrNotOpen, so
// of two racing ends (a cancel and the expiry) exactly one wins.
func (s *Store) EndReservation(ctx context.Context, id int64, to ReservationState) (Reservation, error) {
	if to.Open() || to == "" {
		return Reservation{}, fmt.Errorf("end reservation %d: %q is not an end state", id, to)
	}
	var r Reservation
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		r, err = scanReservation(tx.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations WHERE id = ?`, id))
		switch {
		case err != nil:
			return err
		case !r.State.Open():
			return ErrNotOpen
		case to.refunds() && r.State != ResActive:
			return ErrSMSArrived
		}
		refund := to.refunds()
		if _, err := tx.ExecContext(ctx, `UPDATE reservations SET state = ?, ended_at = ?, refunded = ? WHERE id = ?`,
			to, tx.now, refund, id); err != nil {
			return fmt.Errorf("end reservation %d: %w", id, err)
		}
		if refund {
			if _, err := tx.moveNew(ctx, Movement{UserID: r.UserID, AmountCents: r.PriceCents, Kind: LedgerRefund,
				Reference: ResRef(id), Note: string(to)}); err != nil {
				return err
			}
		}
		r.State, r.EndedAt, r.Refunded = to, time.Unix(tx.now, 0), refund
		tx.notify(Event{UserID: r.UserID, Kind: EventReservation, Ref: id})
		return tx.hookReservationEnded(ctx, r)
	})
	if err == nil && r.Refunded {
		s.counters.refund()
	}
	return r, err
}

// HistoryQuery selects a page of a user's ended reservations.
type HistoryQuery struct {
	// Text matches the service or country code, the number, the state or
	// a message's text or code (case-insensitive); empty matches all.
	Text string
	// Services and Countries are codes that also match (callers add those
	// whose display names contain Text).
	Services, Countries []string
	// Since keeps those that ended at or after it (zero: all retained).
	Since         time.Time
	Offset, Limit int
}

// History lists a user's ended reservations within HistoryRetention,
// newest first, with their messages; more is true when older ones follow.
func (s *Store) History(ctx context.Context, userID int64, q HistoryQuery) (page []Reservation, more bool, err error) {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	since := s.unixNow() - int64(HistoryRetention/time.Second)
	if !q.Since.IsZero() {
		since = max(since, q.Since.Unix())
	}
	where := `user_id = ? AND ended_at IS NOT NULL AND ended_at >= ?`
	args := []any{userID, since}
	if t := strings.TrimSpace(q.Text); t != "" {
		like := "%" + escapeLike(t) + "%"
		conds := []string{`service LIKE ? ESCAPE '\'`, `country LIKE ? ESCAPE '\'`, `phone LIKE ? ESCAPE '\'`,
			`state LIKE ? ESCAPE '\'`, `EXISTS (SELECT 1 FROM messages m WHERE m.reservation_id = reservations.id
				AND (m.body LIKE ? ESCAPE '\' OR m.code LIKE ? ESCAPE '\'))`}
		args = append(args, like, like, like, like, like, like)
		conds, args = inList(conds, args, "service", q.Services)
		conds, args = inList(conds, args, "country", q.Countries)
		where += ` AND (` + strings.Join(conds, " OR ") + `)`
	}
	args = append(args, q.Limit+1, q.Offset)
	page, err = s.queryReservations(ctx, `SELECT `+reservationColumns+` FROM reservations WHERE `+where+`
		ORDER BY ended_at DESC, id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, false, err
	}
	if len(page) > q.Limit {
		page, more = page[:q.Limit], true
	}
	return page, more, s.attachMessages(ctx, page)
}

// placeholders is an IN list's "(?,?,…)" for n values (n > 0); the read
// pool tells such queries by it and does not cache them.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

func inList(conds []string, args []any, col string, vals []string) ([]string, []any) {
	if len(vals) == 0 {
		return conds, args
	}
	conds = append(conds, col+` IN `+placeholders(len(vals)))
	for _, v := range vals {
		args = append(args, v)
	}
	return conds, args
}

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func init() {
	// Deleting an account erases its numbers and their SMS (messages go
	// with their reservations: ON DELETE CASCADE); the ledger rows stay,
	// detached from the person, for accounting.
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reservations WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete reservations: %w", err)
		}
		return nil
	})
}

// AskedAnother records that another SMS was asked for on an open number
// that got one, when its newest message was afterMessage (read before the
// provider was asked, so that an SMS quicker than this write still ends
// the wait): until a message newer than that comes, the number waits for
// it (WaitingForAnother).
func (s *Store) AskedAnother(ctx context.Context, id, afterMessage int64) error {
	return s.write(ctx, func(tx *Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `UPDATE reservations SET again_message_id = ?
			WHERE id = ? AND state = ? RETURNING user_id`, afterMessage, id, ResReceived).Scan(&userID)
		if err != nil {
			return fmt.Errorf("another SMS on %d: %w", id, noRows(err, ErrNotOpen))
		}
		tx.notify(Event{UserID: userID, Kind: EventReservation, Ref: id})
		return nil
	})
}
