package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

var adminOrigin = Origin{RemoteAddr: "198.51.100.9:4000"}

// newAdmin makes an admin account with a linked key and returns it as
// the actor of a session that proved that key.
func newAdmin(t *testing.T, s *Store, email string) Actor {
	t.Helper()
	u := newUser(t, s, email)
	verify(t, s, email)
	_, k, err := s.GrantAdmin(context.Background(), email, SpecOf(newPub(t)), "test")
	if err != nil {
		t.Fatal(err)
	}
	return Actor{UserID: u.ID, Key: k.Fingerprint, Origin: adminOrigin}
}

// snapshot is what an admin action may change: balances, ledger and audit
// rows. Tests compare it before and after refused actions.
func snapshot(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id || ':' || balance_cents || ':' || role FROM users ORDER BY id`,
		`SELECT id || ':' || amount_cents || ':' || kind || ':' || reference FROM ledger ORDER BY id`,
		`SELECT id || ':' || action || ':' || target FROM admin_audit ORDER BY id`,
	} {
		rows, err := s.r.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			rows.Scan(&line)
			b.WriteString(line + "\n")
		}
		rows.Close()
		b.WriteString("--\n")
	}
	return b.String()
}

func TestCreditAsAdminWritesLedgerAndAuditTogether(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	target := newUser(t, s, "bob@example.com")
	c, err := s.CreditAsAdmin(ctx, admin, " Bob@Example.com ", 500, "  refund for ticket 7 ")
	if err != nil {
		t.Fatal(err)
	}
	if c.BalanceCents != 500 || c.User.ID != target.ID || c.User.BalanceCents != 500 ||
		c.Reference != fmt.Sprintf("audit:%d", c.AuditID) {
		t.Fatalf("credit result %+v", c)
	}
	rows, _ := s.Ledger(ctx, target.ID, 10)
	if len(rows) != 1 || rows[0].Kind != LedgerAdjust || rows[0].AmountCents != 500 ||
		rows[0].Reference != c.Reference || rows[0].Note != "refund for ticket 7" {
		t.Fatalf("ledger %+v", rows)
	}
	log, _ := s.AuditLog(ctx, 10)
	if len(log) != 1 {
		t.Fatalf("audit log %+v", log)
	}
	e := log[0]
	if e.ID != c.AuditID || e.ActorID != admin.UserID || e.Action != AuditCredit || e.TargetUserID != target.ID ||
		e.Reason != "refund for ticket 7" || e.Detail != "+500 cents" || e.RemoteAddr != adminOrigin.RemoteAddr ||
		e.Target != "" {
		t.Fatalf("audit row %+v", e)
	}
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check: %+v %v", rep, err)
	}
}

// The audit row and the action commit together or not at all, whichever
// of the two fails.
func TestAdminCreditAndAuditAreOneTransaction(t *testing.T) {
	for _, table := range []string{"ledger", "admin_audit"} {
		t.Run("failing "+table, func(t *testing.T) {
			s, _ := openTest(t)
			ctx := context.Background()
			admin := newAdmin(t, s, "boss@example.com")
			newUser(t, s, "bob@example.com")
			injectFailure(t, s, "INSERT", table)
			before := snapshot(t, s)
			if _, err := s.CreditAsAdmin(ctx, admin, "bob@example.com", 500, "x"); err == nil {
				t.Fatal("credit succeeded despite the injected failure")
			}
			if after := snapshot(t, s); after != before {
				t.Fatalf("a failed credit left changes:\n%s\nwant\n%s", after, before)
			}
		})
	}
}

func TestAdminActionsRefusedToNonAdmins(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	plain := newUser(t, s, "plain@example.com")
	revoked := newAdmin(t, s, "was@example.com")
	if _, err := s.RevokeAdmin(ctx, "was@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	banned := newAdmin(t, s, "banned@example.com")
	if _, err := s.w.Exec(`UPDATE users SET banned_at = 1, ban_reason = 'abuse' WHERE id = ?`, banned.UserID); err != nil {
		t.Fatal(err)
	}
	newUser(t, s, "bob@example.com")
	before := snapshot(t, s)
	actors := map[string]Actor{"user": {UserID: plain.ID}, "revoked admin": revoked, "banned admin": banned,
		"no such account": {UserID: 999}}
	for name, a := range actors {
		if _, err := s.CreditAsAdmin(ctx, a, "bob@example.com", 500, "x"); !errors.Is(err, ErrNotAdmin) {
			t.Errorf("%s: credit: %v, want ErrNotAdmin", name, err)
		}
		// Refused before the lookup: an unknown email says nothing either.
		if _, err := s.CreditAsAdmin(ctx, a, "nobody@example.com", 500, "x"); !errors.Is(err, ErrNotAdmin) {
			t.Errorf("%s: credit to an unknown email: %v, want ErrNotAdmin", name, err)
		}
		if _, _, err := s.AdminUsers(ctx, a, "", 10); !errors.Is(err, ErrNotAdmin) {
			t.Errorf("%s: users: %v, want ErrNotAdmin", name, err)
		}
	}
	if after := snapshot(t, s); after != before {
		t.Fatalf("refused actions changed data:\n%s\nwant\n%s", after, before)
	}
}

func TestCreditAsAdminValidates(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	newUser(t, s, "bob@example.com")
	before := snapshot(t, s)
	cases := []struct {
		email  string
		cents  int64
		reason string
		want   error
	}{
		{"bob@example.com", 0, "x", ErrBadAmount},
		{"bob@example.com", -5, "x", ErrBadAmount},
		{"bob@example.com", MaxAdminCreditCents + 1, "x", ErrBadAmount},
		{"bob@example.com", 5, "   ", ErrBadReason},
		{"bob@example.com", 5, strings.Repeat("r", MaxReasonLen+1), ErrBadReason},
		{"bob@example.com", 5, "bad\x1b[31m", ErrBadReason},
		{"bob@example.com", 5, "bidi\u202e", ErrBadReason},
		{"not an email", 5, "x", ErrBadEmail},
		{"nobody@example.com", 5, "x", ErrNoUser},
	}
	for _, c := range cases {
		if _, err := s.CreditAsAdmin(ctx, admin, c.email, c.cents, c.reason); !errors.Is(err, c.want) {
			t.Errorf("credit(%q, %d, %q): %v, want %v", c.email, c.cents, c.reason, err, c.want)
		}
	}
	if after := snapshot(t, s); after != before {
		t.Fatalf("invalid credits changed data:\n%s\nwant\n%s", after, before)
	}
	if _, err := s.CreditAsAdmin(ctx, admin, "bob@example.com", MaxAdminCreditCents, strings.Repeat("é", MaxReasonLen)); err != nil {
		t.Fatalf("credit at the bounds: %v", err)
	}
}

func TestAdminUsersSearchesAndAudits(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	for _, e := range []string{"ann@shop.example", "bob@shop.example", "carl@other.example", "100%@x.example"} {
		newUser(t, s, e)
	}
	emails := func(us []User) string {
		var out []string
		for _, u := range us {
			out = append(out, u.Email)
		}
		return strings.Join(out, ",")
	}
	cases := []struct {
		search string
		limit  int
		want   string
		more   bool
	}{
		{"", 10, "boss@example.com,ann@shop.example,bob@shop.example,carl@other.example,100%@x.example", false},
		{"SHOP", 10, "ann@shop.example,bob@shop.example", false},
		{"shop", 1, "ann@shop.example", true},
		{"%", 10, "100%@x.example", false}, // a wildcard of LIKE means itself
		{"_", 10, "", false},
		{"nobody", 10, "", false},
	}
	for _, c := range cases {
		us, more, err := s.AdminUsers(ctx, admin, c.search, c.limit)
		if err != nil || emails(us) != c.want || more != c.more {
			t.Errorf("search %q limit %d: %s more=%v err=%v; want %s more=%v", c.search, c.limit, emails(us),
				more, err, c.want, c.more)
		}
	}
	log, _ := s.AuditLog(ctx, 100)
	if len(log) != len(cases) || log[0].Action != AuditUserSearch || log[0].Target != "nobody" ||
		log[0].ActorID != admin.UserID || log[0].TargetUserID != 0 {
		t.Fatalf("audit log %+v", log)
	}
	for _, bad := range []int{0, MaxUsersPage + 1} {
		if _, _, err := s.AdminUsers(ctx, admin, "", bad); err == nil {
			t.Errorf("limit %d accepted", bad)
		}
	}
	if _, _, err := s.AdminUsers(ctx, admin, "a\x00b", 10); !errors.Is(err, ErrBadSearch) {
		t.Errorf("control character in a search: %v", err)
	}
}
