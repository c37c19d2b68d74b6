package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// A rental is a number rented for days (RentalDays) that receives any
// number of SMS until it ends. It is paid up front (a 'rent' ledger row);
// each extension is paid when asked for ('rent_extend'). It ends once:
//
//   - ended: its time ran out (or the engine finished it then); nothing
//     moves, it was paid for;
//   - cancelled: given back within its cancel window (the market's first
//     20 minutes) before any SMS came and before any extension: the price
//     comes back in full ('rent_refund');
//   - failed: the provider ended it before its time: the part of what was
//     paid that covers the time left comes back ('rent_refund'), in full
//     while it could still have been cancelled.
//
// Each of those is one transaction with its ledger row, and a rental ends
// at most once, so its refund is at most once.

// RentalState is where a rental stands.
type RentalState string

// The states of a rental: active while it runs, then one of the others.
const (
	RentActive    RentalState = "active"
	RentEnded     RentalState = "ended"
	RentCancelled RentalState = "cancelled"
	RentFailed    RentalState = "failed"
)

// Open reports whether the rental still receives SMS.
func (s RentalState) Open() bool { return s == RentActive }

// RentalDays are the periods a number is rented for: the market's usual
// day, week, fortnight and month.
var RentalDays = []int{1, 7, 14, 30}

// ValidRentalDays reports whether days is one of RentalDays.
func ValidRentalDays(days int) bool {
	for _, d := range RentalDays {
		if d == days {
			return true
		}
	}
	return false
}

// The ledger kinds of rentals. A rental's debit and refund name it
// ("rent:7"); an extension's debit, and its refund when the provider
// refused it, name the extension ("rentext:3").
const (
	LedgerRent       LedgerKind = "rent"        // a number rented
	LedgerRentExtend LedgerKind = "rent_extend" // a rental extended
	LedgerRentRefund LedgerKind = "rent_refund" // a rental cancelled or failed, or an extension refused
)

// RentRef is the ledger reference of a rental's debit and refund.
func RentRef(id int64) string { return "rent:" + strconv.FormatInt(id, 10) }

// RentExtRef is the ledger reference of an extension's debit and refund.
func RentExtRef(id int64) string { return "rentext:" + strconv.FormatInt(id, 10) }

// Rental is one number rented for days by a user.
type Rental struct {
	ID          int64
	UserID      int64
	Service     string
	Country     string
	Phone       string // E.164
	Provider    string
	ProviderRef string // the provider's rental id
	Simulated   bool
	CostMicros  int64 // what the first period cost us
	PriceCents  int64 // what the first period cost the person
	Days        int   // the first period
	State       RentalState
	CreatedAt   time.Time
	EndsAt      time.Time
	CancelUntil time.Time // a cancel is refused from then on
	NoticeFor   time.Time // the end whose notice was given (zero: none yet)
	EndedAt     time.Time // zero while active
	RefundCents int64
	// Filled by the listing methods:
	Extensions []RentalExtension // oldest first
	Messages   []Message         // oldest first; ReservationID holds the rental's id
}

// RentalExtension is one extension of a rental.
type RentalExtension struct {
	ID         int64
	RentalID   int64
	Days       int
	Seconds    int64 // what it added to the end
	PriceCents int64
	CostMicros int64
	Refunded   bool // the provider refused it: paid back, its time taken off
	CreatedAt  time.Time
}

// PaidCents is what the person paid for the rental in all: the first
// period and every extension not paid back.
func (r Rental) PaidCents() int64 {
	total := r.PriceCents
	for _, e := range r.Extensions {
		if !e.Refunded {
			total += e.PriceCents
		}
	}
	return total
}

// TotalDays is the first period and every extension not paid back.
func (r Rental) TotalDays() int {
	total := r.Days
	for _, e := range r.Extensions {
		if !e.Refunded {
			total += e.Days
		}
	}
	return total
}

// LatestCode is the code of the newest message that has one.
func (r Rental) LatestCode() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Code != "" {
			return r.Messages[i].Code
		}
	}
	return ""
}

