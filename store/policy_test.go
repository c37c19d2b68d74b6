package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// count runs a COUNT(*) query.
func count(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Failed sign-ins leave a counter per typed email and per address; once
// the throttle has forgotten them (throttleWindow of quiet) the purge
// removes them, so neither the address nor the typed email stays.
func TestPurgeRemovesStaleSigninThrottles(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	newUser(t, s, "owner@example.com")
	o := Origin{RemoteAddr: "203.0.113.77:4000"}
	for _, email := range []string{"owner@example.com", "typo-nobody@example.com"} {
		if _, err := s.SignIn(ctx, email, "wrong guess", o); err != ErrWrongPassword {
			t.Fatalf("sign in %s: %v", email, err)
		}
	}
	const rows = `SELECT COUNT(*) FROM signin_throttle`
	if n := count(t, s, rows); n != 3 { // two emails, one address
		t.Fatalf("%d throttle rows, want 3", n)
	}
	clock.Add(throttleWindow)
	if got := purge(t, s)["stale sign-in throttles"]; got != 0 || count(t, s, rows) != 3 {
		t.Fatalf("purged %d within the window; the throttle still needs them", got)
	}
	clock.Add(time.Second)
	if got := purge(t, s)["stale sign-in throttles"]; got != 3 {
		t.Fatalf("purged %d stale throttle rows, want 3", got)
	}
	if n := count(t, s, rows); n != 0 {
		t.Fatalf("%d throttle rows survived the purge", n)
	}
	if strings.Contains(dumpTables(t, s), "typo-nobody") {
		t.Fatal("the email typed by somebody without an account survived the purge")
	}
}

// Orders (payment records) go 7 years after they closed, with their
// Bitcoin transactions; support conversations 1 year after they were
// closed; admin audit rows 2 years after the action. Open orders and
// conversations, younger rows and the ledger stay, and the books still
// balance.
func TestRetentionOfOrdersSupportAndAudit(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	p := newPerson(t, s, "keeper", "203.0.113.30") // a paid card order, a paid BTC order, a thread
	must(t, s.CloseSupport(ctx, admin, p.Thread))
	openOrder := stripeOrder(t, s, p.User, 500, "cs_test_open")
	must(t, err2(s.CreditAsAdmin(ctx, admin, p.Email(), 100, "goodwill")))
	audits := count(t, s, `SELECT COUNT(*) FROM admin_audit`)
	ledger := count(t, s, `SELECT COUNT(*) FROM ledger`)
	if audits < 2 {
		t.Fatalf("%d audit rows: the test needs the close and the credit", audits)
	}

	start := clock.Now() // when everything above closed
	at := func(d time.Duration) { clock.Add(start.Add(d).Sub(clock.Now())) }
	at(SupportRetention - time.Hour)
	m, err := s.WriteSupport(ctx, p.User.ID, "a new question") // a new, open thread
	must(t, err)
	if rep := purge(t, s); rep[PurgeSupport] != 0 || rep[PurgeAudit] != 0 || rep[PurgeOrders] != 0 {
		t.Fatalf("purged %v before any period was over", rep)
	}
	at(SupportRetention + time.Hour)
	if rep := purge(t, s); rep[PurgeSupport] != 1 || rep[PurgeAudit] != 0 || rep[PurgeOrders] != 0 {
		t.Fatalf("a year after closing: purged %v, want the closed conversation only", rep)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM support_messages m JOIN support_threads t ON t.id = m.thread_id
		WHERE t.id = ?`, p.Thread); n != 0 || count(t, s, `SELECT COUNT(*) FROM support_messages
		WHERE body LIKE '%keeper%'`) != 0 {
		t.Fatal("messages of the purged conversation remain")
	}
	if th, _, err := s.SupportHistory(ctx, p.User.ID); err != nil || len(th) != 1 || th[0].ID != m.ThreadID {
		t.Fatalf("the open conversation: %+v %v", th, err)
	}

	at(AuditRetention - time.Hour)
	if rep := purge(t, s); rep[PurgeAudit] != 0 {
		t.Fatalf("audit rows purged before 2 years: %v", rep)
	}
	at(AuditRetention + time.Hour)
	if rep := purge(t, s); rep[PurgeAudit] != int64(audits) || count(t, s, `SELECT COUNT(*) FROM admin_audit`) != 0 {
		t.Fatalf("2 years on: purged %v, want the %d audit rows", rep, audits)
	}

	// The card order closed when paid, the Bitcoin one likewise; the open
	// one (created, never paid) is closed by nobody here and stays.
	at(OrderRetention - time.Hour)
	if rep := purge(t, s); rep[PurgeOrders] != 0 {
		t.Fatalf("orders purged before 7 years: %v", rep)
	}
	at(OrderRetention + time.Hour)
	if rep := purge(t, s); rep[PurgeOrders] != 2 {
		t.Fatalf("7 years on: purged %v, want the 2 closed orders", rep)
	}
	for _, o := range []Order{p.Card, p.BTC} {
		if _, err := s.OrderByNumber(ctx, o.Number); !errors.Is(err, ErrNoOrder) {
			t.Fatalf("order %s: %v, want it gone", o.Number, err)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM btc_payments`); n != 0 {
		t.Fatalf("%d Bitcoin transactions of purged orders remain", n)
	}
	if got, err := s.OrderByNumber(ctx, openOrder.Number); err != nil || got.ID != openOrder.ID {
		t.Fatalf("the open order: %+v %v", got, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM ledger`); n != ledger {
		t.Fatalf("ledger %d rows, was %d: the balance is their sum", n, ledger)
	}
	checkLedger(t, s)
}

// Each period the screens show comes from the constant the purge uses, in
// the policy's own words.
func TestRetentionPeriodsReadAsThePolicySays(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{ReservationDetailRetention, "6 months"}, {HistoryRetention, "1 year"}, {SecurityEventRetention, "6 months"},
		{SupportRetention, "1 year"}, {OrderRetention, "7 years"}, {AuditRetention, "2 years"},
		{throttleWindow, "15 minutes"}, {stripeEventKeep, "1 month"}, {3 * 24 * time.Hour, "3 days"},
		{MailLogRetention, "6 months"}, {VerifyCodeTTL, "1 day"},
		{2 * time.Hour, "2 hours"},
	} {
		if got := FormatPeriod(c.d); got != c.want {
			t.Errorf("FormatPeriod(%v) = %q, want %q", c.d, got, c.want)
		}
	}
	seen := map[string]bool{}
	for _, p := range RetentionPeriods() {
		if seen[p.Label] || p.Label == "" || p.Detail == "" || p.After == "" {
			t.Errorf("period %+v: labels must be unique and every field said", p)
		}
		seen[p.Label] = true
	}
	// Whatever the purge removes by age has its period on the list.
	var listed []string
	for _, p := range RetentionPeriods() {
		listed = append(listed, fmt.Sprint(p.Keep))
	}
	for _, d := range []time.Duration{ReservationDetailRetention, HistoryRetention, SecurityEventRetention,
		SupportRetention, OrderRetention, AuditRetention, throttleWindow, stripeEventKeep, MailLogRetention} {
		if !strings.Contains(" "+strings.Join(listed, " ")+" ", " "+fmt.Sprint(d)+" ") {
			t.Errorf("retention %v is not on the list the screens show", d)
		}
	}
}

// Sign-up records the policy version accepted; the export carries it.
func TestSignUpRecordsThePolicyVersion(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "reader@example.com")
	if v, err := s.PolicyVersionAccepted(ctx, u.ID); err != nil || v != PrivacyPolicyVersion {
		t.Fatalf("accepted %q, %v; want %q", v, err, PrivacyPolicyVersion)
	}
	if e, err := s.Export(ctx, u.ID); err != nil || e.PolicyVersion != PrivacyPolicyVersion {
		t.Fatalf("export: %q %v", e.PolicyVersion, err)
	}
	if _, err := time.Parse(time.DateOnly, PrivacyPolicyVersion); err != nil {
		t.Fatalf("the version is the policy's date, YYYY-MM-DD: %v", err)
	}
}

// A Bitcoin callback for the address of an order closed 7 years ago whose
// transaction could not be looked up leaves a claim naming the order: the
// purge takes the claim with the order instead of failing, with every
// other retention of the hour, on the claim's reference.
func TestPurgeOfOldOrdersTakesTheirClaims(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	u := newUser(t, s, "payer@example.com")
	o := btcOrder(t, s, u, 500, "bc1qoldaddress")
	must(t, err2(s.ApplyBTC(ctx, BTCUpdate{Addr: "bc1qoldaddress", Txid: strings.Repeat("ab", 32),
		Status: BTCStatusConfirmed, ValueSats: 10_000}, rule50k)))
	clock.Add(OrderRetention + time.Hour)
	must(t, s.ClaimBTC(ctx, "bc1qoldaddress", strings.Repeat("cd", 32)))
	if rep := purge(t, s); rep[PurgeOrders] != 1 {
		t.Fatalf("purged %v, want the old order", rep)
	}
	if _, err := s.OrderByNumber(ctx, o.Number); !errors.Is(err, ErrNoOrder) {
		t.Fatalf("order %s: %v, want it gone", o.Number, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM btc_claims`); n != 0 {
		t.Fatalf("%d claims of the purged order remain", n)
	}
	checkLedger(t, s)
}
