package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// checkErased verifies that nothing identifying p remains in the database
// (its rows, and every value of every table), while the payment records
// and ledger rows stay, anonymous, and the books still balance.
func checkErased(t *testing.T, s *Store, p person) {
	t.Helper()
	var email, hash any
	var deleted int64
	s.r.QueryRow(`SELECT email, password_hash, deleted_at FROM users WHERE id = ?`, p.User.ID).Scan(&email, &hash, &deleted)
	if email != nil || hash != nil || deleted == 0 {
		t.Fatalf("account row keeps email=%v hash=%v (deleted_at %d)", email, hash, deleted)
	}
	var ledger, orders, payments int
	s.r.QueryRow(`SELECT (SELECT COUNT(*) FROM ledger WHERE user_id = ?1), (SELECT COUNT(*) FROM orders WHERE user_id = ?1),
		(SELECT COUNT(*) FROM btc_payments b JOIN orders o ON o.id = b.order_id WHERE o.user_id = ?1)`, p.User.ID).
		Scan(&ledger, &orders, &payments)
	if ledger != 5 || orders != 2 || payments != 1 {
		t.Fatalf("kept %d ledger rows, %d orders, %d payments; want 5, 2, 1 for accounting", ledger, orders, payments)
	}
	// A sign-in throttle is keyed by address, not by account: it is not
	// the person's, and goes 15 minutes after the last failure anyway.
	dump := strings.ToLower(dumpTables(t, s, "signin_throttle"))
	for _, trace := range p.traces() {
		if strings.Contains(dump, strings.ToLower(trace)) {
			t.Errorf("%q remains:\n%s", trace, grepLines(dump, trace))
		}
	}
	var notes int
	s.r.QueryRow(`SELECT COUNT(*) FROM ledger WHERE user_id = ? AND note LIKE '%telegram%'`, p.User.ID).Scan(&notes)
	if notes != 0 {
		t.Errorf("%d ledger notes still name the person's numbers", notes)
	}
	checkOK(t, s)
}

