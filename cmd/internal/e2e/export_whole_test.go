package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/billing"
	"github.com/wantsms/wantsms/billing/stripetest"
	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/store"
)

// richAccount is an account with every kind of data the export holds, each
// field with a value that is not its zero: two named keys, sign-ins with
// their SSH client, a number with an SMS and its sender, a refunded and an
// open number, a paid and an open card top-up, a failed one with a note, a
// Bitcoin top-up with a confirmed and an unconfirmed transaction, ledger
// rows of every kind with notes, two rentals (one cancelled and refunded,
// one with an SMS, an extension and a refused one), a closed conversation
// with a staff reply
// and an open one, a suspension, a pending key and a key enrolled for
// admin use, the mails all that sent, an email change waiting for its
// code and a notice turned off, favourites, API keys (one revoked),
// numbers asked from one operator, one of them reported as bad, and a
// webhook that got every event (its first post answered 500, to be tried
// again; the others 200).
func richAccount(t *testing.T, env *testenv.PayEnv) (store.User, ssh.Signer) {
	t.Helper()
	ctx := context.Background()
	st := env.Store()
	const email = "rich@example.com"
	u, key := env.NewUser(email)
	var posts atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if posts.Add(1) == 1 {
			http.Error(w, "busy, try later", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(receiver.Close)
	ok(t, env.Env, key, "webhook add "+receiver.URL+"/rich")
	laptop := store.SpecOf(testenv.NewKey(t).PublicKey())
	if _, err := st.LinkKey(ctx, u.ID, laptop, "work laptop",
		store.Origin{RemoteAddr: "198.51.100.4:2200", ClientVersion: "SSH-2.0-OpenSSH_9.6"}); err != nil {
		t.Fatal(err)
	}
	env.Credit(u.ID, 500, "grant-rich")

	newRes := func(ref string, sim bool) store.Reservation {
		r, err := st.CreateReservation(ctx, store.NewReservation{UserID: u.ID, Service: "telegram", Country: "gb",
			Phone: "+447700900" + ref[len(ref)-3:], Provider: "sim", ProviderRef: ref, Simulated: sim, CostMicros: 120_000,
			PriceCents: 40, Lifetime: time.Hour, Operator: map[bool]string{true: "vodafone"}[sim]})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	got := newRes("act-111", false)
	if _, err := st.AddMessage(ctx, got.ID, store.NewMessage{ProviderID: "sms-1", Sender: "Telegram",
		Body: "Telegram code 24680. Do not give it to anyone.", Code: "24680"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EndReservation(ctx, got.ID, store.ResFinished); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EndReservation(ctx, newRes("act-222", true).ID, store.ResExpired); err != nil {
		t.Fatal(err)
	}
	newRes("act-333", false) // open
	bad := newRes("act-444", true)
	if _, err := st.ClaimReport(ctx, store.ReportClaim{UserID: u.ID, ID: bad.ID, Reason: store.ReportUsed,
		MaxEarly: 1, EarlyWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EndReservation(ctx, bad.ID, store.ResCancelled); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"gb", "de"} {
		if _, err := st.AddFavourite(ctx, u.ID, "telegram", c); err != nil {
			t.Fatal(err)
		}
	}
	// An API key used once and revoked, and one never used.
	used := env.NewAPIKey(t, u.ID, "old bot")
	if _, err := st.ResolveAPIKey(ctx, used); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RevokeAPIKey(ctx, u.ID, "old bot", store.Origin{RemoteAddr: "test"}); err != nil {
		t.Fatal(err)
	}
	env.NewAPIKey(t, u.ID, "new bot")

	// A simulated rental given back with its refund, and one running with
	// an SMS, an extension and another the provider refused.
	newRental := func(ref string, sim bool) store.Rental {
		r, err := st.CreateRental(ctx, store.NewRental{UserID: u.ID, Service: "whatsapp", Country: "de",
			Phone: "+4915112345" + ref[len(ref)-3:], Provider: "sim", ProviderRef: ref, Simulated: sim,
			CostMicros: 900_000, PriceCents: 150, Days: 1, Period: 24 * time.Hour, CancelWindow: 20 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if _, err := st.CancelRental(ctx, u.ID, newRental("rent-555", true).ID); err != nil {
		t.Fatal(err)
	}
	kept := newRental("rent-666", false)
	if _, err := st.AddRentalMessage(ctx, kept.ID, store.NewMessage{ProviderID: "rsms-1", Sender: "WhatsApp",
		Body: "Your WhatsApp code: 482-913", Code: "482913"}); err != nil {
		t.Fatal(err)
	}
	for i, days := range []int{7, 1} {
		_, ext, err := st.ExtendRental(ctx, store.NewExtension{UserID: u.ID, RentalID: kept.ID, Days: days,
			Period: time.Duration(days) * 24 * time.Hour, PriceCents: int64(10 * days), CostMicros: 1})
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if _, err := st.UndoExtension(ctx, ext.ID); err != nil {
				t.Fatal(err)
			}
		}
	}

	ok(t, env.Env, key, "topup card 10")
	if code := env.StripeEvent(t, "evt_rich", billing.EventCheckoutCompleted, env.LastOrder(t, u.ID), true); code != 200 {
		t.Fatalf("stripe webhook: %d", code)
	}
	ok(t, env.Env, key, "topup card 5") // left open
	failed, err := st.CreateOrder(ctx, store.NewOrder{UserID: u.ID, Processor: store.ProcessorStripe, AmountCents: 700})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FailOrder(ctx, failed.Number, "Stripe was unreachable"); err != nil {
		t.Fatal(err)
	}
	ok(t, env.Env, key, "topup btc 10")
	btc := env.LastOrder(t, u.ID)
	half := btc.BTCExpectedSats / 2
	for i, status := range []int{store.BTCStatusConfirmed, 0} {
		if code := env.BTCCallback(t, status, btc.BTCAddress, strings.Repeat(fmt.Sprintf("%x", 10+i), 64), half); code != 200 {
			t.Fatalf("bitcoin callback: %d", code)
		}
	}

	admin, adminKey := env.NewAdmin("staff@example.com")
	ok(t, env.Env, adminKey, "admin credit "+email+" 250 --reason 'sorry for the wait'")
	m, err := st.WriteSupport(ctx, u.ID, "My code never came.")
	if err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{UserID: admin.ID, Key: store.SpecOf(adminKey.PublicKey()).Fingerprint,
		Origin: store.Origin{RemoteAddr: "203.0.113.1:22"}}
	if _, err := st.ReplySupport(ctx, actor, m.ThreadID, "Refunded: the number expired."); err != nil {
		t.Fatal(err)
	}
	if err := st.CloseSupport(ctx, actor, m.ThreadID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteSupport(ctx, u.ID, "Another question."); err != nil {
		t.Fatal(err)
	}
	ok(t, env.Env, adminKey, "admin ban "+email+" --reason 'chargeback'")
	// A pasted key waiting for its proof, and the laptop's key enrolled
	// for admin use on the server host.
	if _, err := st.AddPendingKey(ctx, u.ID, store.SpecOf(testenv.NewKey(t).PublicKey()), "phone",
		store.Origin{RemoteAddr: "198.51.100.4:2201"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.GrantAdmin(ctx, email, laptop, "operator@host"); err != nil {
		t.Fatal(err)
	}
	// An email change waiting for the new address's code, and support
	// answers no longer mailed.
	if _, err := st.ChangeEmail(ctx, u.ID, testenv.Password, "rich-next@example.com",
		store.Origin{RemoteAddr: "198.51.100.4:2202"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetNotice(ctx, u.ID, store.MailSupportReply, false); err != nil {
		t.Fatal(err)
	}
	return u, key
}

// debtor is an account whose card payment was refunded after most of its
// credits were spent: the order shows what was taken back, the account
// what it owes (an account holds a balance or a debt, never both).
func debtor(t *testing.T, env *testenv.PayEnv) (store.User, ssh.Signer) {
	t.Helper()
	ctx := context.Background()
	u, key := env.NewUser("owes@example.com")
	o, err := env.Svc.Payments().OpenCard(ctx, u, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if code := env.StripeEvent(t, "evt_owes", billing.EventCheckoutCompleted, o, true); code != 200 {
		t.Fatalf("stripe webhook: %d", code)
	}
	if _, err := env.Store().CreateReservation(ctx, store.NewReservation{UserID: u.ID, Service: "whatsapp",
		Country: "gb", Phone: "+447700900444", Provider: "sim", ProviderRef: "act-444", CostMicros: 120_000,
		PriceCents: 950, Lifetime: time.Hour}); err != nil {
		t.Fatal(err)
	}
	paid := env.LastOrder(t, u.ID)
	if code, err := stripetest.PostCharge(ctx, env.URL(billing.StripeWebhookPath), testenv.StripeWebhookSecret,
		stripetest.ChargeEvent{ID: "evt_owes_refund", Type: billing.EventChargeRefunded,
			PaymentIntent: paid.PaymentIntentID, Amount: paid.ChargedCents}); err != nil || code != 200 {
		t.Fatalf("refund: %d %v", code, err)
	}
	return u, key
}

// The export is the whole of what the database holds on the person:
// rebuilt here from the database's rows, field by field, it must equal
// the document `export` prints, so no field can go missing (or change)
// unnoticed. The account holds every kind of data, each field set.
func TestExportIsTheWholeOfTheDatabase(t *testing.T) {
	env := testenv.StartWithPayments(t, func(c *service.Config) { c.Webhooks.AllowPrivate = true })
	var wants []any
	for _, account := range []func(*testing.T, *testenv.PayEnv) (store.User, ssh.Signer){richAccount, debtor} {
		u, key := account(t, env)
		wants = append(wants, compareExport(t, env, u, key))
	}
	for _, path := range zeroEverywhere(wants) {
		t.Errorf("%s is empty in every row of the accounts: the comparison proves nothing about it", path)
	}
}

// compareExport exports the account over SSH and compares the document
// with the one rebuilt from the database, which it returns.
func compareExport(t *testing.T, env *testenv.PayEnv, u store.User, key ssh.Signer) any {
	t.Helper()
	// The mail log is exported as it stands: let the mails of what the
	// test did go out first, so that both reads see the same log.
	db := openDB(t, env.Env)
	eventually(t, func() bool {
		var n int
		return db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE user_id = ? AND status IN ('queued', 'sending')`,
			u.ID).Scan(&n) == nil && n == 0
	})
	// So is the webhook log: every delivery attempted once at least (the
	// one answered 500 waits 30 s for its next attempt).
	eventually(t, func() bool {
		var n int
		return db.QueryRow(`SELECT COUNT(*) FROM webhook_deliveries WHERE user_id = ? AND (status = 'sending'
			OR (status = 'queued' AND attempts = 0))`, u.ID).Scan(&n) == nil && n == 0
	})
	before := time.Now().Add(-time.Second)
	raw := ok(t, env.Env, key, "export --json")
	after := time.Now().Add(time.Second)

	got := decodeNumbers(t, []byte(raw))
	doc := got.(map[string]any)
	at, err := time.Parse(time.RFC3339, fmt.Sprint(doc["exported_at"]))
	if err != nil || at.Before(before.Truncate(time.Second)) || at.After(after) {
		t.Errorf("exported_at %v (%v), want the moment of the export", doc["exported_at"], err)
	}
	want := exportFromDB(t, db, u.ID)
	want["exported_at"] = doc["exported_at"]
	wantDoc := roundTrip(t, want)
	if !reflect.DeepEqual(got, wantDoc) {
		var diffs []string
		diff("", wantDoc, got, &diffs)
		t.Fatalf("the export of %s differs from the database:\n%s", u.Email, strings.Join(diffs, "\n"))
	}
	return wantDoc
}

// exportFromDB builds the export document from the database's rows, as
// the reference the export is compared with.
func exportFromDB(t *testing.T, db *sql.DB, uid int64) map[string]any {
	t.Helper()
	stamp := func(v sql.NullInt64) any {
		if !v.Valid {
			return nil
		}
		return time.Unix(v.Int64, 0).UTC().Format(time.RFC3339)
	}
	rows := func(q string, scan func(r *sql.Rows) any) []any {
		res, err := db.Query(q, uid)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer res.Close()
		out := []any{}
		for res.Next() {
			out = append(out, scan(res))
		}
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var email, role, banReason, policy string
	var balance, debt int64
	var created, banned, verified sql.NullInt64
	must(db.QueryRow(`SELECT email, role, balance_cents, debt_cents, created_at, banned_at, ban_reason, policy_version,
		email_verified_at FROM users WHERE id = ?`, uid).Scan(&email, &role, &balance, &debt, &created, &banned,
		&banReason, &policy, &verified))
	var pending string
	if err := db.QueryRow(`SELECT email FROM email_codes WHERE user_id = ? AND purpose = 'verify' AND email <> ?
		AND expires_at > ?`, uid, email, time.Now().Unix()).Scan(&pending); err != nil && err != sql.ErrNoRows {
		t.Fatal(err)
	}
	day := func(d time.Duration) int { return int(d / (24 * time.Hour)) }
	doc := map[string]any{
		"format": "wantsms-export", "version": 1,
		"account": map[string]any{"id": uid, "email": email, "role": role, "balance_cents": balance, "debt_cents": debt, "currency": "USD",
			"created_at": stamp(created), "banned_at": stamp(banned), "ban_reason": banReason,
			"privacy_policy_accepted": policy, "email_verified_at": stamp(verified), "pending_email": pending},
		"retention": map[string]any{
			"reservation_details_days": day(store.ReservationDetailRetention), "history_days": day(store.HistoryRetention),
			"security_events_days": day(store.SecurityEventRetention), "support_days_after_closed": day(store.SupportRetention),
			"orders_days_after_closed": day(store.OrderRetention), "admin_audit_days": day(store.AuditRetention),
			"mail_log_days": day(store.MailLogRetention), "webhook_log_days": day(store.WebhookLogRetention)},
	}
	doc["webhooks"] = rows(`SELECT id, url, format, created_at FROM webhooks WHERE user_id = ? ORDER BY id`,
		func(r *sql.Rows) any {
			var id int64
			var url, format string
			var created sql.NullInt64
			must(r.Scan(&id, &url, &format, &created))
			ds := []any{}
			res, err := db.Query(`SELECT event_id, event, status, attempts, COALESCE(last_status, 0), last_answer,
				created_at, CASE status WHEN 'queued' THEN next_attempt_at END, done_at FROM webhook_deliveries
				WHERE webhook_id = ? ORDER BY id DESC`, id)
			must(err)
			defer res.Close()
			for res.Next() {
				var eventID, event, status, answer string
				var attempts, httpStatus int64
				var at, next, done sql.NullInt64
				must(res.Scan(&eventID, &event, &status, &attempts, &httpStatus, &answer, &at, &next, &done))
				ds = append(ds, map[string]any{"event_id": eventID, "event": event, "status": status,
					"attempts": attempts, "http_status": httpStatus, "answer": answer, "created_at": stamp(at),
					"next_attempt_at": stamp(next), "done_at": stamp(done)})
			}
			return map[string]any{"id": id, "url": url, "format": format, "created_at": stamp(created),
				"deliveries": ds}
		})
	doc["mails"] = rows(`SELECT kind, to_addr, subject, status, created_at, done_at FROM outbox WHERE user_id = ?
		ORDER BY id`, func(r *sql.Rows) any {
		var kind, to, subject, status string
		var queued, done sql.NullInt64
		must(r.Scan(&kind, &to, &subject, &status, &queued, &done))
		return map[string]any{"kind": kind, "to": to, "subject": subject, "status": status, "queued_at": stamp(queued),
			"done_at": stamp(done)}
	})
	doc["notices_off"] = rows(`SELECT kind FROM notice_optouts WHERE user_id = ? ORDER BY kind`, func(r *sql.Rows) any {
		var kind string
		must(r.Scan(&kind))
		return kind
	})
	key := func(r *sql.Rows) any {
		var name, fp, pub string
		var added, used, admin, pending sql.NullInt64
		must(r.Scan(&name, &fp, &pub, &added, &used, &admin, &pending))
		return map[string]any{"name": name, "fingerprint": fp, "public_key": pub, "added_at": stamp(added),
			"last_used_at": stamp(used), "admin_since": stamp(admin), "pending_until": stamp(pending)}
	}
	doc["keys"] = append(rows(`SELECT k.name, k.fingerprint, k.public_key, k.added_at, k.last_used_at, a.enrolled_at,
		NULL FROM ssh_keys k LEFT JOIN admin_keys a ON a.key_id = k.id WHERE k.user_id = ? ORDER BY k.id`, key),
		rows(`SELECT name, fingerprint, public_key, added_at, NULL, NULL, expires_at FROM pending_keys
			WHERE user_id = ? ORDER BY id`, key)...)
	doc["security_events"] = rows(`SELECT kind, created_at, remote_addr, client_version, detail FROM security_events
		WHERE user_id = ? ORDER BY id`, func(r *sql.Rows) any {
		var kind, addr, client, detail string
		var at sql.NullInt64
		must(r.Scan(&kind, &at, &addr, &client, &detail))
		return map[string]any{"kind": kind, "at": stamp(at), "address": addr, "client": client, "detail": detail}
	})
	doc["api_keys"] = rows(`SELECT name, created_at, last_used_at, revoked_at FROM api_keys WHERE user_id = ?
		ORDER BY id`, func(r *sql.Rows) any {
		var name string
		var created, used, revoked sql.NullInt64
		must(r.Scan(&name, &created, &used, &revoked))
		return map[string]any{"name": name, "created_at": stamp(created), "last_used_at": stamp(used),
			"revoked_at": stamp(revoked)}
	})
	doc["favourites"] = rows(`SELECT service, country, created_at FROM favourites WHERE user_id = ?
		ORDER BY created_at, service, country`, func(r *sql.Rows) any {
		var service, country string
		var at sql.NullInt64
		must(r.Scan(&service, &country, &at))
		return map[string]any{"service": service, "country": country, "added_at": stamp(at)}
	})
	doc["reservations"] = rows(`SELECT id, service, country, phone, state, price_cents, refunded, simulated, provider,
		provider_ref, created_at, expires_at, ended_at, operator, COALESCE(report, '') FROM reservations
		WHERE user_id = ? ORDER BY id`,
		func(r *sql.Rows) any {
			var id, price int64
			var service, country, phone, state, prov, ref, operator, report string
			var refunded, simulated bool
			var created, expires, ended sql.NullInt64
			must(r.Scan(&id, &service, &country, &phone, &state, &price, &refunded, &simulated, &prov, &ref,
				&created, &expires, &ended, &operator, &report))
			return map[string]any{"id": id, "service": service, "country": country, "phone": phone, "state": state,
				"price_cents": price, "refunded": refunded, "simulated": simulated, "operator": operator,
				"report": report, "provider": prov,
				"provider_ref": ref, "created_at": stamp(created), "expires_at": stamp(expires), "ended_at": stamp(ended),
				"messages": smsFromDB(t, db, id, stamp)}
		})
	doc["rentals"] = rows(`SELECT id, service, country, phone, state, days, price_cents, refund_cents, simulated,
		provider, provider_ref, created_at, ends_at, ended_at FROM rentals WHERE user_id = ? ORDER BY id`,
		func(r *sql.Rows) any {
			var id, days, price, refund int64
			var service, country, phone, state, prov, ref string
			var simulated bool
			var created, ends, ended sql.NullInt64
			must(r.Scan(&id, &service, &country, &phone, &state, &days, &price, &refund, &simulated, &prov, &ref,
				&created, &ends, &ended))
			exts := []any{}
			res, err := db.Query(`SELECT days, price_cents, refunded, created_at FROM rental_extensions
				WHERE rental_id = ? ORDER BY id`, id)
			must(err)
			defer res.Close()
			for res.Next() {
				var d, p int64
				var refunded bool
				var at sql.NullInt64
				must(res.Scan(&d, &p, &refunded, &at))
				exts = append(exts, map[string]any{"days": d, "price_cents": p, "refunded": refunded,
					"created_at": stamp(at)})
			}
			msgs := []any{}
			ms, err := db.Query(`SELECT sender, body, code, received_at FROM rental_messages WHERE rental_id = ?
				ORDER BY received_at, id`, id)
			must(err)
			defer ms.Close()
			for ms.Next() {
				var sender, body, code string
				var at sql.NullInt64
				must(ms.Scan(&sender, &body, &code, &at))
				msgs = append(msgs, map[string]any{"sender": sender, "body": body, "code": code, "received_at": stamp(at)})
			}
			return map[string]any{"id": id, "service": service, "country": country, "phone": phone, "state": state,
				"days": days, "price_cents": price, "refund_cents": refund, "simulated": simulated, "provider": prov,
				"provider_ref": ref, "created_at": stamp(created), "ends_at": stamp(ends), "ended_at": stamp(ended),
				"extensions": exts, "messages": msgs}
		})
	doc["orders"] = rows(`SELECT id, number, processor, status, amount_cents, currency, credits, credited, reversed, note,
		created_at, paid_at, COALESCE(session_id, ''), COALESCE(payment_intent, ''), COALESCE(charged_cents, 0),
		COALESCE(charged_currency, ''), COALESCE(btc_address, ''), COALESCE(btc_price_cents, 0),
		COALESCE(btc_expected_sats, 0), btc_received_sats FROM orders WHERE user_id = ? ORDER BY id`,
		func(r *sql.Rows) any {
			var id, amount, credits, credited, reversed, charged, price, expected, received int64
			var number, proc, status, currency, note, session, intent, chargedCur, addr string
			var created, paid sql.NullInt64
			must(r.Scan(&id, &number, &proc, &status, &amount, &currency, &credits, &credited, &reversed, &note, &created, &paid,
				&session, &intent, &charged, &chargedCur, &addr, &price, &expected, &received))
			o := map[string]any{"number": number, "processor": proc, "status": status, "amount_cents": amount,
				"currency": currency, "credits": credits, "credited": credited, "reversed": reversed, "note": note,
				"created_at": stamp(created), "paid_at": stamp(paid), "card": nil, "bitcoin": nil}
			switch proc {
			case "stripe":
				o["card"] = map[string]any{"stripe_session": session, "stripe_payment_intent": intent,
					"charged_cents": charged, "charged_currency": chargedCur}
			case "blockonomics":
				o["bitcoin"] = map[string]any{"address": addr, "price_cents_per_btc": price, "expected_sats": expected,
					"received_sats": received, "transactions": btcFromDB(t, db, id, stamp)}
			}
			return o
		})
	doc["ledger"] = rows(`SELECT amount_cents, kind, reference, note, created_at FROM ledger WHERE user_id = ?
		ORDER BY id`, func(r *sql.Rows) any {
		var amount int64
		var kind, ref, note string
		var at sql.NullInt64
		must(r.Scan(&amount, &kind, &ref, &note, &at))
		return map[string]any{"amount_cents": amount, "kind": kind, "reference": ref, "note": note, "at": stamp(at)}
	})
	doc["support_threads"] = rows(`SELECT id, status, created_at FROM support_threads WHERE user_id = ? ORDER BY id`,
		func(r *sql.Rows) any {
			var id int64
			var status string
			var created sql.NullInt64
			must(r.Scan(&id, &status, &created))
			var msgs []any
			res, err := db.Query(`SELECT from_staff, body, created_at FROM support_messages WHERE thread_id = ?
				ORDER BY id`, id)
			must(err)
			defer res.Close()
			for res.Next() {
				var staff bool
				var body string
				var at sql.NullInt64
				must(res.Scan(&staff, &body, &at))
				from := "you"
				if staff {
					from = "staff"
				}
				msgs = append(msgs, map[string]any{"from": from, "body": body, "at": stamp(at)})
			}
			return map[string]any{"open": status == "open", "created_at": stamp(created), "messages": msgs}
		})
	return doc
}

func smsFromDB(t *testing.T, db *sql.DB, resID int64, stamp func(sql.NullInt64) any) []any {
	t.Helper()
	res, err := db.Query(`SELECT sender, body, code, received_at FROM messages WHERE reservation_id = ?
		ORDER BY received_at, id`, resID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	out := []any{}
	for res.Next() {
		var sender, body, code string
		var at sql.NullInt64
		if err := res.Scan(&sender, &body, &code, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, map[string]any{"sender": sender, "body": body, "code": code, "received_at": stamp(at)})
	}
	return out
}

func btcFromDB(t *testing.T, db *sql.DB, orderID int64, stamp func(sql.NullInt64) any) []any {
	t.Helper()
	res, err := db.Query(`SELECT txid, status, value_sats, COALESCE(credited_cents, 0), first_seen_at
		FROM btc_payments WHERE order_id = ? ORDER BY first_seen_at, txid`, orderID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	out := []any{}
	for res.Next() {
		var txid string
		var status, value, credited int64
		var seen sql.NullInt64
		if err := res.Scan(&txid, &status, &value, &credited, &seen); err != nil {
			t.Fatal(err)
		}
		out = append(out, map[string]any{"txid": txid, "status": status, "value_sats": value,
			"credited_cents": credited, "first_seen_at": stamp(seen)})
	}
	return out
}

// decodeNumbers decodes JSON keeping numbers as written.
func decodeNumbers(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// roundTrip gives a Go value the shape decodeNumbers gives JSON.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return decodeNumbers(t, raw)
}

// diff lists where two decoded documents differ, by path.
func diff(path string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: want an object, got %v", path, got))
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inG:
				*out = append(*out, fmt.Sprintf("%s.%s: missing from the export (the database holds %v)", path, k, wv))
			case !inW:
				*out = append(*out, fmt.Sprintf("%s.%s: in the export (%v) but not in this test's reference", path, k, gv))
			default:
				diff(path+"."+k, wv, gv, out)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: want %d items, got %v", path, len(w), got))
			return
		}
		for i := range w {
			diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*out = append(*out, fmt.Sprintf("%s: the database holds %v, the export says %v", path, want, got))
		}
	}
}

// zeroEverywhere lists the fields (by path without indices) that are
// zero, empty or null in every place they occur.
func zeroEverywhere(doc any) []string {
	set := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			set[path] = true
			for k, x := range v {
				walk(path+"."+k, x)
			}
			return
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
			if len(v) > 0 {
				set[path] = true
				return
			}
		}
		zero := v == nil || v == "" || v == false || v == json.Number("0") || reflect.DeepEqual(v, []any{})
		set[path] = set[path] || !zero
	}
	walk("", doc)
	var out []string
	for path, seen := range set {
		if !seen {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	return out
}
