package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A ledger row whose reference names another account's reservation,
// order or audit row, or nothing, is reported by Check even when every
// balance still equals its ledger; numbers gone with an erased account or
// by the purge are not.
func TestCheckFindsReferencesToOthersOrNobody(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	veteran := newUser(t, s, "veteran@example.com")
	credit(t, s, veteran, 100)
	endedRes(t, s, veteran, "old")
	clock.Add(HistoryRetention + day)
	purge(t, s) // the old number goes, its ledger rows stay
	alice := newPerson(t, s, "alicetag", "203.0.113.10")
	bob := newPerson(t, s, "bobtag", "203.0.113.20")
	erased := newPerson(t, s, "erasedtag", "203.0.113.30")
	must(t, s.DeleteAccount(ctx, erased.User.ID, "correct horse", origin)) // its numbers go, its ledger rows stay
	goodwill, err := s.CreditAsAdmin(ctx, admin, alice.Email(), 70, "goodwill")
	must(t, err)
	if rep, err := s.Check(ctx); err != nil || !rep.OK() {
		t.Fatalf("check of a sound database: %+v %v", rep, err)
	}

	raw := openRaw(t, s)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Each forgery keeps every balance equal to its ledger.
	move := func(kind LedgerKind, ref string, to User) { // a row of alice's given to another account
		t.Helper()
		var amount int64
		must(t, raw.QueryRow(`SELECT amount_cents FROM ledger WHERE kind = ? AND reference = ?`, kind, ref).Scan(&amount))
		exec(`UPDATE ledger SET user_id = ? WHERE kind = ? AND reference = ?`, to.ID, kind, ref)
		exec(`UPDATE users SET balance_cents = balance_cents - ? WHERE id = ?`, amount, alice.User.ID)
		exec(`UPDATE users SET balance_cents = balance_cents + ? WHERE id = ?`, amount, to.ID)
	}
	forge := func(u User, amount int64, kind LedgerKind, ref string) {
		t.Helper()
		exec(`INSERT INTO ledger (user_id, amount_cents, kind, reference, created_at) VALUES (?, ?, ?, ?, ?)`,
			u.ID, amount, kind, ref, s.Now().Unix())
		exec(`UPDATE users SET balance_cents = balance_cents + ? WHERE id = ?`, amount, u.ID)
	}
	move(LedgerReserve, ResRef(alice.Ended.ID), bob.User)
	move(LedgerTopup, alice.Card.Number, bob.User)
	move(LedgerAdjust, goodwill.Reference, bob.User)
	forge(bob.User, 40, LedgerRefund, ResRef(9999))
	forge(bob.User, 40, LedgerTopup, "nosuchorder")
	forge(alice.User, 40, LedgerTopup, alice.BTC.Number+":"+strings.Repeat("cd", 32))
	forge(bob.User, 40, LedgerAdjust, "audit:9999")
	forge(bob.User, -20, LedgerReversal, alice.Card.Number+":rev:20")
	forge(bob.User, -20, LedgerReversal, "nosuchorder:rev:20")
	forge(bob.User, 30, LedgerRefund, ResRef(bob.Open.ID)) // not refunded
	exec(`DELETE FROM ledger WHERE kind = ? AND reference = ?`, LedgerReserve, ResRef(bob.Ended.ID))
	exec(`UPDATE users SET balance_cents = balance_cents + 50 WHERE id = ?`, bob.User.ID)

	rep, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mismatches) != 0 {
		t.Fatalf("the forgeries moved a balance: %+v", rep.Mismatches)
	}
	want := []string{
		fmt.Sprintf("(reserve %s, -50 cents, account %d): the reservation is account %d's", ResRef(alice.Ended.ID), bob.User.ID, alice.User.ID),
		fmt.Sprintf("(topup %s, 1000 cents, account %d): the order is account %d's", alice.Card.Number, bob.User.ID, alice.User.ID),
		fmt.Sprintf("(adjust %s, 70 cents, account %d): its audit row is about account %d", goodwill.Reference, bob.User.ID, alice.User.ID),
		"(refund res:9999, 40 cents, account " + fmt.Sprint(bob.User.ID) + "): names no reservation",
		"(topup nosuchorder, 40 cents, account " + fmt.Sprint(bob.User.ID) + "): names no order",
		"): names no Bitcoin transaction of the order",
		"(adjust audit:9999, 40 cents, account " + fmt.Sprint(bob.User.ID) + "): names no audit row",
		fmt.Sprintf("(reversal %s:rev:20, -20 cents, account %d): the order is account %d's", alice.Card.Number, bob.User.ID, alice.User.ID),
		"(reversal nosuchorder:rev:20, -20 cents, account " + fmt.Sprint(bob.User.ID) + "): names no order",
		fmt.Sprintf("(refund %s, 30 cents, account %d): the reservation is not marked refunded", ResRef(bob.Open.ID), bob.User.ID),
		fmt.Sprintf("reservation %d has no debit in the ledger", bob.Ended.ID),
	}
	got := strings.Join(rep.References, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("check does not report %q; it reports:\n%s", w, got)
		}
	}
	if rep.OK() || len(rep.References) != len(want) {
		t.Fatalf("%d findings, want %d:\n%s", len(rep.References), len(want), got)
	}
}