// Extended reports whether an extension (one not paid back) was bought.
func (r Rental) Extended() bool {
	for _, e := range r.Extensions {
		if !e.Refunded {
			return true
		}
	}
	return false
}

// Noticed reports whether the notice of its coming end was given for the
// end it has now.
func (r Rental) Noticed() bool { return r.State.Open() && r.NoticeFor.Equal(r.EndsAt) }

// Errors and refusals about rentals.
var (
	ErrNoRental       error = userErr("no such rental")
	ErrRentalEnded    error = userErr("this rental has ended")
	ErrBadRentalDays  error = userErr("a number is rented for 1, 7, 14 or 30 days")
	ErrRentalSMSCame  error = userErr("CANT_CANCEL: an SMS has arrived on this rental, so it is paid and cannot be cancelled")
	ErrRentalExtended error = userErr("CANT_CANCEL: this rental was extended, so it can no longer be cancelled")
	ErrRentalNoCancel error = userErr("CANT_CANCEL: this rental's provider does not take rentals back")
)

// CancelWindowError refuses a cancel after the rental's cancel window.
type CancelWindowError struct{ Window time.Duration }

func (e *CancelWindowError) Error() string {
	return fmt.Sprintf("CANT_CANCEL: a rental can be cancelled only in its first %s, before any SMS came", FormatPeriod(e.Window))
}

// UserFacing tells the person the rule.
func (e *CancelWindowError) UserFacing() string { return e.Error() }

// RentalLimitError refuses a rental beyond the per-person limit.
type RentalLimitError struct{ Max int }

func (e *RentalLimitError) Error() string {
	return fmt.Sprintf("you already have %d active rentals, the most at once: cancel one or let one end first", e.Max)
}

// UserFacing tells the person the rule.
func (e *RentalLimitError) UserFacing() string { return e.Error() }

// CancelOffered reports whether the rental may still be given back for a
// full refund until CancelUntil: active, its provider takes rentals back,
// no SMS came and it was not extended (CheckCancel adds the clock). What
// the commands and the JSON API show as cancel_until.
func (r Rental) CancelOffered() bool {
	return r.State.Open() && r.CancelUntil.After(r.CreatedAt) && len(r.Messages) == 0 && !r.Extended()
}

// CheckCancel is the rule of a cancel at now: an active rental within its
// cancel window, without an SMS or an extension. Its refusals start with
// CANT_CANCEL, the market's word for them. Messages and Extensions must
// be filled in (UserRental does).
func (r Rental) CheckCancel(now time.Time) error {
	switch {
	case !r.State.Open():
		return ErrRentalEnded
	case len(r.Messages) > 0:
		return ErrRentalSMSCame
	case r.Extended():
		return ErrRentalExtended
	case !r.CancelUntil.After(r.CreatedAt):
		return ErrRentalNoCancel
	case !now.Before(r.CancelUntil):
		return &CancelWindowError{Window: r.CancelUntil.Sub(r.CreatedAt)}
	}
	return nil
}

// CheckExtend is the rule of an extension at now: the rental is still
// active and its time has not run out.
func (r Rental) CheckExtend(now time.Time) error {
	if !r.State.Open() || !now.Before(r.EndsAt) {
		return ErrRentalEnded
	}
	return nil
}

const rentalColumns = `id, user_id, service, country, phone, provider, provider_ref, simulated, cost_micros,
	price_cents, days, state, created_at, ends_at, cancel_until, notice_for, ended_at, refund_cents`

func scanRental(row scanner) (Rental, error) {
	var r Rental
	var created, ends, cancelUntil int64
	var notice, ended sql.NullInt64
	err := row.Scan(&r.ID, &r.UserID, &r.Service, &r.Country, &r.Phone, &r.Provider, &r.ProviderRef, &r.Simulated,
		&r.CostMicros, &r.PriceCents, &r.Days, &r.State, &created, &ends, &cancelUntil, &notice, &ended, &r.RefundCents)
	if errors.Is(err, sql.ErrNoRows) {
		return Rental{}, ErrNoRental
	}
	if err != nil {
		return Rental{}, fmt.Errorf("scan rental: %w", err)
	}
	r.CreatedAt, r.EndsAt, r.CancelUntil = time.Unix(created, 0), time.Unix(ends, 0), time.Unix(cancelUntil, 0)
	r.NoticeFor, r.EndedAt = timeOrZero(notice), timeOrZero(ended)
	return r, nil
}

