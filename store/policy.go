package store

import (
	"context"
	"fmt"
	"time"
)

// PrivacyPolicyVersion is the "Last updated" date of the privacy policy
// this build ships (tui/privacy/privacy-policy.txt says the same date,
// checked by a test). Sign-up records it as the version the person
// accepted: a change of the policy's text comes with a new date here.
const PrivacyPolicyVersion = "2026-12-07"

// FirstRecordedPolicyVersion is the first version sign-up recorded:
// accounts without one accepted the policy in force before it.
const FirstRecordedPolicyVersion = "2026-12-06"

// RetentionPeriod is one kind of record we hold and how long: Keep after
// the moment After names; a zero Keep has no set end (After says until
// what). Label is short enough for a table row; Detail says what it holds.
type RetentionPeriod struct {
	Label  string
	Detail string
	Keep   time.Duration
	After  string
}

// Period reads "1 year after the number ended".
func (p RetentionPeriod) Period() string {
	if p.Keep == 0 {
		return p.After
	}
	return FormatPeriod(p.Keep) + " " + p.After
}

// String reads "Label (Detail): 1 year after the number ended".
func (p RetentionPeriod) String() string { return p.Label + " (" + p.Detail + "): " + p.Period() }

// RetentionPeriods is every retention period the purge keeps and what is
// kept without a set end, in the words the dashboard and `privacy` show:
// one list, built from the constants the purge runs on, so that what
// people read is what the code does.
func RetentionPeriods() []RetentionPeriod {
	return []RetentionPeriod{
		{"Account, SSH and API keys", "email, password hash, SSH keys, API keys (a hash of each, never the key; " +
			"once revoked, a sign-in record)", 0, "until you delete your account"},
		{"Numbers, rentals, their SMS", "your dashboard history: the numbers you reserved or rented, with every " +
			"SMS", HistoryRetention, "after it ended"},
		{"Operating details", "of a number or rental: provider, its reference, our cost", ReservationDetailRetention,
			"after it ended"},
		{"Sign-in records", "sign-ins, failures, account changes, revoked API keys (name and dates); address, " +
			"SSH client", SecurityEventRetention, "after they were recorded"},
		{"Failed sign-in counters", "address or email typed", throttleWindow, "after the last failure"},
		{"Support conversations", "your messages and our replies", SupportRetention, "after it was closed"},
		// A mailed code itself is kept, hashed, until used or a day at most
		// (VerifyCodeTTL): within the mail log's period, so one row says both.
		{"Mail log", "what we mailed you and when, never a code (a mailed code is kept hashed until used, a day " +
			"at most)", MailLogRetention, "after it was sent or given up"},
		{"Webhook deliveries", "the events posted to your webhooks and their answers, never their contents",
			WebhookLogRetention, "after delivered or given up"},
		{"Payment records", "orders, Bitcoin transactions; for accounting", OrderRetention, "after the order closed"},
		{"Stripe notifications", "payment event ids", stripeEventKeep, "after they arrived"},
		{"Admin audit trail", "what staff did, e.g. a credit to you", AuditRetention, "after the action"},
		{"Credit ledger", "each change of your balance, which is their sum", 0,
			"for accounting (anonymous after deletion)"},
	}
}

// FormatPeriod writes a retention period the way the policy does: whole
// years ("1 year", "7 years") for periods within two days of a multiple
// of 365 days, whole months ("6 months") for multiples of 30 days, then
// days, hours or minutes.
func FormatPeriod(d time.Duration) string {
	const day = 24 * time.Hour
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	days := int64(d / day)
	switch {
	case d%day == 0 && days >= 365 && (days%365 <= 2):
		return plural(days/365, "year")
	case d%day == 0 && days >= 30 && days%30 == 0:
		return plural(days/30, "month")
	case d%day == 0:
		return plural(days, "day")
	case d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	}
	return plural(int64(d/time.Minute), "minute")
}

// PolicyVersionAccepted is the privacy policy version a live account
// accepted at sign-up; "" for accounts made before versions were recorded.
func (s *Store) PolicyVersionAccepted(ctx context.Context, userID int64) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT policy_version FROM users WHERE id = ? AND deleted_at IS NULL`, userID).
		Scan(&v)
	if err != nil {
		return "", fmt.Errorf("policy version of account %d: %w", userID, noRows(err, ErrNoUser))
	}
	return v, nil
}
