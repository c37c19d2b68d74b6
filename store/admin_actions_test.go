package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// adminCalls is every admin action of the store, each called once with
// plausible arguments, for the refusal tests.
func adminCalls(target User, threadID, resID int64) map[string]func(context.Context, *Store, Actor) error {
	return map[string]func(context.Context, *Store, Actor) error{
		"users": func(ctx context.Context, s *Store, a Actor) error {
			_, _, err := s.AdminUsers(ctx, a, "", 10)
			return err
		},
		"page": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.AdminUserPage(ctx, a, target.ID)
			return err
		},
		"ban": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.BanUser(ctx, a, target.ID, "x")
			return err
		},
		"unban": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.UnbanUser(ctx, a, target.ID, "x")
			return err
		},
		"credit": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.CreditAsAdmin(ctx, a, target.Email, 5, "x")
			return err
		},
		"adjust": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.AdjustAsAdmin(ctx, a, target.ID, -5, "x")
			return err
		},
		"orders": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.AdminOrders(ctx, a, OrderQuery{})
			return err
		},
		"order lookup": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.AdminOrders(ctx, a, OrderQuery{Ref: "cs_test_1"})
			return err
		},
		"reservations": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.AdminOpenReservations(ctx, a, ReservationQuery{})
			return err
		},
		"force cancel": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.ForceEndReservation(ctx, a, resID, "x", "")
			return err
		},
		"inbox": func(ctx context.Context, s *Store, a Actor) error { _, err := s.SupportInbox(ctx, a, 10); return err },
		"thread": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.StaffThread(ctx, a, threadID)
			return err
		},
		"reply": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.ReplySupport(ctx, a, threadID, "hello")
			return err
		},
		"close": func(ctx context.Context, s *Store, a Actor) error { return s.CloseSupport(ctx, a, threadID) },
		"price set": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.SetPriceOverride(ctx, a, "telegram", "", 20_000)
			return err
		},
		"price clear": func(ctx context.Context, s *Store, a Actor) error {
			return s.ClearPriceOverride(ctx, a, "whatsapp", "")
		},
		"provider": func(ctx context.Context, s *Store, a Actor) error { return s.SetProviderEnabled(ctx, a, "sim", false) },
		"audit": func(ctx context.Context, s *Store, a Actor) error {
			_, err := s.SearchAudit(ctx, a, AuditQuery{})
			return err
		},
	}
}