// NewRental is a number just rented upstream, to be recorded and paid.
type NewRental struct {
	UserID      int64
	Service     string
	Country     string
	Phone       string
	Provider    string
	ProviderRef string
	Simulated   bool
	CostMicros  int64
	PriceCents  int64
	Days        int
	// Period is how long the rental runs (Days rental days).
	Period time.Duration
	// CancelWindow is how long after renting a cancel is refunded in
	// full; 0 when the provider takes no rental back.
	CancelWindow time.Duration
	// UpstreamEnds is the provider's own end of the rental, if it says:
	// the rental never outlives it.
	UpstreamEnds time.Time
	MaxOpen      int // active rentals a person may hold (0: no limit)
}

// CreateRental records a rented number and debits its price, in one
// transaction. It refuses what a reservation refuses (a banned or deleted
// account, a debt, an overdraft) and a person at the limit of active
// rentals (*RentalLimitError); then nothing is written and the caller
// gives the number back upstream. Rented for a request with an
// idempotency key (WithIdemClaim), it is linked to the key in the same
// transaction.
func (s *Store) CreateRental(ctx context.Context, n NewRental) (Rental, error) {
	if n.PriceCents <= 0 || n.Period <= 0 || n.ProviderRef == "" || n.Provider == "" || !ValidRentalDays(n.Days) {
		return Rental{}, fmt.Errorf("rental %+v: price, period, days, provider and ref are required", n)
	}
	var r Rental
	err := s.write(ctx, func(tx *Tx) error {
		if err := tx.checkCanRent(ctx, n.UserID, n.MaxOpen); err != nil {
			return err
		}
		ends := tx.now + int64(n.Period/time.Second)
		if !n.UpstreamEnds.IsZero() {
			ends = max(min(ends, n.UpstreamEnds.Unix()), tx.now+1)
		}
		cancelUntil := min(tx.now+int64(n.CancelWindow/time.Second), ends)
		var err error
		r, err = scanRental(tx.QueryRowContext(ctx, `INSERT INTO rentals (user_id, service, country, phone, provider,
			provider_ref, simulated, cost_micros, price_cents, days, state, created_at, ends_at, cancel_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?) RETURNING `+rentalColumns,
			n.UserID, n.Service, n.Country, n.Phone, n.Provider, n.ProviderRef, n.Simulated, n.CostMicros,
			n.PriceCents, n.Days, tx.now, ends, cancelUntil))
		if err != nil {
			return fmt.Errorf("insert rental: %w", err)
		}
		if _, err := tx.moveNew(ctx, Movement{UserID: n.UserID, AmountCents: -n.PriceCents, Kind: LedgerRent,
			Reference: RentRef(r.ID), Note: fmt.Sprintf("%s %s %dd", n.Service, n.Country, n.Days)}); err != nil {
			return err
		}
		if err := tx.linkIdem(ctx, n.UserID, RentRef(r.ID)); err != nil {
			return err
		}
		tx.notify(Event{UserID: n.UserID, Kind: EventRental, Ref: r.ID})
		return nil
	})
	if err == nil {
		s.counters.rentals.Add(1)
	}
	return r, err
}

