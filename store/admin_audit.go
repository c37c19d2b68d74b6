package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MaxAuditPage caps one page of the audit trail.
const MaxAuditPage = 500

// AuditQuery selects admin audit rows, newest first.
type AuditQuery struct {
	// Text matches the action, target, reason or detail, or the email of
	// the acting or target account (case-insensitive); empty matches all.
	Text string
	// TargetUserID keeps only actions on this account (0: any).
	TargetUserID int64
	Limit        int // 1 to MaxAuditPage; default 50
}

const auditColumns = `a.id, a.actor_id, a.action, COALESCE(a.target_user_id, 0), a.target, a.reason, a.detail,
	a.remote_addr, a.created_at, COALESCE(actor.email, ''), COALESCE(target.email, '')`

const auditFrom = ` FROM admin_audit a JOIN users actor ON actor.id = a.actor_id
	LEFT JOIN users target ON target.id = a.target_user_id`

// SearchAudit is the audit trail as admins search it. The trail is kept:
// no purge removes it (a deleted account's rows detach from the person,
// whose email is gone from users).
func (s *Store) SearchAudit(ctx context.Context, a Actor, q AuditQuery) ([]AuditEntry, error) {
	if err := s.CheckActor(ctx, a); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > MaxAuditPage {
		return nil, fmt.Errorf("audit search: %w: %d", errBadPageLimit, q.Limit)
	}
	text := strings.TrimSpace(q.Text)
	if text != "" && !printable(text, MaxUserSearchLen) {
		return nil, ErrBadSearch
	}
	like := "%" + escapeLike(text) + "%"
	return s.auditRows(ctx, `SELECT `+auditColumns+auditFrom+`
		WHERE (? = 0 OR a.target_user_id = ?)
		AND (? = '' OR a.action LIKE ? ESCAPE '\' OR a.target LIKE ? ESCAPE '\' OR a.reason LIKE ? ESCAPE '\'
			OR a.detail LIKE ? ESCAPE '\' OR actor.email LIKE ? ESCAPE '\' OR target.email LIKE ? ESCAPE '\')
		ORDER BY a.id DESC LIMIT ?`, q.TargetUserID, q.TargetUserID, text, like, like, like, like, like, like, q.Limit)
}

func (s *Store) auditRows(ctx context.Context, query string, args ...any) ([]AuditEntry, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Action, &e.TargetUserID, &e.Target, &e.Reason, &e.Detail,
			&e.RemoteAddr, &at, &e.ActorEmail, &e.TargetEmail); err != nil {
			return nil, fmt.Errorf("scan audit row: %w", err)
		}
		e.At = time.Unix(at, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditLog lists the most recent admin actions, newest first, for the
// server host's own tools and tests (no actor: the host's authority).
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	return s.auditRows(ctx, `SELECT `+auditColumns+auditFrom+` ORDER BY a.id DESC LIMIT ?`, limit)
}