// Every admin action is refused, changing nothing, to an actor that is
// not a live, unbanned admin in a session that proved a key linked to it.
func TestEveryAdminActionRefusedWithoutAdminPowers(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	credit(t, s, bob, 1000)
	r, err := s.CreateReservation(ctx, newRes(bob, 100))
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.WriteSupport(ctx, bob.ID, "help")
	if err != nil {
		t.Fatal(err)
	}
	// Something for "unban" and "price clear" to act on, were they allowed.
	if _, err := s.SetPriceOverride(ctx, admin, "whatsapp", "", 20_000); err != nil {
		t.Fatal(err)
	}
	plain := newUser(t, s, "plain@example.com")
	plainKey, err := s.LinkKey(ctx, plain.ID, SpecOf(newPub(t)), "", origin)
	if err != nil {
		t.Fatal(err)
	}
	revoked := newAdmin(t, s, "was@example.com")
	if _, err := s.RevokeAdmin(ctx, "was@example.com", "test"); err != nil {
		t.Fatal(err)
	}
	banned := newAdmin(t, s, "banned@example.com")
	if _, err := s.BanUser(ctx, admin, banned.UserID, "compromised"); err != nil {
		t.Fatal(err)
	}
	unlinked := newAdmin(t, s, "unlinked@example.com")
	keys, _ := s.Keys(ctx, unlinked.UserID)
	if err := s.RemoveKey(ctx, unlinked.UserID, keys[0].ID, origin); !errors.Is(err, ErrAdminKeyHeld) {
		t.Fatalf("an admin key removed from the dashboard: %v", err)
	}
	if err := s.RemoveAdminKey(ctx, "unlinked@example.com", keys[0].Fingerprint, "test"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveKey(ctx, unlinked.UserID, keys[0].ID, origin); err != nil {
		t.Fatal(err)
	}
	// An admin's key linked from the dashboard (password alone), and one
	// whose enrolment the host removed.
	dashboard, err := s.LinkKey(ctx, admin.UserID, SpecOf(newPub(t)), "", origin)
	if err != nil {
		t.Fatal(err)
	}
	unenrolled := newAdmin(t, s, "unenrolled@example.com")
	if err := s.RemoveAdminKey(ctx, "unenrolled@example.com", unenrolled.Key, "test"); err != nil {
		t.Fatal(err)
	}
	actors := map[string]Actor{
		"user with a key":              {UserID: plain.ID, Key: plainKey.Fingerprint},
		"revoked admin":                revoked,
		"banned admin":                 banned,
		"admin by password":            {UserID: admin.UserID, Origin: adminOrigin}, // no key proved
		"admin with another's key":     {UserID: admin.UserID, Key: plainKey.Fingerprint},
		"admin whose key was removed":  unlinked,
		"admin with a dashboard key":   {UserID: admin.UserID, Key: dashboard.Fingerprint},
		"admin with an unenrolled key": unenrolled,
		"no such account":              {UserID: 999, Key: plainKey.Fingerprint},
	}
	before := snapshot(t, s)
	for name, call := range adminCalls(bob, m.ThreadID, r.ID) {
		for who, a := range actors {
			if err := call(ctx, s, a); !errors.Is(err, ErrNotAdmin) {
				t.Errorf("%s by %s: %v, want ErrNotAdmin", name, who, err)
			}
		}
	}
	if after := snapshot(t, s); after != before {
		t.Fatalf("refused actions changed data:\n%s\nwant\n%s", after, before)
	}
	if got, _ := s.Reservation(ctx, r.ID); got.State != ResActive {
		t.Fatalf("reservation %+v after refused cancels", got)
	}
	if th, _, _ := s.SupportHistory(ctx, bob.ID); len(th) != 1 || len(th[0].Messages) != 1 || !th[0].Open {
		t.Fatalf("support after refused replies: %+v", th)
	}
	// The real admin can do each of them.
	for name, call := range adminCalls(bob, m.ThreadID, r.ID) {
		if name == "unban" || name == "close" {
			continue // they depend on order: tested on their own
		}
		if err := call(ctx, s, admin); err != nil {
			t.Errorf("%s by the admin: %v", name, err)
		}
	}
}

func TestBanRefusesReserveAndTopUpWithTheReason(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	credit(t, s, bob, 1000)
	open, err := s.CreateReservation(ctx, newRes(bob, 100))
	if err != nil {
		t.Fatal(err)
	}
	sub := s.Hub().Subscribe(bob.ID)
	defer sub.Close()
	if _, err := s.BanUser(ctx, admin, bob.ID, "   "); !errors.Is(err, ErrBadReason) {
		t.Fatalf("ban without a reason: %v", err)
	}
	if _, err := s.BanUser(ctx, admin, admin.UserID, "oops"); !errors.Is(err, ErrSelfBan) {
		t.Fatalf("self-ban: %v", err)
	}
	u, err := s.BanUser(ctx, admin, bob.ID, "chargeback fraud")
	if err != nil || !u.Banned() || u.BanReason != "chargeback fraud" {
		t.Fatalf("ban: %+v %v", u, err)
	}
	if e := <-sub.C; e.Kind != EventAccount {
		t.Fatalf("event %+v, want account", e)
	}
	if _, err := s.BanUser(ctx, admin, bob.ID, "again"); !errors.Is(err, ErrAlreadyBanned) {
		t.Fatalf("second ban: %v", err)
	}
	var be *BannedError
	if _, err := s.CreateReservation(ctx, newRes(bob, 100)); !errors.As(err, &be) ||
		!strings.Contains(err.Error(), "chargeback fraud") {
		t.Fatalf("reserve while banned: %v", err)
	}
	if _, err := s.CreateOrder(ctx, NewOrder{UserID: bob.ID, Processor: ProcessorStripe, AmountCents: 500}); !errors.As(err, &be) {
		t.Fatalf("top-up while banned: %v", err)
	}
	// Still signs in and reads history; support still reaches us.
	if _, err := s.SignIn(ctx, "bob@example.com", "correct horse", origin); err != nil {
		t.Fatalf("sign in while banned: %v", err)
	}
	if _, err := s.EndReservation(ctx, open.ID, ResExpired); err != nil {
		t.Fatal(err)
	}
	if h, _, err := s.History(ctx, bob.ID, HistoryQuery{}); err != nil || len(h) != 1 {
		t.Fatalf("history while banned: %d %v", len(h), err)
	}
	if _, err := s.WriteSupport(ctx, bob.ID, "why am I banned?"); err != nil {
		t.Fatalf("support while banned: %v", err)
	}
	if u, err := s.UnbanUser(ctx, admin, bob.ID, "bank confirmed it was a mistake"); err != nil || u.Banned() || u.BanReason != "" {
		t.Fatalf("unban: %+v %v", u, err)
	}
	if _, err := s.UnbanUser(ctx, admin, bob.ID, "again"); !errors.Is(err, ErrNotBanned) {
		t.Fatalf("second unban: %v", err)
	}
	if _, err := s.CreateReservation(ctx, newRes(bob, 100)); err != nil {
		t.Fatalf("reserve after unban: %v", err)
	}
	log, _ := s.AuditLog(ctx, 10)
	if len(log) != 2 || log[0].Action != AuditUnban || log[1].Action != AuditBan || log[1].Reason != "chargeback fraud" ||
		log[1].TargetUserID != bob.ID || log[1].ActorEmail != "boss@example.com" || log[1].TargetEmail != "bob@example.com" {
		t.Fatalf("audit %+v", log)
	}
}

func TestAdjustCreditsAndDebitsThroughTheLedger(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	if _, err := s.AdjustAsAdmin(ctx, admin, bob.ID, 300, ""); !errors.Is(err, ErrBadReason) {
		t.Fatalf("no reason: %v", err)
	}
	for _, c := range []int64{0, MaxAdminCreditCents + 1, -MaxAdminCreditCents - 1} {
		if _, err := s.AdjustAsAdmin(ctx, admin, bob.ID, c, "x"); !errors.Is(err, ErrBadAmount) {
			t.Fatalf("amount %d: %v", c, err)
		}
	}
	c, err := s.AdjustAsAdmin(ctx, admin, bob.ID, 300, "goodwill for ticket 9")
	if err != nil || c.BalanceCents != 300 {
		t.Fatalf("credit: %+v %v", c, err)
	}
	before := snapshot(t, s)
	if _, err := s.AdjustAsAdmin(ctx, admin, bob.ID, -301, "too much"); !errors.Is(err, ErrDebitOverdraft) {
		t.Fatalf("overdraft: %v", err)
	}
	if after := snapshot(t, s); after != before {
		t.Fatalf("refused debit left changes:\n%s", after)
	}
	d, err := s.AdjustAsAdmin(ctx, admin, bob.ID, -120, "double top-up reversed")
	if err != nil || d.BalanceCents != 180 || d.AmountCents != -120 {
		t.Fatalf("debit: %+v %v", d, err)
	}
	rows, _ := s.Ledger(ctx, bob.ID, 10)
	if len(rows) != 2 || rows[0].Kind != LedgerAdjust || rows[0].AmountCents != -120 || rows[0].Reference != d.Reference ||
		rows[0].Note != "double top-up reversed" || rows[1].AmountCents != 300 {
		t.Fatalf("ledger %+v", rows)
	}
	log, _ := s.AuditLog(ctx, 10)
	if len(log) != 2 || log[0].Action != AuditDebit || log[0].Detail != "-120 cents" || log[1].Action != AuditCredit {
		t.Fatalf("audit %+v", log)
	}
	if _, err := s.AdjustAsAdmin(ctx, admin, 999, 5, "x"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("unknown account: %v", err)
	}
	checkOK(t, s)
}

func TestUserSearchByFingerprintAndUserPage(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	k, err := s.LinkKey(ctx, bob.ID, SpecOf(newPub(t)), "laptop", origin)
	if err != nil {
		t.Fatal(err)
	}
	users, _, err := s.AdminUsers(ctx, admin, "  "+k.Fingerprint[:20], 10)
	if err != nil || len(users) != 1 || users[0].ID != bob.ID {
		t.Fatalf("search by fingerprint: %+v %v", users, err)
	}
	if users, _, _ := s.AdminUsers(ctx, admin, strings.ToLower(k.Fingerprint), 10); len(users) != 0 {
		t.Fatalf("a fingerprint's case matters: %+v", users)
	}
	credit(t, s, bob, 1000)
	if _, err := s.CreateReservation(ctx, newRes(bob, 100)); err != nil {
		t.Fatal(err)
	}
	stripeOrder(t, s, bob, 500, "cs_test_page")
	if _, err := s.AdjustAsAdmin(ctx, admin, bob.ID, 50, "sorry"); err != nil {
		t.Fatal(err)
	}
	p, err := s.AdminUserPage(ctx, admin, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.User.ID != bob.ID || p.User.BalanceCents != 950 || len(p.Keys) != 1 || len(p.Ledger) != 3 ||
		len(p.Reservations) != 1 || len(p.Orders) != 1 || len(p.Security) < 2 {
		t.Fatalf("page %+v", p)
	}
	// The page shows the actions on this account, its own opening included.
	if len(p.Audit) != 2 || p.Audit[0].Action != AuditUserView || p.Audit[1].Action != AuditCredit {
		t.Fatalf("page audit %+v", p.Audit)
	}
	// Reopened at once (after an action on it): one look, one row.
	if p, _ = s.AdminUserPage(ctx, admin, bob.ID); len(p.Audit) != 2 {
		t.Fatalf("page audit after reopening %+v", p.Audit)
	}
	clock.Add(11 * time.Minute)
	if p, _ = s.AdminUserPage(ctx, admin, bob.ID); len(p.Audit) != 3 {
		t.Fatalf("page audit a while later %+v", p.Audit)
	}
	if _, err := s.AdminUserPage(ctx, admin, 999); !errors.Is(err, ErrNoUser) {
		t.Fatalf("page of nobody: %v", err)
	}
}

func TestAdminOrdersFilterAndLookup(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	card := stripeOrder(t, s, bob, 500, "cs_test_Lookup1")
	if _, err := s.ApplyStripe(ctx, StripeUpdate{EventID: "evt_1", EventType: "checkout.session.completed",
		SessionID: "cs_test_Lookup1", OrderNumber: card.Number, PaymentIntentID: "pi_Lookup1", AmountTotal: 500,
		Currency: "usd", Outcome: StripePaid}); err != nil {
		t.Fatal(err)
	}
	const addr = "bc1qtestaddress0000000000000000000000000c"
	btc := btcOrder(t, s, bob, 1000, addr)
	txid := strings.Repeat("c", 64)
	if _, err := s.ApplyBTC(ctx, BTCUpdate{Addr: addr, Txid: txid, Status: 0, ValueSats: 100}, rule50k); err != nil {
		t.Fatal(err)
	}
	numbers := func(os []Order) string {
		var b []string
		for _, o := range os {
			b = append(b, o.Number)
		}
		return strings.Join(b, ",")
	}
	cases := []struct {
		q    OrderQuery
		want string
	}{
		{OrderQuery{}, btc.Number + "," + card.Number},
		{OrderQuery{Status: OrderPaid}, card.Number},
		{OrderQuery{Processor: ProcessorBlockonomics}, btc.Number},
		{OrderQuery{Status: OrderPaid, Processor: ProcessorBlockonomics}, ""},
		{OrderQuery{Ref: strings.ToUpper(card.Number)}, card.Number},
		{OrderQuery{Ref: " cs_test_Lookup1 "}, card.Number},
		{OrderQuery{Ref: "cs_test_lookup1"}, ""}, // Stripe ids are case-sensitive
		{OrderQuery{Ref: "pi_Lookup1"}, card.Number},
		{OrderQuery{Ref: strings.ToUpper(txid)}, btc.Number},
		{OrderQuery{Ref: addr}, btc.Number},
	}
	for _, c := range cases {
		got, err := s.AdminOrders(ctx, admin, c.q)
		if err != nil || numbers(got) != c.want {
			t.Errorf("%+v: %s %v, want %s", c.q, numbers(got), err, c.want)
		}
	}
	for _, bad := range []OrderQuery{{Status: "lost"}, {Processor: "paypal"}, {Ref: "x\x1b"}, {Limit: MaxOrdersPage + 1}} {
		if _, err := s.AdminOrders(ctx, admin, bad); !errors.Is(err, ErrBadOrderQuery) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	// Lookups are audited, against the account they led to; lists are not.
	log, _ := s.SearchAudit(ctx, admin, AuditQuery{Text: "orders.search"})
	if len(log) != 6 || log[0].Target != addr || log[0].TargetUserID != bob.ID || log[3].TargetUserID != 0 {
		t.Fatalf("audit %+v", log)
	}
}

func TestForceEndRefundsOpenNumbersOnce(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob := newUser(t, s, "bob@example.com")
	credit(t, s, bob, 1000)
	active, _ := s.CreateReservation(ctx, newRes(bob, 100))
	nr := newRes(bob, 200)
	nr.Service, nr.Country, nr.Provider = "whatsapp", "us", "fivesim"
	received, _ := s.CreateReservation(ctx, nr)
	if _, err := s.AddMessage(ctx, received.ID, NewMessage{ProviderID: "m1", Body: "code 1234", Code: "1234"}); err != nil {
		t.Fatal(err)
	}
	list := func(q ReservationQuery) []int64 {
		t.Helper()
		rs, err := s.AdminOpenReservations(ctx, admin, q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	if got := list(ReservationQuery{}); len(got) != 2 || got[0] != received.ID {
		t.Fatalf("all open: %v", got)
	}
	for _, q := range []ReservationQuery{{Service: "whatsapp"}, {Country: "us"}, {Provider: "fivesim"}, {State: ResReceived}} {
		if got := list(q); len(got) != 1 || got[0] != received.ID {
			t.Errorf("%+v: %v", q, got)
		}
	}
	if _, err := s.AdminOpenReservations(ctx, admin, ReservationQuery{State: ResExpired}); !errors.Is(err, ErrBadReservationQuery) {
		t.Fatalf("ended state filter: %v", err)
	}
	if _, err := s.ForceEndReservation(ctx, admin, active.ID, "", ""); !errors.Is(err, ErrBadReason) {
		t.Fatalf("no reason: %v", err)
	}
	sub := s.Hub().Subscribe(bob.ID)
	defer sub.Close()
	// Support refunds even a number that got its SMS, when it decides to.
	r, err := s.ForceEndReservation(ctx, admin, received.ID, "code never worked", "finished upstream")
	if err != nil || r.State != ResCancelled || !r.Refunded {
		t.Fatalf("force end: %+v %v", r, err)
	}
	if e := <-sub.C; e.Kind != EventBalance {
		t.Fatalf("first event %+v", e)
	}
	if _, err := s.ForceEndReservation(ctx, admin, received.ID, "again", ""); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("second force end: %v", err)
	}
	if _, err := s.EndReservation(ctx, received.ID, ResExpired); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("expiry after force end: %v", err)
	}
	if b := resBalance(t, s, bob); b != 1000-100 {
		t.Fatalf("balance %d", b)
	}
	log, _ := s.AuditLog(ctx, 1)
	if log[0].Action != AuditForceCancel || log[0].Target != ResRef(received.ID) || log[0].Reason != "code never worked" ||
		log[0].Detail != "was received; refunded 200 cents; upstream: finished upstream" {
		t.Fatalf("audit %+v", log[0])
	}
	if got := list(ReservationQuery{}); len(got) != 1 || got[0] != active.ID {
		t.Fatalf("open after force end: %v", got)
	}
	checkOK(t, s)
}

func TestStaffSupportInboxReplyClose(t *testing.T) {
	s, clock := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	ann, bob := newUser(t, s, "ann@example.com"), newUser(t, s, "bob@example.com")
	a1, _ := s.WriteSupport(ctx, ann.ID, "first question")
	clock.Add(time.Minute)
	b1, _ := s.WriteSupport(ctx, bob.ID, "my number never got its SMS")
	clock.Add(time.Minute)
	if _, err := s.ReplySupport(ctx, admin, a1.ThreadID, "   "); !errors.Is(err, ErrEmptyMessage) {
		t.Fatalf("empty reply: %v", err)
	}
	sub := s.Hub().Subscribe(ann.ID)
	defer sub.Close()
	if _, err := s.ReplySupport(ctx, admin, a1.ThreadID, "We are on it."); err != nil {
		t.Fatal(err)
	}
	if e := <-sub.C; e.Kind != EventSupport || e.Ref != a1.ThreadID {
		t.Fatalf("event %+v", e)
	}
	if n, _ := s.UnreadSupport(ctx, ann.ID); n != 1 {
		t.Fatalf("ann unread %d", n)
	}
	inbox, err := s.SupportInbox(ctx, admin, 10)
	// Bob waits for an answer: first. Ann was answered: after.
	if err != nil || len(inbox) != 2 || inbox[0].ID != b1.ThreadID || !inbox[0].Waiting || inbox[0].Email != "bob@example.com" ||
		inbox[1].ID != a1.ThreadID || inbox[1].Waiting || inbox[1].Messages != 2 || inbox[1].Last.Body != "We are on it." {
		t.Fatalf("inbox %+v", inbox)
	}
	if err := s.CloseSupport(ctx, admin, b1.ThreadID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplySupport(ctx, admin, b1.ThreadID, "late"); !errors.Is(err, ErrThreadClosed) {
		t.Fatalf("reply to a closed thread: %v", err)
	}
	if err := s.CloseSupport(ctx, admin, b1.ThreadID); !errors.Is(err, ErrThreadClosed) {
		t.Fatalf("close twice: %v", err)
	}
	if _, err := s.ReplySupport(ctx, admin, 999, "x"); !errors.Is(err, ErrNoThread) {
		t.Fatalf("reply to nothing: %v", err)
	}
	inbox, _ = s.SupportInbox(ctx, admin, 10)
	if inbox[0].ID != a1.ThreadID || inbox[1].ID != b1.ThreadID || inbox[1].Open {
		t.Fatalf("closed threads go last: %+v", inbox)
	}
	th, err := s.StaffThread(ctx, admin, a1.ThreadID)
	if err != nil || len(th.Messages) != 2 || !th.Messages[1].FromStaff || th.Email != "ann@example.com" {
		t.Fatalf("thread %+v %v", th, err)
	}
	// Bob writes again: a new thread, open, first in the inbox.
	b2, _ := s.WriteSupport(ctx, bob.ID, "still nothing")
	if inbox, _ = s.SupportInbox(ctx, admin, 10); inbox[0].ID != b2.ThreadID || b2.ThreadID == b1.ThreadID {
		t.Fatalf("new thread %+v", inbox)
	}
	log, _ := s.SearchAudit(ctx, admin, AuditQuery{TargetUserID: bob.ID})
	if len(log) != 1 || log[0].Action != AuditSupportClose || log[0].Target != "thread:"+itoa(b1.ThreadID) {
		t.Fatalf("audit %+v", log)
	}
}

func TestPriceOverridesAndProviderSettings(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	for _, bad := range []struct {
		service, country string
		bp               int64
		want             error
	}{
		{"", "", 20_000, ErrBadPriceScope},
		{"Telegram", "", 20_000, ErrBadPriceScope},
		{"telegram", "u s", 20_000, ErrBadPriceScope},
		{"telegram", "", 9_999, ErrBadMarkup},
		{"telegram", "", 100_001, ErrBadMarkup},
	} {
		if _, err := s.SetPriceOverride(ctx, admin, bad.service, bad.country, bad.bp); !errors.Is(err, bad.want) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := s.SetPriceOverride(ctx, admin, "telegram", "", 20_000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPriceOverride(ctx, admin, "telegram", "", 25_000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPriceOverride(ctx, admin, "", "gb", 12_500); err != nil {
		t.Fatal(err)
	}
	got, err := s.PriceOverrides(ctx)
	if err != nil || len(got) != 2 || got[0].Scope() != "*/gb" || got[0].MarkupBP != 12_500 ||
		got[1].Scope() != "telegram/*" || got[1].MarkupBP != 25_000 || got[1].UpdatedBy != admin.UserID {
		t.Fatalf("overrides %+v %v", got, err)
	}
	if err := s.ClearPriceOverride(ctx, admin, "", "gb"); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearPriceOverride(ctx, admin, "", "gb"); !errors.Is(err, ErrNoOverride) {
		t.Fatalf("clear twice: %v", err)
	}
	if err := s.SetProviderEnabled(ctx, admin, "fivesim", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProviderEnabled(ctx, admin, "Bad Name", false); !errors.Is(err, ErrBadProvider) {
		t.Fatalf("bad provider: %v", err)
	}
	ps, err := s.ProviderSettings(ctx)
	if err != nil || len(ps) != 1 || ps[0].Name != "fivesim" || ps[0].Enabled {
		t.Fatalf("provider settings %+v %v", ps, err)
	}
	log, _ := s.AuditLog(ctx, 10)
	var lines []string
	for _, e := range log {
		lines = append(lines, string(e.Action)+" "+e.Target+" "+e.Detail)
	}
	want := "provider.disable fivesim |price.clear */gb was ×1.25|price.set */gb markup ×1.25|" +
		"price.set telegram/* markup ×2.50 (was ×2.00)|price.set telegram/* markup ×2.00"
	if strings.Join(lines, "|") != want {
		t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(lines, "|"), want)
	}
}

func TestSearchAudit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	admin := newAdmin(t, s, "boss@example.com")
	bob, carl := newUser(t, s, "bob@example.com"), newUser(t, s, "carl@example.com")
	s.AdjustAsAdmin(ctx, admin, bob.ID, 100, "Refund 50%_off promo")
	s.BanUser(ctx, admin, carl.ID, "spam")
	cases := map[string]int{"": 2, "promo": 1, "50%_": 1, "50%x": 0, "CARL@": 1, "boss": 2, "ban": 1, "+100": 1}
	for text, n := range cases {
		got, err := s.SearchAudit(ctx, admin, AuditQuery{Text: text})
		if err != nil || len(got) != n {
			t.Errorf("search %q: %d rows %v, want %d", text, len(got), err, n)
		}
	}
	if got, _ := s.SearchAudit(ctx, admin, AuditQuery{TargetUserID: carl.ID}); len(got) != 1 || got[0].Action != AuditBan {
		t.Fatalf("by target %+v", got)
	}
	if _, err := s.SearchAudit(ctx, admin, AuditQuery{Text: "a\x1bb"}); !errors.Is(err, ErrBadSearch) {
		t.Fatalf("control characters: %v", err)
	}
}