// checkCanRent refuses what checkCanReserve refuses, and a person at the
// limit of active rentals.
func (tx *Tx) checkCanRent(ctx context.Context, userID int64, maxOpen int) error {
	if err := tx.checkCanReserve(ctx, userID, 0); err != nil {
		return err
	}
	if maxOpen <= 0 {
		return nil
	}
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rentals WHERE user_id = ? AND ended_at IS NULL`,
		userID).Scan(&open); err != nil {
		return fmt.Errorf("count active rentals: %w", err)
	}
	if open >= maxOpen {
		return &RentalLimitError{Max: maxOpen}
	}
	return nil
}

// CountOpenRentals is how many active rentals a person holds.
func (s *Store) CountOpenRentals(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM rentals WHERE user_id = ? AND ended_at IS NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count active rentals: %w", err)
	}
	return n, nil
}

// NewExtension is an extension the person confirmed, before it is asked
// of the provider.
type NewExtension struct {
	UserID     int64
	RentalID   int64
	Days       int
	Period     time.Duration // what it adds to the end (Days rental days)
	PriceCents int64
	CostMicros int64
}

// ExtendRental records an extension and debits its price, in one
// transaction, before the provider is asked: a person is never extended
// for nothing, and an extension the provider then refuses is undone
// (UndoExtension). The rental must be the person's, active and not past
// its end; an extended rental can no longer be cancelled. Bought for a
// request with an idempotency key (WithIdemClaim), the extension is linked
// to the key in the same transaction.
func (s *Store) ExtendRental(ctx context.Context, n NewExtension) (Rental, RentalExtension, error) {
	if n.PriceCents <= 0 || n.Period < time.Second || !ValidRentalDays(n.Days) {
		return Rental{}, RentalExtension{}, fmt.Errorf("extension %+v: price, period and days are required", n)
	}
	var r Rental
	var ext RentalExtension
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		r, err = scanRental(tx.QueryRowContext(ctx, `SELECT `+rentalColumns+` FROM rentals WHERE id = ? AND user_id = ?`,
			n.RentalID, n.UserID))
		if err != nil {
			return err
		}
		if err := r.CheckExtend(time.Unix(tx.now, 0)); err != nil {
			return err
		}
		if err := tx.checkCanReserve(ctx, n.UserID, 0); err != nil {
			return err
		}
		seconds := int64(n.Period / time.Second)
		if err := tx.QueryRowContext(ctx, `INSERT INTO rental_extensions (rental_id, days, seconds, price_cents,
			cost_micros, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, r.ID, n.Days, seconds, n.PriceCents,
			n.CostMicros, tx.now).Scan(&ext.ID); err != nil {
			return fmt.Errorf("insert extension: %w", err)
		}
		ext = RentalExtension{ID: ext.ID, RentalID: r.ID, Days: n.Days, Seconds: seconds, PriceCents: n.PriceCents,
			CostMicros: n.CostMicros, CreatedAt: time.Unix(tx.now, 0)}
		if _, err := tx.moveNew(ctx, Movement{UserID: n.UserID, AmountCents: -n.PriceCents, Kind: LedgerRentExtend,
			Reference: RentExtRef(ext.ID), Note: fmt.Sprintf("%s %dd", RentRef(r.ID), n.Days)}); err != nil {
			return err
		}
		if err := tx.linkIdem(ctx, n.UserID, RentExtRef(ext.ID)); err != nil {
			return err
		}
		r.EndsAt = r.EndsAt.Add(time.Duration(seconds) * time.Second)
		r.CancelUntil = minTime(r.CancelUntil, time.Unix(tx.now, 0))
		if _, err := tx.ExecContext(ctx, `UPDATE rentals SET ends_at = ?, cancel_until = ? WHERE id = ?`,
			r.EndsAt.Unix(), r.CancelUntil.Unix(), r.ID); err != nil {
			return fmt.Errorf("extend rental %d: %w", r.ID, err)
		}
		tx.notify(Event{UserID: n.UserID, Kind: EventRental, Ref: r.ID})
		return nil
	})
	return r, ext, err
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// UndoExtension pays back an extension the provider refused and takes its
// time off the rental again, in one transaction, once: undoing it again
// does nothing (undone false). The rental may have ended meanwhile; its
// end then stays as it was.
func (s *Store) UndoExtension(ctx context.Context, extID int64) (undone bool, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		var rentalID, userID, seconds, price int64
		var refunded bool
		var state RentalState
		if err := tx.QueryRowContext(ctx, `SELECT e.rental_id, r.user_id, e.seconds, e.price_cents, e.refunded, r.state
			FROM rental_extensions e JOIN rentals r ON r.id = e.rental_id WHERE e.id = ?`, extID).
			Scan(&rentalID, &userID, &seconds, &price, &refunded, &state); err != nil {
			return fmt.Errorf("extension %d: %w", extID, noRows(err, ErrNoRental))
		}
		if refunded {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rental_extensions SET refunded = 1 WHERE id = ?`, extID); err != nil {
			return fmt.Errorf("undo extension %d: %w", extID, err)
		}
		if state.Open() {
			if _, err := tx.ExecContext(ctx, `UPDATE rentals SET ends_at = MAX(ends_at - ?, created_at + 1) WHERE id = ?`,
				seconds, rentalID); err != nil {
				return fmt.Errorf("undo extension %d: %w", extID, err)
			}
		}
		if _, err := tx.moveNew(ctx, Movement{UserID: userID, AmountCents: price, Kind: LedgerRentRefund,
			Reference: RentExtRef(extID), Note: "extension refused"}); err != nil {
			return err
		}
		undone = true
		tx.notify(Event{UserID: userID, Kind: EventRental, Ref: rentalID})
		return nil
	})
	return undone, err
}

// AddRentalMessage stores an SMS on an active rental, then tells the
// owner. A message already stored (same provider id) is not added twice
// (added false); an ended rental takes no more (ErrRentalEnded).
func (s *Store) AddRentalMessage(ctx context.Context, rentalID int64, m NewMessage) (added bool, err error) {
	if m.ProviderID == "" {
		return false, fmt.Errorf("message for rental %d: provider id required", rentalID)
	}
	err = s.write(ctx, func(tx *Tx) error {
		var userID int64
		var state RentalState
		var hook HookSMS
		if err := tx.QueryRowContext(ctx, `SELECT user_id, state, phone, service, country FROM rentals WHERE id = ?`,
			rentalID).Scan(&userID, &state, &hook.Phone, &hook.Service, &hook.Country); err != nil {
			return fmt.Errorf("message for rental %d: %w", rentalID, noRows(err, ErrNoRental))
		}
		if !state.Open() {
			return ErrRentalEnded
		}
		at := tx.now
		if !m.ReceivedAt.IsZero() {
			at = m.ReceivedAt.Unix()
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO rental_messages (rental_id, provider_id, sender, body, code, received_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rental_id, provider_id) DO NOTHING`,
			rentalID, clip(m.ProviderID, maxCodeRunes*4), clip(m.Sender, maxSenderRunes), clip(m.Body, maxBodyRunes),
			clip(m.Code, maxCodeRunes), at)
		if err != nil {
			return fmt.Errorf("insert rental message: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		tx.notify(Event{UserID: userID, Kind: EventRental, Ref: rentalID})
		hook.RentalID, hook.ReceivedAt = rentalID, time.Unix(at, 0)
		hook.Sender, hook.Text, hook.Code = clip(m.Sender, maxSenderRunes), clip(m.Body, maxBodyRunes), clip(m.Code, maxCodeRunes)
		return tx.hookSMS(ctx, userID, hook)
	})
	if err == nil && added {
		s.counters.sms.Add(1)
	}
	return added, err
}

