package crashtest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/store"
)

// openRes is a reservation open when the server was killed the last time.
type openRes struct {
	id      int64
	expires time.Time
}

// openReservations reads the open reservations while no server runs.
func (w *world) openReservations(t *testing.T) []openRes {
	t.Helper()
	rows, err := w.db.Query(`SELECT id, expires_at FROM reservations WHERE ended_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []openRes
	for rows.Next() {
		var r openRes
		var exp int64
		if err := rows.Scan(&r.id, &exp); err != nil {
			t.Fatal(err)
		}
		r.expires = time.Unix(exp, 0)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// overdueSlack is how long after a start a reservation past its lifetime
// may still be open: the engine ends those at once, after a last look
// upstream, on a loaded machine.
const overdueSlack = 10 * time.Second

// verify waits for every reservation and rental open at the last kill
// to be resumed and to end, stops the server cleanly, and checks the
// books.
func (w *world) verify(t *testing.T, open, rentals []openRes, rep *Report) {
	t.Helper()
	rep.OpenAtLastStart = len(open)
	srv := w.server
	if err := srv.waitReady(readyTimeout); err != nil {
		t.Fatalf("last start: %v\n%s", err, srv.logTail())
	}
	w.waitResumedAndEnded(t, open)
	w.waitRentalsEnded(t, rentals)
	w.waitMailDone(t)
	w.waitHooksDone(t)
	if err := srv.stop(30 * time.Second); err != nil {
		t.Fatalf("stop after the run: %v\n%s", err, srv.logTail())
	}
	if races := srv.raceReports(); races != "" {
		t.Fatalf("the server reported a data race:\n%s", races)
	}
	if out, err := w.server.command(append([]string{"check"}, w.storeFlags()...)...).CombinedOutput(); err != nil {
		t.Fatalf("wantsms check: %v\n%s", err, out)
	}
	ctx := context.Background()
	for _, c := range []struct{ what, query string }{
		{"reservations still open", `SELECT COUNT(*) FROM reservations WHERE ended_at IS NULL`},
		{"reservations without exactly one debit of their price", `SELECT COUNT(*) FROM reservations r WHERE
			(SELECT COUNT(*) FROM ledger l WHERE l.kind = 'reserve' AND l.reference = 'res:' || r.id
				AND l.amount_cents = -r.price_cents) <> 1`},
		{"reservations whose refund flag and refund rows disagree", `SELECT COUNT(*) FROM reservations r WHERE
			r.refunded <> (SELECT COUNT(*) FROM ledger l WHERE l.kind = 'refund' AND l.reference = 'res:' || r.id
				AND l.amount_cents = r.price_cents)`},
		{"refunds given twice", `SELECT COUNT(*) FROM (SELECT reference FROM ledger WHERE kind = 'refund'
			GROUP BY reference HAVING COUNT(*) > 1) AS twice`},
		{"reservations refunded in an unrefunded state or the reverse", `SELECT COUNT(*) FROM reservations
			WHERE refunded <> CASE WHEN state IN ('cancelled', 'expired', 'failed') THEN 1 ELSE 0 END`},
		{"refunded reservations that had an SMS", `SELECT COUNT(*) FROM reservations r WHERE r.refunded = 1
			AND EXISTS (SELECT 1 FROM messages m WHERE m.reservation_id = r.id)`},
		{"finished reservations without an SMS", `SELECT COUNT(*) FROM reservations r WHERE r.state = 'finished'
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.reservation_id = r.id)`},
		{"debits or refunds of no reservation", `SELECT COUNT(*) FROM ledger WHERE kind IN ('reserve', 'refund')
			AND reference NOT IN (SELECT 'res:' || id FROM reservations)`},
		{"top-ups credited twice", `SELECT COUNT(*) FROM (SELECT reference FROM ledger WHERE kind = 'topup'
			GROUP BY reference HAVING COUNT(*) > 1) AS twice`},
		{"operator credits recorded twice", `SELECT COUNT(*) FROM (SELECT note FROM ledger WHERE kind = 'grant'
			AND note LIKE 'crash credit %' GROUP BY note HAVING COUNT(*) > 1) AS twice`},
	} {
		if n := w.count(t, ctx, c.query); n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
	w.checkAcks(t, ctx, rep)
	w.checkRentals(t, ctx, rep)
	w.checkMail(t, ctx, rep)
	w.checkHooks(t, ctx, rep)
	rep.Reservations = w.count(t, ctx, `SELECT COUNT(*) FROM reservations`)
	rep.Refunded = w.count(t, ctx, `SELECT COUNT(*) FROM reservations WHERE refunded = 1`)
	rep.Finished = w.count(t, ctx, `SELECT COUNT(*) FROM reservations WHERE state = 'finished'`)
	rep.LedgerRows = w.count(t, ctx, `SELECT COUNT(*) FROM ledger`)
}

// waitResumedAndEnded checks that the fresh start ended at once what was
// overdue, then waits for everything else to end in its time.
func (w *world) waitResumedAndEnded(t *testing.T, open []openRes) {
	t.Helper()
	last := time.Now()
	for _, r := range open {
		last = later(last, r.expires)
	}
	checkedOverdue := false
	started := time.Now()
	for {
		var overdue, left int
		for _, r := range open {
			var ended sql.NullInt64
			if err := w.db.QueryRow(`SELECT ended_at FROM reservations WHERE id = ?`, r.id).Scan(&ended); err != nil {
				t.Fatal(err)
			}
			if ended.Valid {
				continue
			}
			left++
			if time.Since(r.expires) > overdueSlack && time.Since(started) > overdueSlack {
				overdue++
			}
		}
		if overdue > 0 && !checkedOverdue {
			t.Errorf("%d reservations still open %v after their lifetime, after the restart", overdue, overdueSlack)
			checkedOverdue = true
		}
		if left == 0 {
			return
		}
		if time.Since(last) > overdueSlack+20*time.Second {
			t.Fatalf("%d of %d reservations open at the last kill never ended\n%s", left, len(open), w.server.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// checkAcks finds every acknowledged thing in the books, exactly once.
func (w *world) checkAcks(t *testing.T, ctx context.Context, rep *Report) {
	t.Helper()
	w.acks.mu.Lock()
	defer w.acks.mu.Unlock()
	a := &w.acks
	scripted := map[int64]bool{}
	for _, p := range w.scripters {
		scripted[p.id] = true
	}
	for id, phones := range a.reserved {
		for _, phone := range phones {
			rep.Reserved++
			if scripted[id] {
				rep.ByCommand++
			}
			if w.count(t, ctx, `SELECT COUNT(*) FROM reservations WHERE user_id = ? AND phone = ?`, id, phone) == 1 {
				rep.Found++
			} else {
				t.Errorf("reservation of %s for account %d shown on screen, not in the database (once)", phone, id)
			}
		}
		if got, want := w.count(t, ctx, `SELECT COUNT(*) FROM reservations WHERE user_id = ? AND state = 'cancelled'`, id),
			a.cancels[id]; got < want {
			t.Errorf("account %d: %d cancels shown on screen, %d cancelled in the database", id, want, got)
		}
		rep.Cancels += a.cancels[id]
	}
	for _, id := range a.cancelled {
		rep.Cancels++
		if w.count(t, ctx, `SELECT COUNT(*) FROM reservations r WHERE r.id = ? AND r.state = 'cancelled'
			AND r.refunded = 1 AND (SELECT COUNT(*) FROM ledger l WHERE l.kind = 'refund'
				AND l.reference = 'res:' || r.id) = 1`, id) != 1 {
			t.Errorf("reservation %d reported cancelled by the cancel command, not cancelled and refunded once", id)
		}
	}
	for i, o := range w.cards {
		n := w.count(t, ctx, `SELECT COUNT(*) FROM ledger WHERE kind = 'topup' AND reference = ? AND amount_cents = ?
			AND user_id = ?`, o.Number, o.Credits, o.UserID)
		if a.card[o.Number] {
			rep.Card++
			rep.CardFound += n
			if n != 1 {
				t.Errorf("card order %s acknowledged, credited %d times", o.Number, n)
			}
		}
		if heldForReview(i) {
			w.checkReview(t, ctx, o, a.review[o.Number], rep)
		}
		if r, ok := a.reversed[o.Number]; ok {
			w.checkReversal(t, ctx, o, r, rep)
		}
	}
	for _, o := range w.coins {
		n := w.count(t, ctx, `SELECT COUNT(*) FROM ledger WHERE kind = 'topup' AND reference = ? AND amount_cents > 0
			AND user_id = ?`, o.Number+":"+txidOf(o.Number), o.UserID)
		if a.coin[o.Number] {
			rep.BTC++
			rep.BTCFound += n
			if n != 1 {
				t.Errorf("bitcoin order %s confirmed and acknowledged, credited %d times", o.Number, n)
			}
		}
	}
	for _, c := range a.credits {
		rep.Credits++
		n := w.count(t, ctx, `SELECT COUNT(*) FROM ledger l JOIN users u ON u.id = l.user_id WHERE l.kind = 'grant'
			AND l.note = ? AND l.amount_cents = ? AND u.email = ?`, c.reason, c.cents, c.email)
		rep.CredFound += n
		if n != 1 {
			t.Errorf("`wantsms credit %s %d` (%s) exited 0, found %d times", c.email, c.cents, c.reason, n)
		}
	}
	for _, c := range a.adminCreds {
		rep.AdminCredits++
		n := w.count(t, ctx, `SELECT COUNT(*) FROM ledger l JOIN admin_audit a ON l.reference = 'audit:' || a.id
			WHERE a.id = ? AND a.action = 'credit' AND a.target_user_id = ? AND l.kind = 'adjust' AND l.user_id = ?
			AND l.amount_cents = ?`, c.auditID, c.userID, c.userID, c.cents)
		rep.AdminCredFound += n
		if n != 1 {
			t.Errorf("admin credit of %d cents to account %d (audit %d) acknowledged, found %d times with its audit row",
				c.cents, c.userID, c.auditID, n)
		}
	}
	for _, p := range a.pushes {
		rep.Pushes++
		stored := w.count(t, ctx, `SELECT COUNT(*) FROM messages m JOIN reservations r ON r.id = m.reservation_id
			WHERE r.provider_ref = ? AND m.body = ?`, p.ref, p.text)
		endedBefore := w.count(t, ctx, `SELECT COUNT(*) FROM reservations WHERE provider_ref = ? AND ended_at <= ?`,
			p.ref, p.at.Unix()+1)
		if stored == 1 || stored == 0 && endedBefore > 0 {
			rep.PushFound++
		} else {
			t.Errorf("SMS push %q to activation %s acknowledged: stored %d times, number ended before: %v",
				p.text, p.ref, stored, endedBefore > 0)
		}
	}
	rep.Deliveries = a.deliveries
}

func (w *world) count(t *testing.T, ctx context.Context, query string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// checkReview: a card payment not as ordered is never credited, and once
// acknowledged its order waits in review.
func (w *world) checkReview(t *testing.T, ctx context.Context, o store.Order, acked bool, rep *Report) {
	t.Helper()
	var status string
	var credited int64
	if err := w.db.QueryRowContext(ctx, `SELECT status, credited FROM orders WHERE id = ?`, o.ID).
		Scan(&status, &credited); err != nil {
		t.Fatal(err)
	}
	topups := w.count(t, ctx, `SELECT COUNT(*) FROM ledger WHERE kind = 'topup' AND reference = ?`, o.Number)
	if credited != 0 || topups != 0 {
		t.Errorf("card order %s paid 1 cent of %d: credited %d, %d top-up rows; want nothing credited",
			o.Number, o.AmountCents, credited, topups)
	}
	if acked {
		rep.Reviews++
		if status == string(store.OrderReview) {
			rep.ReviewsFound++
		} else {
			t.Errorf("card order %s paid 1 cent of %d, acknowledged: status %s, want review", o.Number,
				o.AmountCents, status)
		}
	}
}

// checkReversal: a refund or dispute acknowledged took back, in reversal
// rows, the share of the credits that what the order records as refunded
// and disputed (at least what was acknowledged) says was lost, once.
func (w *world) checkReversal(t *testing.T, ctx context.Context, o store.Order, acked reversal, rep *Report) {
	t.Helper()
	var status string
	var credited, charged, refunded, disputed, reversed int64
	if err := w.db.QueryRowContext(ctx, `SELECT status, credited, COALESCE(charged_cents, 0), refunded_cents,
		disputed_cents, reversed FROM orders WHERE id = ?`, o.ID).
		Scan(&status, &credited, &charged, &refunded, &disputed, &reversed); err != nil {
		t.Fatal(err)
	}
	rows := w.count(t, ctx, `SELECT COALESCE(-SUM(amount_cents), 0) FROM ledger WHERE kind = 'reversal'
		AND reference LIKE ? || ':rev:%' AND user_id = ?`, o.Number, o.UserID)
	rep.Reversals++
	lost := min(refunded+disputed, charged)
	want := credited // the same share of the credits, rounded up
	if lost < charged {
		want = (credited*lost + charged - 1) / charged
	}
	switch {
	case refunded < acked.refunded || disputed < acked.disputed:
		t.Errorf("card order %s: refunded %d and disputed %d acknowledged, %d and %d recorded", o.Number,
			acked.refunded, acked.disputed, refunded, disputed)
	case reversed != want || int64(rows) != want:
		t.Errorf("card order %s: %d of %d cents lost, %d of %d credits to take back; took back %d (%d in the ledger)",
			o.Number, lost, charged, want, credited, reversed, rows)
	case status != string(store.OrderRefunded) && status != string(store.OrderDisputed):
		t.Errorf("card order %s taken back: status %s", o.Number, status)
	default:
		rep.ReversalsFound++
	}
}

// mailDoneTimeout bounds the wait for the outbox to empty after the last
// start: a mail a kill caught in flight waits for its lease to end.
const mailDoneTimeout = 90 * time.Second

// waitMailDone waits until no mail waits or is being sent.
func (w *world) waitMailDone(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(mailDoneTimeout)
	for {
		var n int
		err := w.db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')`).Scan(&n)
		if err == nil && n == 0 {
			return
		}
		if time.Now().After(deadline) {
			var detail []string
			if rows, err := w.db.Query(`SELECT kind, status, attempts, next_at, created_at, last_error FROM outbox
				WHERE status IN ('queued', 'sending') LIMIT 5`); err == nil {
				for rows.Next() {
					var kind, status, why string
					var attempts, next, created int64
					rows.Scan(&kind, &status, &attempts, &next, &created, &why)
					detail = append(detail, fmt.Sprintf("%s %s attempt %d next in %ds (created %ds ago) %q", kind,
						status, attempts, next-time.Now().Unix(), time.Now().Unix()-created, why))
				}
				rows.Close()
			}
			t.Fatalf("%d mails still waiting %v after the last start (%v): %s\n%s", n, mailDoneTimeout, err,
				strings.Join(detail, "; "), w.server.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkMail holds the outbox to the mail server's record: every mail sent,
// none lost (received at least once, by its Message-ID), none received
// that the outbox never held, copies only as many as kills could catch in
// flight, and one receipt per acknowledged top-up.
func (w *world) checkMail(t *testing.T, ctx context.Context, rep *Report) {
	t.Helper()
	received := map[string]int{}
	for _, m := range w.mail.Messages() {
		received[m.Header.Get("Message-Id")]++
		rep.MailsReceived++
	}
	rows, err := w.db.QueryContext(ctx, `SELECT id, created_at, kind, status, subject, last_error FROM outbox`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	known := map[string]bool{}
	receipts := map[string]int{}
	firstStart := w.server.firstStart()
	for rows.Next() {
		var id, created int64
		var kind, status, subject, why string
		if err := rows.Scan(&id, &created, &kind, &status, &subject, &why); err != nil {
			t.Fatal(err)
		}
		if status == "dropped" && kind == "verify" {
			continue // the seed verified the payers' addresses on the host
		}
		if status != "sent" {
			t.Errorf("mail %d (%s) is %s: %s", id, kind, status, why)
			continue
		}
		rep.Mails++
		if created < firstStart.Unix() {
			rep.MailsSeeded++
		}
		msgID := fmt.Sprintf("<wantsms.%d.%d@crash.example>", id, created)
		known[msgID] = true
		switch n := received[msgID]; {
		case n == 0:
			t.Errorf("mail %d (%s) is sent in the outbox, never received", id, kind)
		case n > 1:
			rep.MailCopies += n - 1
		}
		if kind == "topup_receipt" {
			receipts[subject[strings.LastIndex(subject, " ")+1:]]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range received {
		if !known[id] {
			t.Errorf("the mail server received %s, which the outbox does not hold as sent", id)
		}
	}
	if rep.MailCopies > rep.Kills {
		t.Errorf("%d copies of mails in %d kills: more than kills can catch in flight", rep.MailCopies, rep.Kills)
	}
	w.acks.mu.Lock()
	defer w.acks.mu.Unlock()
	for _, o := range append(append([]store.Order(nil), w.cards...), w.coins...) {
		if (w.acks.card[o.Number] || w.acks.coin[o.Number]) && receipts[o.Number] != 1 {
			t.Errorf("top-up %s acknowledged: %d receipts mailed, want 1", o.Number, receipts[o.Number])
		}
	}
}