func grepLines(text, needle string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, needle) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Deleting one's own account leaves nothing that identifies the person,
// in the tables or in the database files.
func TestDeleteAccountLeavesNothingPersonal(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	alice := newPerson(t, s, "alicetag", "203.0.113.10")
	bob := newPerson(t, s, "bobtag", "203.0.113.20")
	must(t, s.truncateWAL(ctx))
	if files := fileBytes(t, s); files != "" && (!strings.Contains(files, alice.Email()) || !strings.Contains(files, "4242, alicetag")) {
		t.Fatal("the files do not hold the person's data before the deletion: the search below proves nothing")
	}
	if err := s.DeleteAccount(ctx, alice.User.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	checkErased(t, s, alice)
	files := fileBytes(t, s)
	for _, trace := range []string{alice.Email(), "4242, alicetag", "help me please, alicetag", alice.Key.Fingerprint} {
		if strings.Contains(files, trace) {
			t.Errorf("%q lingers in the database files", trace)
		}
	}
	if e, err := s.Export(ctx, bob.User.ID); err != nil || len(e.Reservations) != 2 || len(e.Keys) != 1 {
		t.Fatalf("the other account was touched: %+v %v", e, err)
	}
}

func TestDeleteAccountAsAdmin(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	other := newAdmin(t, s, "other-admin@example.com")
	alice := newPerson(t, s, "alicetag", "203.0.113.10")
	plain := newUser(t, s, "plain@example.com")

	before := snapshot(t, s)
	for name, a := range map[string]Actor{"user": {UserID: plain.ID}, "victim": {UserID: alice.User.ID}} {
		if _, err := s.DeleteAccountAsAdmin(ctx, a, alice.Email(), "asked by mail"); !errors.Is(err, ErrNotAdmin) {
			t.Errorf("%s: %v, want ErrNotAdmin", name, err)
		}
	}
	for _, c := range []struct {
		email, reason string
		want          error
	}{
		{alice.Email(), "  ", ErrBadReason},
		{"not an email", "x", ErrBadEmail},
		{"nobody@example.com", "x", ErrNoUser},
		{"boss@example.com", "x", ErrDeleteSelf},
		{"other-admin@example.com", "x", ErrDeleteAdmin},
	} {
		if _, err := s.DeleteAccountAsAdmin(ctx, admin, c.email, c.reason); !errors.Is(err, c.want) {
			t.Errorf("delete %q (%q): %v, want %v", c.email, c.reason, err, c.want)
		}
	}
	if after := snapshot(t, s); after != before {
		t.Fatalf("refused erasures changed data:\n%s\nwant\n%s", after, before)
	}
	if _, err := s.UserByID(ctx, other.UserID); err != nil {
		t.Fatal(err)
	}

	// What admins typed may name the person: the search before the
	// erasure, a reason elsewhere. The email must not outlive the account
	// there either.
	if _, _, err := s.AdminUsers(ctx, admin, "AliceTag@example.com", 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreditAsAdmin(ctx, admin, "plain@example.com", 5, "as agreed with ALICETAG@example.com"); err != nil {
		t.Fatal(err)
	}
	sub := s.Hub().Subscribe(alice.User.ID)
	defer sub.Close()
	d, err := s.DeleteAccountAsAdmin(ctx, admin, " AliceTag@Example.com ", "signed request from the account's email, ticket 12")
	if err != nil {
		t.Fatal(err)
	}
	if d.UserID != alice.User.ID || d.AuditID == 0 || d.DeletedAt.IsZero() {
		t.Fatalf("result %+v", d)
	}
	for e := range sub.C {
		if e.Kind == EventAccountDeleted {
			break // the person's sessions are told to end
		}
	}
	log, _ := s.AuditLog(ctx, 3)
	if log[2].Target != "[erased account]" || log[1].Reason != "as agreed with [erased account]" {
		t.Fatalf("admin text keeps the email: %+v", log[1:])
	}
	if rows, _ := s.Ledger(ctx, plain.ID, 1); rows[0].Note != "as agreed with [erased account]" {
		t.Fatalf("a ledger note keeps the email: %q", rows[0].Note)
	}
	wantDetail := "erased 1 keys, 2 numbers, 0 rentals, 1 support threads; kept 5 ledger rows, 2 orders, anonymous"
	if len(log) != 3 || log[0].ID != d.AuditID || log[0].Action != AuditDeleteAccount || log[0].ActorID != admin.UserID ||
		log[0].TargetUserID != alice.User.ID || log[0].Reason != "signed request from the account's email, ticket 12" ||
		log[0].Detail != wantDetail || log[0].RemoteAddr != adminOrigin.RemoteAddr {
		t.Fatalf("audit %+v", log)
	}
	checkErased(t, s, alice)
	if _, err := s.DeleteAccountAsAdmin(ctx, admin, alice.Email(), "again"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("second erasure: %v", err)
	}
	again, err := s.CreateUser(ctx, alice.Email(), "a new secret", origin)
	if err != nil || again.ID == alice.User.ID {
		t.Fatalf("the email cannot sign up again: %+v %v", again, err)
	}
}

// The erasure and its audit row commit together or not at all.
func TestAdminErasureAndAuditAreOneTransaction(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	alice := newPerson(t, s, "alicetag", "203.0.113.10")
	injectFailure(t, s, "UPDATE OF deleted_at", "users")
	if _, err := s.DeleteAccountAsAdmin(ctx, admin, alice.Email(), "x"); err == nil {
		t.Fatal("erasure succeeded despite the injected failure")
	}
	log, _ := s.AuditLog(ctx, 10)
	e, err := s.Export(ctx, alice.User.ID)
	if len(log) != 0 || err != nil || len(e.Keys) != 1 || len(e.Reservations) != 2 {
		t.Fatalf("a failed erasure left audit %+v, account %v", log, err)
	}
}

// A number reserved by another session of the account while its numbers
// are being given back is given back too before anything is erased; an
// account on which numbers keep coming is not erased at all.
func TestErasureGivesBackNumbersReservedMeanwhile(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "racing@example.com")
	credit(t, s, u, 1000)
	first, err := s.CreateReservation(ctx, newRes(u, 10))
	must(t, err)
	var given [][]int64
	who, reserveWhile := u, 1 // the other session's account, and in how many rounds it reserves
	s.SetReleaser(func(ctx context.Context, open []Reservation) {
		var ids []int64
		for _, r := range open {
			ids = append(ids, r.ID)
		}
		given = append(given, ids)
		if len(given) <= reserveWhile {
			must(t, err2(s.CreateReservation(ctx, newRes(who, 10))))
		}
	})
	if err := s.DeleteAccount(ctx, u.ID, "correct horse", origin); err != nil {
		t.Fatal(err)
	}
	if len(given) != 2 || len(given[0]) != 1 || given[0][0] != first.ID || len(given[1]) != 1 || given[1][0] <= first.ID {
		t.Fatalf("given back %v: want the first number, then the one reserved meanwhile", given)
	}
	if n, _ := s.CountOpen(ctx, u.ID); n != 0 {
		t.Fatalf("%d numbers left", n)
	}

	v := newUser(t, s, "flood@example.com")
	credit(t, s, v, 1000)
	must(t, err2(s.CreateReservation(ctx, newRes(v, 10))))
	given, who, reserveWhile = nil, v, eraseRounds
	if err := s.DeleteAccount(ctx, v.ID, "correct horse", origin); !errors.Is(err, ErrErasureRace) {
		t.Fatalf("erasure while numbers keep coming: %v", err)
	}
	if _, err := s.UserByID(ctx, v.ID); err != nil {
		t.Fatalf("the account was erased although a number was never given back: %v", err)
	}
	checkLedger(t, s)
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A reader that keeps a snapshot from before the erasure stops the log
// from being truncated: the erasure is done all the same, the operator is
// told in the log, and the next purge truncates it.
func TestErasureLogsAnUntruncatedLog(t *testing.T) {
	sqliteOnly(t, "the write-ahead log is SQLite's")
	var logged syncBuffer
	s, err := Open(filepath.Join(t.TempDir(), "wantsms.db"), Options{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	must(t, err)
	defer s.Close()
	ctx := context.Background()
	u := newUser(t, s, "stuck@example.com")
	must(t, err2(s.WriteSupport(ctx, u.ID, "a question zq9")))
	snapshot, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	must(t, err)
	var n int
	must(t, snapshot.QueryRow(`SELECT COUNT(*) FROM users`).Scan(&n))

	must(t, s.DeleteAccount(ctx, u.ID, "correct horse", origin))
	if _, err := s.UserByEmail(ctx, "stuck@example.com"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("the account is still there: %v", err)
	}
	if !strings.Contains(logged.String(), "erased rows stay in the write-ahead log") {
		t.Fatalf("nothing logged about the log left as it was:\n%s", logged.String())
	}
	if !strings.Contains(fileBytes(t, s), "a question zq9") {
		t.Fatal("the log was truncated although a reader held it: the test proves nothing")
	}
	must(t, snapshot.Rollback())
	must(t, err2(s.Purge(ctx)))
	if strings.Contains(fileBytes(t, s), "a question zq9") {
		t.Fatal("the purge left the erased text in the files")
	}
}

// The erasure meets what the trust work added: an admin's own account
// (its enrolled key), a pasted key still pending, a debt left by a
// disputed payment, an open number. The erasure goes through: the number
// is given back, the keys (enrolled and pending) go and identify nobody,
// the debt stays with the anonymous row for accounting, a refund arriving
// afterwards is taken back there, and the email signs up afresh with
// nothing of the old account: no key, no debt.
func TestErasureOfAnAdminWithPendingKeyDebtAndOpenNumber(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var released []Reservation
	s.SetReleaser(func(_ context.Context, open []Reservation) { released = append(released, open...) })
	admin := newAdmin(t, s, "boss@example.com")
	pasted := SpecOf(newPub(t))
	must(t, err2(s.AddPendingKey(ctx, admin.UserID, pasted, "laptop", origin)))
	boss := account(t, s, User{ID: admin.UserID})
	paidCard(t, s, boss, 5000, "cs_boss", "pi_boss")
	open, err := s.CreateReservation(ctx, newRes(boss, 4000))
	must(t, err)
	if r, err := s.ApplyStripeReversal(ctx, reversal("evt_dispute", ReversalDispute, "pi_boss", 2500)); err != nil ||
		r.DebtCents != 1500 {
		t.Fatalf("dispute: %+v %v; want a debt of 1500", r, err)
	}

	must(t, s.DeleteAccount(ctx, admin.UserID, "correct horse", origin))
	if len(released) != 1 || released[0].ID != open.ID {
		t.Fatalf("given back upstream: %+v, want the open number %d", released, open.ID)
	}
	for table, q := range map[string]string{
		"linked keys":  `SELECT COUNT(*) FROM ssh_keys WHERE user_id = ?`,
		"admin keys":   `SELECT COUNT(*) FROM admin_keys`,
		"pending keys": `SELECT COUNT(*) FROM pending_keys WHERE user_id = ?`,
	} {
		if n := count(t, s, q, admin.UserID); n != 0 {
			t.Errorf("%d %s of the erased account remain", n, table)
		}
	}
	if err := s.CheckActor(ctx, admin); err == nil {
		t.Error("the erased admin's key still acts as an admin")
	}
	var debt int64
	must(t, s.r.QueryRow(`SELECT debt_cents FROM users WHERE id = ?`, admin.UserID).Scan(&debt))
	if debt != 1500 {
		t.Errorf("the anonymous row owes %d, want the 1500 kept for accounting", debt)
	}
	if r, err := s.ApplyStripeReversal(ctx, reversal("evt_refund", ReversalRefund, "pi_boss", 2500)); err != nil ||
		r.DebtCents != 4000 {
		t.Fatalf("a refund after the erasure: %+v %v; want the rest owed by the anonymous row", r, err)
	}
	checkOK(t, s)

	again, _, existing, err := s.SignUp(ctx, "boss@example.com", "another horse", origin)
	if err != nil || existing || again.ID == admin.UserID || again.DebtCents != 0 || again.IsAdmin() {
		t.Fatalf("sign-up with the erased email: %+v existing=%v %v; want a new plain account without debt",
			again, existing, err)
	}
	if _, err := s.ProvePendingKey(ctx, again.ID, pasted, origin); !errors.Is(err, ErrNoKey) {
		t.Errorf("the erased account's pending key waits on the new one: %v", err)
	}
	if keys, err := s.Keys(ctx, again.ID); err != nil || len(keys) != 0 {
		t.Errorf("the new account has keys %+v %v", keys, err)
	}
	checkOK(t, s)
}