// Rental returns one rental (without messages or extensions).
func (s *Store) Rental(ctx context.Context, id int64) (Rental, error) {
	return scanRental(s.r.QueryRowContext(ctx, `SELECT `+rentalColumns+` FROM rentals WHERE id = ?`, id))
}

// UserRental returns one of a person's rentals with its extensions and
// messages; another person's is ErrNoRental.
func (s *Store) UserRental(ctx context.Context, userID, id int64) (Rental, error) {
	r, err := scanRental(s.r.QueryRowContext(ctx, `SELECT `+rentalColumns+` FROM rentals WHERE id = ? AND user_id = ?`,
		id, userID))
	if err != nil {
		return r, err
	}
	list := []Rental{r}
	err = attachRentalDetails(ctx, s.r, list)
	return list[0], err
}

// WithDetails reads a rental again with its extensions and messages.
func (s *Store) WithDetails(ctx context.Context, r Rental) (Rental, error) {
	return s.UserRental(ctx, r.UserID, r.ID)
}

// OpenRentals lists a person's active rentals, soonest to end first, with
// their extensions and messages.
func (s *Store) OpenRentals(ctx context.Context, userID int64) ([]Rental, error) {
	return s.listRentals(ctx, `SELECT `+rentalColumns+` FROM rentals
		WHERE user_id = ? AND ended_at IS NULL ORDER BY ends_at, id`, userID)
}

