package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// staffReply adds a staff message the way the admin side will (tests only).
func staffReply(t *testing.T, s *Store, threadID int64, body string) {
	t.Helper()
	err := s.write(context.Background(), func(tx *Tx) error {
		_, err := tx.addSupportMessage(context.Background(), threadID, 0, body)
		if err == nil {
			_, err = tx.ExecContext(context.Background(), `UPDATE support_messages SET from_staff = 1 WHERE body = ?`, body)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSupportConversationAndUnread(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "help@example.com")
	other := newUser(t, s, "else@example.com")
	for _, bad := range []string{"", "   ", strings.Repeat("x", MaxSupportMessageLen+1)} {
		if _, err := s.WriteSupport(ctx, u.ID, bad); err == nil {
			t.Errorf("accepted %d characters", len(bad))
		}
	}
	m, err := s.WriteSupport(ctx, u.ID, "  My Telegram code never came  ")
	if err != nil || m.Body != "My Telegram code never came" {
		t.Fatalf("write: %+v %v", m, err)
	}
	staffReply(t, s, m.ThreadID, "We refunded it.")
	threads, unread, err := s.SupportHistory(ctx, u.ID)
	if err != nil || len(threads) != 1 || len(threads[0].Messages) != 2 || unread != 1 {
		t.Fatalf("history %+v unread %d err %v", threads, unread, err)
	}
	if n, _ := s.UnreadSupport(ctx, u.ID); n != 1 {
		t.Fatalf("unread %d", n)
	}
	if err := s.MarkSupportSeen(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnreadSupport(ctx, u.ID); n != 0 {
		t.Fatalf("unread after seen %d", n)
	}
	if threads, _, _ := s.SupportHistory(ctx, other.ID); len(threads) != 0 {
		t.Fatal("another account sees the conversation")
	}
}

func TestSupportRateLimit(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "chatty@example.com")
	for i := range MaxSupportMessagesPerHour {
		if _, err := s.WriteSupport(ctx, u.ID, "message"); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, err := s.WriteSupport(ctx, u.ID, "one more"); !errors.Is(err, ErrTooManyMessages) {
		t.Fatalf("over the limit: %v", err)
	}
	clock.Add(61 * 60 * 1e9)
	if _, err := s.WriteSupport(ctx, u.ID, "an hour later"); err != nil {
		t.Fatalf("after an hour: %v", err)
	}
}

func TestDeleteAccountRemovesSupport(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "bye@example.com")
	s.WriteSupport(ctx, u.ID, "please delete me")
	if err := s.DeleteAccount(ctx, u.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	var n int
	s.r.QueryRow(`SELECT (SELECT COUNT(*) FROM support_threads) + (SELECT COUNT(*) FROM support_messages)`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d support rows left", n)
	}
}
