package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Codes mailed to verify an address or to reset a password. A code is
// codeLen letters of orderAlphabet (40 random bits: no 0/o, no 1/l),
// shown as "ABCD-EFGH" and typed in any case, with or without the dash or
// spaces. Only its hash is stored, bound to the account and the purpose;
// it is compared in constant time, works once, expires, and dies after
// maxCodeFailures wrong tries, so guessing one online is hopeless.
const (
	codeLen         = 8
	maxCodeFailures = 5
	// VerifyCodeTTL is how long a verification code and link work: a
	// day, for a mail read the next morning.
	VerifyCodeTTL = 24 * time.Hour
	// ResetCodeTTL is how long a password reset code works.
	ResetCodeTTL = 30 * time.Minute
)

type codePurpose string

const (
	purposeVerify codePurpose = "verify"
	purposeReset  codePurpose = "reset"
)

// newCode draws a code, in the form it is mailed ("ABCD-EFGH"), from
// crypto/rand (see newToken).
func newCode() (string, error) {
	b := make([]byte, codeLen)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", fmt.Errorf("draw code: %w", err)
	}
	for i := range b {
		b[i] = orderAlphabet[b[i]&31]
	}
	c := strings.ToUpper(string(b))
	return c[:codeLen/2] + "-" + c[codeLen/2:], nil
}

// normalizeCode reads a typed code: case, spaces and dashes do not matter.
// Anything else gives "", which matches no code.
func normalizeCode(s string) string {
	s = strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(s))
	if len(s) != codeLen {
		return ""
	}
	for _, c := range s {
		if !strings.ContainsRune(orderAlphabet, c) {
			return ""
		}
	}
	return s
}

// codeHash binds a code to its account and purpose.
func codeHash(p codePurpose, userID int64, code string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s:%d:%s", p, userID, normalizeCode(code)))
	return hex.EncodeToString(sum[:])
}

// emailCode is a live code's row.
type emailCode struct {
	id, userID int64
	purpose    codePurpose
	email      string
	hash       string
	failures   int
}

// errNoCode: the account has no live code for the purpose.
var errNoCode = errors.New("no live code")

// liveCode reads the account's unexpired code for p.
func (tx *Tx) liveCode(ctx context.Context, userID int64, p codePurpose) (emailCode, error) {
	return scanCode(tx.QueryRowContext(ctx, `SELECT id, user_id, purpose, email, code_hash, failures FROM email_codes
		WHERE user_id = ? AND purpose = ? AND expires_at > ?`, userID, p, tx.now))
}

func scanCode(r scanner) (emailCode, error) {
	var c emailCode
	err := r.Scan(&c.id, &c.userID, &c.purpose, &c.email, &c.hash, &c.failures)
	if errors.Is(err, sql.ErrNoRows) {
		return emailCode{}, errNoCode
	}
	if err != nil {
		return emailCode{}, fmt.Errorf("read code: %w", err)
	}
	return c, nil
}

// matches compares a typed code with the stored hash in constant time. A
// missing code (c.hash "") is compared too, so both take the same time.
func (c emailCode) matches(p codePurpose, userID int64, typed string) bool {
	want := c.hash
	if want == "" {
		want = strings.Repeat("0", sha256.Size*2)
	}
	got := codeHash(p, userID, typed)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 && c.hash != "" && normalizeCode(typed) != ""
}

// issueCode stores a fresh code for the account and purpose, replacing
// any earlier one; linkToken is "" for a code without a link.
func (tx *Tx) issueCode(ctx context.Context, userID int64, p codePurpose, email, code, linkToken string,
	ttl time.Duration) (expires int64, err error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_codes WHERE user_id = ? AND purpose = ?`, userID, p); err != nil {
		return 0, fmt.Errorf("replace %s code: %w", p, err)
	}
	var link sql.NullString
	if linkToken != "" {
		link = sql.NullString{String: tokenHash(linkToken), Valid: true}
	}
	expires = tx.now + int64(ttl/time.Second)
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_codes (user_id, purpose, email, code_hash, link_hash,
		created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		userID, p, email, codeHash(p, userID, code), link, tx.now, expires); err != nil {
		return 0, fmt.Errorf("store %s code: %w", p, err)
	}
	return expires, nil
}

// codeFailed counts a wrong try of a code; the last allowed one deletes
// it, and a new code must be asked for.
func (tx *Tx) codeFailed(ctx context.Context, c emailCode) error {
	q := `UPDATE email_codes SET failures = failures + 1 WHERE id = ?`
	if c.failures+1 >= maxCodeFailures {
		q = `DELETE FROM email_codes WHERE id = ?`
	}
	if _, err := tx.ExecContext(ctx, q, c.id); err != nil {
		return fmt.Errorf("count wrong code: %w", err)
	}
	return nil
}

// useCode deletes a code that was just used: it works once.
func (tx *Tx) useCode(ctx context.Context, c emailCode) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM email_codes WHERE id = ?`, c.id)
	if err != nil {
		return fmt.Errorf("use code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoCode
	}
	return nil
}

// mailBudget refuses (*ThrottledError) one more mail of kind to the account
// while the last one to the same address is younger than gap, or perHour
// went to any address in the last hour: a person gets a new code within a
// minute, nobody gets a mailbox flooded.
func (tx *Tx) mailBudget(ctx context.Context, userID int64, kind MailKind, to string, gap time.Duration, perHour int) error {
	var last, oldest sql.NullInt64
	var n int
	err := tx.QueryRowContext(ctx, `SELECT MAX(CASE WHEN to_addr = ? THEN created_at END), MIN(created_at), COUNT(*)
		FROM outbox WHERE user_id = ? AND kind = ? AND created_at > ?`, to, userID, kind, tx.now-3600).
		Scan(&last, &oldest, &n)
	if err != nil {
		return fmt.Errorf("count recent %s mails: %w", kind, err)
	}
	var wait int64
	if last.Valid && tx.now-last.Int64 < int64(gap/time.Second) {
		wait = last.Int64 + int64(gap/time.Second) - tx.now
	}
	if n >= perHour {
		wait = max(wait, oldest.Int64+3600-tx.now)
	}
	if wait > 0 {
		return &ThrottledError{Wait: time.Duration(wait) * time.Second}
	}
	return nil
}
