package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// MaxInboxPage caps one page of the staff inbox.
const MaxInboxPage = 200

// ErrThreadClosed refuses a reply to a closed conversation: the person's
// next message opens a new one.
var ErrThreadClosed error = userErr("this conversation is closed")

// InboxThread is one conversation as the staff inbox lists it.
type InboxThread struct {
	ID        int64
	UserID    int64
	Email     string
	Open      bool
	Waiting   bool // the last message is the person's: it needs an answer
	Messages  int
	Last      SupportMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SupportInbox lists conversations for staff: open ones first, those
// waiting for an answer first among them, then the most recently active.
func (s *Store) SupportInbox(ctx context.Context, a Actor, limit int) ([]InboxThread, error) {
	if limit < 1 || limit > MaxInboxPage {
		return nil, fmt.Errorf("support inbox: %w: %d", errBadPageLimit, limit)
	}
	if err := s.CheckActor(ctx, a); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT t.id, t.user_id, COALESCE(u.email, ''), t.status, t.created_at,
		t.updated_at, (SELECT COUNT(*) FROM support_messages c WHERE c.thread_id = t.id),
		m.id, m.from_staff, m.body, m.created_at
		FROM support_threads t JOIN users u ON u.id = t.user_id
		JOIN support_messages m ON m.id = (SELECT MAX(id) FROM support_messages WHERE thread_id = t.id)
		ORDER BY t.status = 'open' DESC, m.from_staff ASC, t.updated_at DESC, t.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("support inbox: %w", err)
	}
	defer rows.Close()
	var out []InboxThread
	for rows.Next() {
		var t InboxThread
		var status string
		var created, updated, at int64
		if err := rows.Scan(&t.ID, &t.UserID, &t.Email, &status, &created, &updated, &t.Messages,
			&t.Last.ID, &t.Last.FromStaff, &t.Last.Body, &at); err != nil {
			return nil, fmt.Errorf("scan inbox thread: %w", err)
		}
		t.Open, t.Waiting = status == "open", !t.Last.FromStaff
		t.CreatedAt, t.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
		t.Last.ThreadID, t.Last.At = t.ID, time.Unix(at, 0)
		out = append(out, t)
	}
	return out, rows.Err()
}

// StaffThread is one conversation with all its messages, for staff.
func (s *Store) StaffThread(ctx context.Context, a Actor, threadID int64) (SupportThread, error) {
	if err := s.CheckActor(ctx, a); err != nil {
		return SupportThread{}, err
	}
	var t SupportThread
	var status string
	var created, updated int64
	err := s.r.QueryRowContext(ctx, `SELECT t.id, t.user_id, COALESCE(u.email, ''), t.status, t.created_at, t.updated_at
		FROM support_threads t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, threadID).
		Scan(&t.ID, &t.UserID, &t.Email, &status, &created, &updated)
	if err != nil {
		return SupportThread{}, fmt.Errorf("support thread %d: %w", threadID, noRows(err, ErrNoThread))
	}
	t.Open, t.CreatedAt, t.UpdatedAt = status == "open", time.Unix(created, 0), time.Unix(updated, 0)
	rows, err := s.r.QueryContext(ctx, `SELECT id, from_staff, body, created_at FROM support_messages
		WHERE thread_id = ? ORDER BY id`, threadID)
	if err != nil {
		return SupportThread{}, fmt.Errorf("support thread %d messages: %w", threadID, err)
	}
	defer rows.Close()
	for rows.Next() {
		m := SupportMessage{ThreadID: threadID}
		var at int64
		if err := rows.Scan(&m.ID, &m.FromStaff, &m.Body, &at); err != nil {
			return SupportThread{}, fmt.Errorf("scan support message: %w", err)
		}
		m.At = time.Unix(at, 0)
		t.Messages = append(t.Messages, m)
	}
	return t, rows.Err()
}

// ReplySupport answers an open conversation as staff; the person's
// Support tab shows the reply as unread at once (EventSupport).
func (s *Store) ReplySupport(ctx context.Context, a Actor, threadID int64, body string) (SupportMessage, error) {
	body, err := cleanSupportText(body)
	if err != nil {
		return SupportMessage{}, err
	}
	var m SupportMessage
	err = s.staffAction(ctx, a, threadID, AuditSupportReply, func(tx *Tx, owner int64) (string, error) {
		if m, err = tx.addSupportMessage(ctx, threadID, a.UserID, body); err != nil {
			return "", err
		}
		// The notice says only that an answer waits in the dashboard.
		return fmt.Sprintf("%d characters", len([]rune(body))),
			tx.queueAccountMail(ctx, owner, MailSupportReply, nil)
	})
	return m, err
}

// CloseSupport closes an open conversation.
func (s *Store) CloseSupport(ctx context.Context, a Actor, threadID int64) error {
	return s.staffAction(ctx, a, threadID, AuditSupportClose, func(tx *Tx, owner int64) (string, error) {
		_, err := tx.ExecContext(ctx, `UPDATE support_threads SET status = 'closed', updated_at = ? WHERE id = ?`,
			tx.now, threadID)
		return "", err
	})
}

// staffAction runs an action on an open thread as an admin, audited and
// told to the thread's owner.
func (s *Store) staffAction(ctx context.Context, a Actor, threadID int64, action AuditAction,
	fn func(tx *Tx, owner int64) (detail string, err error)) error {
	return s.write(ctx, func(tx *Tx) error {
		if err := tx.requireAdmin(ctx, a); err != nil {
			return err
		}
		var owner int64
		var status string
		err := tx.QueryRowContext(ctx, `SELECT user_id, status FROM support_threads WHERE id = ?`, threadID).
			Scan(&owner, &status)
		if err != nil {
			return fmt.Errorf("support thread %d: %w", threadID, noRows(err, ErrNoThread))
		}
		if status != "open" {
			return ErrThreadClosed
		}
		detail, err := fn(tx, owner)
		if err != nil {
			return err
		}
		if _, err := tx.audit(ctx, a, AuditEntry{Action: action, TargetUserID: owner,
			Target: "thread:" + strconv.FormatInt(threadID, 10), Detail: detail}); err != nil {
			return err
		}
		tx.notify(Event{UserID: owner, Kind: EventSupport, Ref: threadID})
		return nil
	})
}
