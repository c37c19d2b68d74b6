package store

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"time"

	"github.com/wantsms/wantsms/store/netaddr"
)

// SecurityKind names a security-relevant event on an account.
type SecurityKind string

// The security events we record (kept 180 days, shown to the account owner).
const (
	SecuritySignup          SecurityKind = "signup"
	SecuritySignin          SecurityKind = "signin"
	SecuritySigninFailed    SecurityKind = "signin_failed"
	SecuritySigninThrottled SecurityKind = "signin_throttled"
	SecurityKeyLinked       SecurityKind = "key_linked"
	SecurityKeyRemoved      SecurityKind = "key_removed"
	SecurityKeyRenamed      SecurityKind = "key_renamed"
	SecurityPasswordChanged SecurityKind = "password_changed"
	SecurityEmailChanged    SecurityKind = "email_changed"
	SecurityRoleChanged     SecurityKind = "role_changed"
	SecurityKeyPending      SecurityKind = "key_pending"        // a key pasted, waiting for a connection to prove it
	SecurityAdminKeyEnroll  SecurityKind = "admin_key_enrolled" // the server host enrolled a key for admin use
	SecurityAdminKeyRemove  SecurityKind = "admin_key_removed"  // the server host took a key's admin use away
	SecurityAPIKeyCreated   SecurityKind = "api_key_created"    // an API key was made (detail: its name)
	SecurityAPIKeyRevoked   SecurityKind = "api_key_revoked"    // an API key was revoked (detail: its name)
	SecurityWebhookAdded    SecurityKind = "webhook_added"      // the account's events now go to a URL too
	SecurityWebhookRemoved  SecurityKind = "webhook_removed"
	SecurityWebhookSecret   SecurityKind = "webhook_secret" // a new signing secret replaced the old one
)

// Origin is where a request came from, as recorded in security events.
type Origin struct {
	RemoteAddr    string // "ip:port" or a description such as "server host"
	ClientVersion string // the SSH client's version string
}

// throttleKey is the per-address sign-in throttle's key: one per IPv4
// address, one per IPv6 /64 (netaddr.Group).
func (o Origin) throttleKey() string { return "addr:" + netaddr.Group(o.RemoteAddr) }

// host is the address without its port.
func (o Origin) host() string {
	if h, _, err := net.SplitHostPort(o.RemoteAddr); err == nil {
		return h
	}
	return o.RemoteAddr
}

// SecurityEvent is one recorded event.
type SecurityEvent struct {
	ID            int64
	UserID        int64 // 0 when no account was identified
	Kind          SecurityKind
	RemoteAddr    string
	ClientVersion string
	Detail        string
	At            time.Time
}

// maxClientVersionLen bounds what a client may make us store.
const maxClientVersionLen = 200

func (tx *Tx) recordEvent(ctx context.Context, userID int64, kind SecurityKind, o Origin, detail string) error {
	var uid sql.NullInt64
	if userID != 0 {
		uid = sql.NullInt64{Int64: userID, Valid: true}
	}
	cv := o.ClientVersion
	if len(cv) > maxClientVersionLen {
		cv = cv[:maxClientVersionLen]
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO security_events (user_id, kind, remote_addr, client_version, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, uid, kind, o.RemoteAddr, cv, detail, tx.now)
	if err != nil {
		return fmt.Errorf("record %s event: %w", kind, err)
	}
	return nil
}

// RecordSecurityEvent stores one event on its own.
func (s *Store) RecordSecurityEvent(ctx context.Context, userID int64, kind SecurityKind, o Origin, detail string) error {
	return s.write(ctx, func(tx *Tx) error { return tx.recordEvent(ctx, userID, kind, o, detail) })
}

// SecurityEvents lists an account's most recent events, newest first.
func (s *Store) SecurityEvents(ctx context.Context, userID int64, limit int) ([]SecurityEvent, error) {
	events, err := collect(ctx, s.r, scanSecurityEvent,
		`SELECT `+securityEventColumns+` FROM security_events WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("list security events: %w", err)
	}
	return events, nil
}

// securityEventColumns are what scanSecurityEvent reads, in its order (an
// event before sign-in has no account: 0).
const securityEventColumns = `id, COALESCE(user_id, 0), kind, remote_addr, client_version, detail, created_at`

func scanSecurityEvent(r scanner) (SecurityEvent, error) {
	var e SecurityEvent
	var at int64
	err := r.Scan(&e.ID, &e.UserID, &e.Kind, &e.RemoteAddr, &e.ClientVersion, &e.Detail, &at)
	e.At = time.Unix(at, 0)
	return e, err
}
