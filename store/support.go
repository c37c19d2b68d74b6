package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Support limits: a message fits a screen; a person cannot flood us.
const (
	MaxSupportMessageLen = 2000
	// MaxSupportMessagesPerHour bounds what one account may send.
	MaxSupportMessagesPerHour = 20
)

// Errors about support messages.
var (
	ErrEmptyMessage    error = userErr("write something first")
	ErrMessageTooLong  error = userErr(fmt.Sprintf("a message is at most %d characters", MaxSupportMessageLen))
	ErrTooManyMessages error = userErr("you have sent many messages this hour: we will answer them first")
	ErrNoThread        error = userErr("no such support thread")
)

// SupportMessage is one message of a conversation with support.
type SupportMessage struct {
	ID        int64
	ThreadID  int64
	FromStaff bool
	Body      string
	At        time.Time
}

// SupportThread is one conversation.
type SupportThread struct {
	ID        int64
	UserID    int64
	Email     string // the owner's, for staff views
	Open      bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Messages  []SupportMessage
}

// cleanSupportText trims a message and checks its length. Control
// characters are kept out at display time by the sanitizer; tabs and
// newlines are part of plain text.
func cleanSupportText(body string) (string, error) {
	body = strings.TrimSpace(body)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return "", ErrEmptyMessage
	case n > MaxSupportMessageLen || !utf8.ValidString(body):
		return "", ErrMessageTooLong
	}
	return body, nil
}

// WriteSupport adds a person's message to their open thread, opening one
// if needed.
func (s *Store) WriteSupport(ctx context.Context, userID int64, body string) (SupportMessage, error) {
	body, err := cleanSupportText(body)
	if err != nil {
		return SupportMessage{}, err
	}
	var m SupportMessage
	err = s.write(ctx, func(tx *Tx) error {
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM support_messages m
			JOIN support_threads t ON t.id = m.thread_id
			WHERE t.user_id = ? AND m.from_staff = 0 AND m.created_at > ?`, userID, tx.now-3600).Scan(&recent); err != nil {
			return fmt.Errorf("count support messages: %w", err)
		}
		if recent >= MaxSupportMessagesPerHour {
			return ErrTooManyMessages
		}
		var threadID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM support_threads WHERE user_id = ? AND status = 'open'
			ORDER BY id DESC LIMIT 1`, userID).Scan(&threadID)
		if errors.Is(err, sql.ErrNoRows) {
			if err := tx.QueryRowContext(ctx, `INSERT INTO support_threads (user_id, created_at, updated_at)
				VALUES (?, ?, ?) RETURNING id`, userID, tx.now, tx.now).Scan(&threadID); err != nil {
				return fmt.Errorf("open support thread: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("find support thread: %w", err)
		}
		m, err = tx.addSupportMessage(ctx, threadID, 0, body)
		if err != nil {
			return err
		}
		// Your own message is never unread to you.
		_, err = tx.ExecContext(ctx, `UPDATE support_threads SET user_seen_id = ? WHERE id = ?`, m.ID, threadID)
		tx.notify(Event{UserID: userID, Kind: EventSupport, Ref: threadID})
		return err
	})
	return m, err
}

func (tx *Tx) addSupportMessage(ctx context.Context, threadID, staffID int64, body string) (SupportMessage, error) {
	var staff sql.NullInt64
	if staffID != 0 {
		staff = sql.NullInt64{Int64: staffID, Valid: true}
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO support_messages (thread_id, from_staff, staff_id, body, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, threadID, staff.Valid, staff, body, tx.now).Scan(&id); err != nil {
		return SupportMessage{}, fmt.Errorf("add support message: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE support_threads SET updated_at = ? WHERE id = ?`, tx.now, threadID); err != nil {
		return SupportMessage{}, fmt.Errorf("touch support thread: %w", err)
	}
	return SupportMessage{ID: id, ThreadID: threadID, FromStaff: staff.Valid, Body: body, At: time.Unix(tx.now, 0)}, nil
}

// SupportHistory returns a person's conversations, oldest message first,
// and how many staff replies they have not seen yet.
func (s *Store) SupportHistory(ctx context.Context, userID int64) (threads []SupportThread, unread int, err error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.id, t.status, t.created_at, t.updated_at, t.user_seen_id,
		m.id, m.from_staff, m.body, m.created_at
		FROM support_threads t JOIN support_messages m ON m.thread_id = t.id
		WHERE t.user_id = ? ORDER BY t.id, m.id`, userID)
	if err != nil {
		return nil, 0, fmt.Errorf("support history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t SupportThread
		var m SupportMessage
		var status string
		var created, updated, seen, at int64
		if err := rows.Scan(&t.ID, &status, &created, &updated, &seen, &m.ID, &m.FromStaff, &m.Body, &at); err != nil {
			return nil, 0, fmt.Errorf("scan support message: %w", err)
		}
		m.ThreadID, m.At = t.ID, time.Unix(at, 0)
		if m.FromStaff && m.ID > seen {
			unread++
		}
		if n := len(threads); n == 0 || threads[n-1].ID != t.ID {
			t.UserID, t.Open = userID, status == "open"
			t.CreatedAt, t.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
			threads = append(threads, t)
		}
		last := &threads[len(threads)-1]
		last.Messages = append(last.Messages, m)
	}
	return threads, unread, rows.Err()
}

// MarkSupportSeen records that the person has read every reply so far.
func (s *Store) MarkSupportSeen(ctx context.Context, userID int64) error {
	return s.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE support_threads SET user_seen_id =
			COALESCE((SELECT MAX(id) FROM support_messages WHERE thread_id = support_threads.id), 0)
			WHERE user_id = ?`, userID)
		return err
	})
}

// UnreadSupport counts staff replies the person has not seen.
func (s *Store) UnreadSupport(ctx context.Context, userID int64) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM support_messages m JOIN support_threads t ON t.id = m.thread_id
		WHERE t.user_id = ? AND m.from_staff = 1 AND m.id > t.user_seen_id`, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count unread support: %w", err)
	}
	return n, nil
}

func init() {
	deleteHooks = append(deleteHooks, func(ctx context.Context, tx *Tx, userID int64) error {
		// Messages go with their threads (ON DELETE CASCADE).
		_, err := tx.ExecContext(ctx, `DELETE FROM support_threads WHERE user_id = ?`, userID)
		if err != nil {
			return fmt.Errorf("delete support threads: %w", err)
		}
		return nil
	})
}
