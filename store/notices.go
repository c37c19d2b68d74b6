package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Notices are the mails a person may turn off (NoticeKinds): in Account,
// or with the unsubscribe link each of them carries. Mails about the
// account's security always go.

// Errors of notice settings.
var (
	ErrNotANotice error = userErr("security mails cannot be turned off")
	// ErrBadUnsubscribe answers an unsubscribe link that names no mail we
	// still know (the mail log is purged after MailLogRetention).
	ErrBadUnsubscribe error = userErr("this unsubscribe link is not valid any more: " +
		"turn notices off in the dashboard, under Account")
)

// NoticeSetting is one kind of notice and whether it is sent.
type NoticeSetting struct {
	Kind MailKind
	On   bool
}

// Notices lists the account's notice kinds (NoticeKinds, in order) and
// whether each is on.
func (s *Store) Notices(ctx context.Context, userID int64) ([]NoticeSetting, error) {
	off, err := noticesOff(ctx, s.r, userID)
	if err != nil {
		return nil, err
	}
	out := make([]NoticeSetting, 0, len(NoticeKinds))
	for _, k := range NoticeKinds {
		out = append(out, NoticeSetting{Kind: k, On: !slices.Contains(off, k)})
	}
	return out, nil
}

func noticesOff(ctx context.Context, q querier, userID int64) ([]MailKind, error) {
	off, err := collect(ctx, q, func(r scanner) (MailKind, error) {
		var k MailKind
		return k, r.Scan(&k)
	}, `SELECT kind FROM notice_optouts WHERE user_id = ? ORDER BY kind`, userID)
	if err != nil {
		return nil, fmt.Errorf("notice settings of account %d: %w", userID, err)
	}
	return off, nil
}

// SetNotice turns a kind of notice on or off for the account; security
// mails refuse (ErrNotANotice).
func (s *Store) SetNotice(ctx context.Context, userID int64, kind MailKind, on bool) error {
	if !kind.Notice() {
		return ErrNotANotice
	}
	return s.write(ctx, func(tx *Tx) error {
		return tx.setNotice(ctx, userID, kind, on)
	})
}

func (tx *Tx) setNotice(ctx context.Context, userID int64, kind MailKind, on bool) error {
	q := `INSERT INTO notice_optouts (user_id, kind, created_at) SELECT id, ?2, ?3 FROM users
		WHERE id = ?1 AND deleted_at IS NULL ON CONFLICT DO NOTHING`
	if on {
		q = `DELETE FROM notice_optouts WHERE user_id = ?1 AND kind = ?2`
	}
	if _, err := tx.ExecContext(ctx, q, userID, kind, tx.now); err != nil {
		return fmt.Errorf("set notice %s of account %d: %w", kind, userID, err)
	}
	tx.notify(Event{UserID: userID, Kind: EventAccount})
	return nil
}

// Unsubscribe turns off the kind of notice whose mail carried token, for
// the account it went to, and says which kind. It needs no sign-in: the
// token is in the mail only. A token we do not know (never issued, or its
// mail purged from the log) gives ErrBadUnsubscribe.
func (s *Store) Unsubscribe(ctx context.Context, token string) (MailKind, error) {
	var kind MailKind
	err := s.write(ctx, func(tx *Tx) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `SELECT user_id, kind FROM outbox WHERE unsubscribe = ?`, tokenHash(token)).
			Scan(&userID, &kind)
		if err != nil {
			return noRows(err, ErrBadUnsubscribe)
		}
		return tx.setNotice(ctx, userID, kind, false)
	})
	if errors.Is(err, ErrBadUnsubscribe) {
		return "", ErrBadUnsubscribe
	}
	return kind, err
}