// RentalHistory lists a person's rentals that ended within
// HistoryRetention, newest first, with their extensions and messages, at
// most limit (0: 20).
func (s *Store) RentalHistory(ctx context.Context, userID int64, limit int) ([]Rental, error) {
	if limit <= 0 {
		limit = 20
	}
	since := s.unixNow() - int64(HistoryRetention/time.Second)
	return s.listRentals(ctx, `SELECT `+rentalColumns+` FROM rentals
		WHERE user_id = ? AND ended_at IS NOT NULL AND ended_at >= ? ORDER BY ended_at DESC, id DESC LIMIT ?`,
		userID, since, limit)
}

// AllOpenRentals lists every active rental (without details), soonest to
// end first: what the engine resumes on start.
func (s *Store) AllOpenRentals(ctx context.Context) ([]Rental, error) {
	rs, err := collect(ctx, s.r, scanRental, `SELECT `+rentalColumns+` FROM rentals WHERE ended_at IS NULL
		ORDER BY ends_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list rentals: %w", err)
	}
	return rs, nil
}

// OpenRentalByRef finds the active rental holding a provider's rental id.
func (s *Store) OpenRentalByRef(ctx context.Context, provider, ref string) (Rental, error) {
	return scanRental(s.r.QueryRowContext(ctx, `SELECT `+rentalColumns+` FROM rentals
		WHERE provider = ? AND provider_ref = ? AND ended_at IS NULL ORDER BY id DESC LIMIT 1`, provider, ref))
}

func (s *Store) listRentals(ctx context.Context, q string, args ...any) ([]Rental, error) {
	rs, err := collect(ctx, s.r, scanRental, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list rentals: %w", err)
	}
	return rs, attachRentalDetails(ctx, s.r, rs)
}

// attachRentalDetails fills in the extensions and messages of rs, oldest
// first.
func attachRentalDetails(ctx context.Context, q querier, rs []Rental) error {
	if len(rs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(rs))
	args := make([]any, len(rs))
	for i, r := range rs {
		idx[r.ID] = i
		args[i] = r.ID
	}
	in := placeholders(len(rs))
	exts, err := collect(ctx, q, scanExtension, `SELECT `+extensionColumns+` FROM rental_extensions
		WHERE rental_id IN `+in+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("list extensions: %w", err)
	}
	for _, e := range exts {
		rs[idx[e.RentalID]].Extensions = append(rs[idx[e.RentalID]].Extensions, e)
	}
	msgs, err := collect(ctx, q, scanRentalMessage, `SELECT id, rental_id, provider_id, sender, body, code, received_at
		FROM rental_messages WHERE rental_id IN `+in+` ORDER BY received_at, id`, args...)
	if err != nil {
		return fmt.Errorf("list rental messages: %w", err)
	}
	for _, m := range msgs {
		rs[idx[m.ReservationID]].Messages = append(rs[idx[m.ReservationID]].Messages, m)
	}
	return nil
}

const extensionColumns = `id, rental_id, days, seconds, price_cents, cost_micros, refunded, created_at`

func scanExtension(r scanner) (RentalExtension, error) {
	var e RentalExtension
	var at int64
	err := r.Scan(&e.ID, &e.RentalID, &e.Days, &e.Seconds, &e.PriceCents, &e.CostMicros, &e.Refunded, &at)
	e.CreatedAt = time.Unix(at, 0)
	return e, err
}

func scanRentalMessage(r scanner) (Message, error) {
	var m Message
	var at int64
	err := r.Scan(&m.ID, &m.ReservationID, &m.ProviderID, &m.Sender, &m.Body, &m.Code, &at)
	m.ReceivedAt = time.Unix(at, 0)
	return m, err
}

// CancelRental ends a person's rental as cancelled and refunds its price
// in full, in one transaction, by the rule of Rental.CheckCancel at the
// store's clock: the engine asks the provider first, and this refuses
// again whatever changed meanwhile (an SMS that came, another session's
// cancel or extension).
func (s *Store) CancelRental(ctx context.Context, userID, id int64) (Rental, error) {
	var r Rental
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if r, err = tx.rentalWithDetails(ctx, id, userID); err != nil {
			return err
		}
		if err := r.CheckCancel(time.Unix(tx.now, 0)); err != nil {
			return err
		}
		return tx.endRental(ctx, &r, RentCancelled, r.PaidCents())
	})
	return r, err
}

// FinishRental ends a person's active rental now, before its time,
// because they are done with the number (SMS-Activate's setRentStatus 1):
// nothing moves, the time left was paid for and is not paid back.
func (s *Store) FinishRental(ctx context.Context, userID, id int64) (Rental, error) {
	var r Rental
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if r, err = tx.rentalWithDetails(ctx, id, userID); err != nil {
			return err
		}
		if !r.State.Open() {
			return ErrRentalEnded
		}
		return tx.endRental(ctx, &r, RentEnded, 0)
	})
	return r, err
}

// EndRental ends an active rental whose time ran out: nothing moves, it
// was paid for. A rental whose time has not run out (an extension moved
// its end meanwhile) is refused with ErrRentalNotDue; one that ended
// already is ErrRentalEnded.
func (s *Store) EndRental(ctx context.Context, id int64) (Rental, error) {
	var r Rental
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if r, err = tx.rentalWithDetails(ctx, id, 0); err != nil {
			return err
		}
		switch {
		case !r.State.Open():
			return ErrRentalEnded
		case tx.now < r.EndsAt.Unix():
			return ErrRentalNotDue
		}
		return tx.endRental(ctx, &r, RentEnded, 0)
	})
	return r, err
}

// ErrRentalNotDue refuses to end a rental whose time has not run out.
var ErrRentalNotDue = errors.New("the rental's time has not run out")

// FailRental ends an active rental the provider ended before its time:
// what was paid for the time left comes back, in full while the rental
// could still have been cancelled (no SMS, no extension, in its cancel
// window), else the share of what was paid that the time left is of the
// whole, rounded down to the cent. Past its end it simply ends.
func (s *Store) FailRental(ctx context.Context, id int64) (Rental, error) {
	var r Rental
	err := s.write(ctx, func(tx *Tx) error {
		var err error
		if r, err = tx.rentalWithDetails(ctx, id, 0); err != nil {
			return err
		}
		if !r.State.Open() {
			return ErrRentalEnded
		}
		if tx.now >= r.EndsAt.Unix() {
			return tx.endRental(ctx, &r, RentEnded, 0)
		}
		return tx.endRental(ctx, &r, RentFailed, r.unusedCents(time.Unix(tx.now, 0)))
	})
	return r, err
}

// unusedCents is what a rental failing at now gives back.
func (r Rental) unusedCents(now time.Time) int64 {
	paid := r.PaidCents()
	if r.CheckCancel(now) == nil {
		return paid
	}
	left, whole := r.EndsAt.Unix()-now.Unix(), r.EndsAt.Unix()-r.CreatedAt.Unix()
	if left <= 0 || whole <= 0 {
		return 0
	}
	return paid * left / whole
}

// rentalWithDetails reads a rental (of userID, unless 0) with its
// extensions and messages inside the transaction.
func (tx *Tx) rentalWithDetails(ctx context.Context, id, userID int64) (Rental, error) {
	q, args := `SELECT `+rentalColumns+` FROM rentals WHERE id = ?`, []any{id}
	if userID != 0 {
		q, args = q+` AND user_id = ?`, append(args, userID)
	}
	r, err := scanRental(tx.QueryRowContext(ctx, q, args...))
	if err != nil {
		return r, err
	}
	list := []Rental{r}
	if err := attachRentalDetails(ctx, tx, list); err != nil {
		return r, err
	}
	return list[0], nil
}

// endRental writes the end of r in state to, with its refund if any.
func (tx *Tx) endRental(ctx context.Context, r *Rental, to RentalState, refund int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE rentals SET state = ?, ended_at = ?, refund_cents = ? WHERE id = ?`,
		to, tx.now, refund, r.ID); err != nil {
		return fmt.Errorf("end rental %d: %w", r.ID, err)
	}
	if refund > 0 {
		if _, err := tx.moveNew(ctx, Movement{UserID: r.UserID, AmountCents: refund, Kind: LedgerRentRefund,
			Reference: RentRef(r.ID), Note: string(to)}); err != nil {
			return err
		}
	}
	r.State, r.EndedAt, r.RefundCents = to, time.Unix(tx.now, 0), refund
	tx.notify(Event{UserID: r.UserID, Kind: EventRental, Ref: r.ID})
	return tx.hookRentalEnded(ctx, *r)
}

