package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Message is one SMS received on a reservation. Sender, Body and Code are
// upstream text: sanitise them before showing.
type Message struct {
	ID            int64
	ReservationID int64
	ProviderID    string // stable per SMS at the provider
	Sender        string
	Body          string
	Code          string // the code extracted from Body, "" when none
	ReceivedAt    time.Time
}

// NewMessage is an SMS as a provider delivered it.
type NewMessage struct {
	ProviderID string
	Sender     string
	Body       string
	Code       string
	ReceivedAt time.Time // zero: now
}

// AddMessage stores an SMS on an open reservation and marks it received,
// in one transaction, then tells the owner. A message already stored
// (same provider id, e.g. polled again or both pushed and polled) is not
// added twice: added is false. A reservation that has ended takes no more
// messages (ErrNotOpen).
func (s *Store) AddMessage(ctx context.Context, reservationID int64, m NewMessage) (added bool, err error) {
	if m.ProviderID == "" {
		return false, fmt.Errorf("message for reservation %d: provider id required", reservationID)
	}
	err = s.write(ctx, func(tx *Tx) error {
		var userID int64
		var state ReservationState
		var hook HookSMS
		if err := tx.queryRowPrepared(ctx, qMessageTarget, reservationID).Scan(&userID, &state, &hook.Phone, &hook.Service, &hook.Country); err != nil {
			return fmt.Errorf("message for reservation %d: %w", reservationID, noRows(err, ErrNoReservation))
		}
		if !state.Open() {
			return ErrNotOpen
		}
		at := tx.now
		if !m.ReceivedAt.IsZero() {
			at = m.ReceivedAt.Unix()
		}
		stored := &Message{ReservationID: reservationID, ProviderID: clip(m.ProviderID, maxCodeRunes*4),
			Sender: clip(m.Sender, maxSenderRunes), Body: clip(m.Body, maxBodyRunes), Code: clip(m.Code, maxCodeRunes),
			ReceivedAt: time.Unix(at, 0)}
		err := tx.queryRowPrepared(ctx, qInsertMessage, reservationID, stored.ProviderID, stored.Sender, stored.Body,
			stored.Code, at).Scan(&stored.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // stored before
		}
		if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		added = true
		if state == ResActive {
			if _, err := tx.execPrepared(ctx, qMarkReceived, reservationID); err != nil {
				return fmt.Errorf("mark received: %w", err)
			}
		}
		// One event says both: the SMS and the number received.
		tx.notify(Event{UserID: userID, Kind: EventMessage, Ref: reservationID, Message: stored})
		hook.ReservationID, hook.ReceivedAt = reservationID, stored.ReceivedAt
		hook.Sender, hook.Text, hook.Code = stored.Sender, stored.Body, stored.Code
		return tx.hookSMS(ctx, userID, hook)
	})
	if err == nil && added {
		s.counters.sms.Add(1)
	}
	return added, err
}

// attachMessages fills in the messages of rs, oldest first, in one query.
func (s *Store) attachMessages(ctx context.Context, rs []Reservation) error {
	if len(rs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(rs))
	args := make([]any, len(rs))
	for i, r := range rs {
		idx[r.ID] = i
		args[i] = r.ID
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, reservation_id, provider_id, sender, body, code, received_at
		FROM messages WHERE reservation_id IN `+placeholders(len(rs))+`
		ORDER BY received_at, id`, args...)
	return fillMessages(rows, err, rs, idx)
}

// attachOpenMessages fills in the messages of a user's open reservations
// rs, oldest first, with one statement whatever their count. A number opened since rs
// was read has its messages skipped: it is not in rs.
func (s *Store) attachOpenMessages(ctx context.Context, userID int64, rs []Reservation) error {
	idx := make(map[int64]int, len(rs))
	for i, r := range rs {
		idx[r.ID] = i
	}
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.reservation_id, m.provider_id, m.sender, m.body, m.code,
		m.received_at FROM messages m JOIN reservations r ON r.id = m.reservation_id
		WHERE r.user_id = ? AND r.ended_at IS NULL ORDER BY m.received_at, m.id`, userID)
	return fillMessages(rows, err, rs, idx)
}

// fillMessages appends each message read to its reservation in rs (idx:
// position by id), skipping those of reservations not in rs.
func fillMessages(rows *sql.Rows, err error, rs []Reservation, idx map[int64]int) error {
	if err != nil {
		return fmt.Errorf("list messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return err
		}
		if i, ok := idx[m.ReservationID]; ok {
			rs[i].Messages = append(rs[i].Messages, m)
		}
	}
	return rows.Err()
}

// scanMessage reads a row of id, reservation_id, provider_id, sender,
// body, code, received_at.
func scanMessage(r scanner) (Message, error) {
	var m Message
	var at int64
	if err := r.Scan(&m.ID, &m.ReservationID, &m.ProviderID, &m.Sender, &m.Body, &m.Code, &at); err != nil {
		return m, fmt.Errorf("scan message: %w", err)
	}
	m.ReceivedAt = time.Unix(at, 0)
	return m, nil
}

// clip cuts s to at most n runes without splitting one.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i]
}

// countChunk bounds the ids of one IN list (SQLite allows 32,766
// parameters; PostgreSQL 65,535).
const countChunk = 500

// CountMessages counts the messages stored on the given reservations:
// what a load test compares with the SMS it pushed.
func (s *Store) CountMessages(ctx context.Context, reservationIDs []int64) (int, error) {
	total := 0
	for start := 0; start < len(reservationIDs); start += countChunk {
		ids := reservationIDs[start:min(start+countChunk, len(reservationIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		var n int
		if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE reservation_id IN `+
			placeholders(len(ids)), args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count messages: %w", err)
		}
		total += n
	}
	return total, nil
}
