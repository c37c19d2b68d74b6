package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MaxReservationsPage caps one page of the admin list of open numbers.
const MaxReservationsPage = 500

// ErrBadReservationQuery refuses a filter that is no code or no open state.
var ErrBadReservationQuery error = userErr("filter by an open state (active, received) and plain codes only")

// ReservationQuery filters the open reservations admins watch; empty
// fields match everything.
type ReservationQuery struct {
	Service, Country, Provider string
	State                      ReservationState // ResActive or ResReceived
	Limit                      int              // 1 to MaxReservationsPage; default 100
}

// AdminOpenReservations lists open reservations, newest first, with their
// messages. Accounts are named by id only.
func (s *Store) AdminOpenReservations(ctx context.Context, a Actor, q ReservationQuery) ([]Reservation, error) {
	if q.Limit == 0 {
		q.Limit = 100
	}
	if (q.State != "" && !q.State.Open()) || q.Limit < 1 || q.Limit > MaxReservationsPage ||
		!isCode(q.Service) || !isCode(q.Country) || !isCode(q.Provider) {
		return nil, ErrBadReservationQuery
	}
	if err := s.CheckActor(ctx, a); err != nil {
		return nil, err
	}
	out, err := s.queryReservations(ctx, `SELECT `+reservationColumns+` FROM reservations
		WHERE ended_at IS NULL AND (? = '' OR service = ?) AND (? = '' OR country = ?)
		AND (? = '' OR provider = ?) AND (? = '' OR state = ?) ORDER BY id DESC LIMIT ?`,
		q.Service, q.Service, q.Country, q.Country, q.Provider, q.Provider, q.State, q.State, q.Limit)
	if err != nil {
		return nil, err
	}
	return out, s.attachMessages(ctx, out)
}

// isCode accepts "" or a short lower-case code of letters, digits, '-'
// and '_' (services, countries and provider names are such codes).
func isCode(s string) bool {
	if len(s) > 32 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}

// ForceEndReservation is support's cancel: it ends an open reservation as
// cancelled and refunds its price in full, whether or not an SMS came
// (support decides: a wrong or useless code is refunded too), with the
// audit row, in one transaction. upstream says what the provider
// answered when the engine gave the number back, for the audit detail.
func (s *Store) ForceEndReservation(ctx context.Context, a Actor, id int64, reason, upstream string) (Reservation, error) {
	reason, err := CleanReason(reason)
	if err != nil {
		return Reservation{}, err
	}
	var r Reservation
	err = s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		r, err = scanReservation(tx.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservations WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if !r.State.Open() {
			return ErrNotOpen
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reservations SET state = 'cancelled', ended_at = ?, refunded = 1
			WHERE id = ?`, tx.now, id); err != nil {
			return fmt.Errorf("force-cancel reservation %d: %w", id, err)
		}
		if _, err := tx.moveNew(ctx, Movement{UserID: r.UserID, AmountCents: r.PriceCents, Kind: LedgerRefund,
			Reference: ResRef(id), Note: "cancelled by support"}); err != nil {
			return err
		}
		detail := fmt.Sprintf("was %s; refunded %d cents", r.State, r.PriceCents)
		if upstream != "" {
			detail += "; upstream: " + upstream
		}
		if _, err := tx.audit(ctx, a, AuditEntry{Action: AuditForceCancel, TargetUserID: r.UserID,
			Target: ResRef(id), Reason: reason, Detail: clip(detail, MaxReasonLen)}); err != nil {
			return err
		}
		r.State, r.EndedAt, r.Refunded = ResCancelled, time.Unix(tx.now, 0), true
		tx.notify(Event{UserID: r.UserID, Kind: EventReservation, Ref: id})
		return tx.hookReservationEnded(ctx, r)
	})
	if err == nil {
		s.counters.refund()
	}
	return r, err
}