// NoticeLead is how long before its end a rental's notice is given: a
// rental day, but at most a quarter of the rental's whole time, so that a
// one-day rental hears of its end 6 hours ahead, not at its start.
func NoticeLead(r Rental, day time.Duration) time.Duration {
	return min(day, r.EndsAt.Sub(r.CreatedAt)/4)
}

// GiveRentalNotice gives the notice of a rental's coming end, once per
// end: it records the end it was given for and, in the same transaction,
// queues the mail (a notice the person may turn off) and tells the
// person's sessions. It reports whether it gave one now: not before the
// notice is due (lead before the end), not twice for the same end, not for
// an ended rental.
func (s *Store) GiveRentalNotice(ctx context.Context, id int64, lead time.Duration) (given bool, err error) {
	err = s.write(ctx, func(tx *Tx) error {
		r, err := scanRental(tx.QueryRowContext(ctx, `SELECT `+rentalColumns+` FROM rentals WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if !r.State.Open() || r.Noticed() || time.Unix(tx.now, 0).Before(r.EndsAt.Add(-lead)) {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rentals SET notice_for = ends_at WHERE id = ?`, id); err != nil {
			return fmt.Errorf("notice of rental %d: %w", id, err)
		}
		var email sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT email FROM users WHERE id = ? AND deleted_at IS NULL`, r.UserID).
			Scan(&email); err != nil {
			return fmt.Errorf("notice of rental %d: %w", id, noRows(err, ErrNoUser))
		}
		if email.Valid {
			if err := tx.queueMail(ctx, outMail{userID: r.UserID, kind: MailRentalEnding, to: email.String,
				params: map[string]string{ParamRental: strconv.FormatInt(r.ID, 10), ParamPhone: r.Phone, ParamService: r.Service,
					ParamCountry: r.Country, ParamEnds: strconv.FormatInt(r.EndsAt.Unix(), 10)}}); err != nil {
				return err
			}
		}
		given = true
		tx.notify(Event{UserID: r.UserID, Kind: EventRental, Ref: r.ID})
		return nil
	})
	return given, err
}

func init() {
	// Deleting an account erases its rentals, their extensions and SMS
	// (ON DELETE CASCADE); the ledger rows stay, detached from the
	// person, their notes (which name the service) cleared.
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rentals WHERE user_id = ?`, userID); err != nil {
			return fmt.Errorf("delete rentals: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ledger SET note = '' WHERE user_id = ? AND kind IN (?, ?)
			AND note <> ''`, userID, LedgerRent, LedgerRentExtend); err != nil {
			return fmt.Errorf("scrub rental ledger notes: %w", err)
		}
		return nil
	})
}
