package crashtest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/sshterm"
)

// Rentals in a crash run: a rental day lasts seconds here, so that the
// rentals of a run end within it (4 s: a rental spans a few kills), and
// the cancel window is shorter than a day.
const (
	RentalDay          = 4 * time.Second
	RentalCancelWindow = 2 * time.Second
)

// rentedJSON is what the rental commands print with --json (the fields
// the checks need).
type rentedJSON struct {
	ID          int64  `json:"id"`
	Ref         string `json:"ref"`
	State       string `json:"state"`
	RefundCents int64  `json:"refund_cents"`
	PriceCents  int64  `json:"price_cents"`
}

// renter is a person's script renting over `ssh host rent`, as fast as
// the server answers, cancelling one rental in three at once (refunded
// if the server takes it back in its window) and extending one in three:
// a rental, a cancel, an extension are acknowledged by exit status 0 and
// their JSON.
func (w *world) renter(p person, rng *rand.Rand) func(context.Context) {
	o := sshterm.Options{Addr: w.server.sshAddr, User: "rent", Signers: []ssh.Signer{p.key}}
	return func(ctx context.Context) {
		for ctx.Err() == nil {
			var r rentedJSON
			if !runJSON(ctx, o, "rent telegram --country gb --days 1 --json", &r) || r.ID == 0 {
				sleep(ctx, 50*time.Millisecond)
				continue
			}
			w.acks.do(func() { w.acks.rented[p.id] = append(w.acks.rented[p.id], r.ID) })
			switch rng.IntN(3) {
			case 0:
				var c rentedJSON
				if runJSON(ctx, o, "cancel "+r.Ref+" --json", &c) && c.State == "cancelled" && c.RefundCents > 0 {
					w.acks.do(func() { w.acks.rentCancels = append(w.acks.rentCancels, r.ID) })
				}
			case 1:
				var x rentedJSON
				if runJSON(ctx, o, "extend "+r.Ref+" --days 1 --json", &x) && x.ID == r.ID {
					w.acks.do(func() { w.acks.extends[r.ID]++ })
				}
			}
			pause(ctx, rng, nil)
		}
	}
}

// rentalTexter is the world texting rented numbers: an SMS to a random
// active rental (of half of them), taken by the provider (acknowledged)
// while it holds the rental. The server must find it by polling, across
// kills.
func (w *world) rentalTexter(rng *rand.Rand) func(context.Context) {
	return func(ctx context.Context) {
		for n := 0; ctx.Err() == nil; n++ {
			sleep(ctx, time.Duration(20+rng.IntN(60))*time.Millisecond)
			var ref string
			// One rental in two is texted: the others stay without an
			// SMS, so that their cancels can be refunded.
			err := w.db.QueryRowContext(ctx, `SELECT provider_ref FROM rentals WHERE ended_at IS NULL
				AND CAST(provider_ref AS INTEGER) % 2 = 0 ORDER BY random() LIMIT 1`).Scan(&ref)
			if err != nil {
				continue // none active now, or the database is busy
			}
			text := fmt.Sprintf("Crash rental SMS: your code is %d", 8_000_000+n)
			if w.up.AddRentSMS(ref, "Crash", text) {
				w.acks.do(func() { w.acks.rentSMS = append(w.acks.rentSMS, push{ref, text, time.Now()}) })
			}
		}
	}
}

// openRentals reads the active rentals while no server runs.
func (w *world) openRentals(t *testing.T) []openRes {
	t.Helper()
	rows, err := w.db.Query(`SELECT id, ends_at FROM rentals WHERE ended_at IS NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []openRes
	for rows.Next() {
		var r openRes
		var ends int64
		if err := rows.Scan(&r.id, &ends); err != nil {
			t.Fatal(err)
		}
		r.expires = time.Unix(ends, 0)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitRentalsEnded waits for every rental active at the last kill to be
// resumed and to end, in its time.
func (w *world) waitRentalsEnded(t *testing.T, open []openRes) {
	t.Helper()
	last := time.Now()
	for _, r := range open {
		last = later(last, r.expires)
	}
	for {
		left := 0
		for _, r := range open {
			var ended sql.NullInt64
			if err := w.db.QueryRow(`SELECT ended_at FROM rentals WHERE id = ?`, r.id).Scan(&ended); err != nil {
				t.Fatal(err)
			}
			if !ended.Valid {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Since(last) > overdueSlack+20*time.Second {
			t.Fatalf("%d of %d rentals active at the last kill never ended\n%s", left, len(open), w.server.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

const timeOfDay = "15:04:05.000"

// rentalSMSUnreadable reports whether an SMS the provider took for a
// rental could be missing without a fault of ours: it came after the
// rental was over here; or the provider closed the rental before any look
// showed it (a pull protocol shows nothing once a rental is over); or it
// was shown, and the server was killed before storing it and the
// provider closed the rental before the next start could look again.
func (w *world) rentalSMSUnreadable(over bool, served, closed time.Time) bool {
	switch {
	case over:
		return true
	case closed.IsZero():
		return false
	case served.IsZero():
		return true
	default:
		return w.server.killedBetween(served, closed)
	}
}

// checkRentals finds every acknowledged rental, cancel, extension and
// rental SMS in the books, and holds the rentals to their rules.
func (w *world) checkRentals(t *testing.T, ctx context.Context, rep *Report) {
	t.Helper()
	for _, c := range []struct{ what, query string }{
		{"rentals still active", `SELECT COUNT(*) FROM rentals WHERE ended_at IS NULL`},
		{"rentals without exactly one debit of their price", `SELECT COUNT(*) FROM rentals r WHERE
			(SELECT COUNT(*) FROM ledger l WHERE l.kind = 'rent' AND l.reference = 'rent:' || r.id
				AND l.amount_cents = -r.price_cents) <> 1`},
		{"extensions without exactly one debit of their price", `SELECT COUNT(*) FROM rental_extensions e WHERE
			(SELECT COUNT(*) FROM ledger l WHERE l.kind = 'rent_extend' AND l.reference = 'rentext:' || e.id
				AND l.amount_cents = -e.price_cents) <> 1`},
		{"rentals whose refund and refund rows disagree", `SELECT COUNT(*) FROM rentals r WHERE
			(SELECT COALESCE(SUM(amount_cents), 0) FROM ledger l WHERE l.kind = 'rent_refund'
				AND l.reference = 'rent:' || r.id) <> r.refund_cents`},
		{"cancelled rentals that had an SMS or an extension", `SELECT COUNT(*) FROM rentals r WHERE r.state = 'cancelled'
			AND (EXISTS (SELECT 1 FROM rental_messages m WHERE m.rental_id = r.id)
				OR EXISTS (SELECT 1 FROM rental_extensions e WHERE e.rental_id = r.id AND e.refunded = 0))`},
		{"cancelled rentals not refunded in full", `SELECT COUNT(*) FROM rentals WHERE state = 'cancelled'
			AND refund_cents <> price_cents`},
		{"ended rentals refunded", `SELECT COUNT(*) FROM rentals WHERE state = 'ended' AND refund_cents <> 0`},
	} {
		if n := w.count(t, ctx, c.query); n != 0 {
			t.Errorf("%d %s", n, c.what)
		}
	}
	w.acks.mu.Lock()
	defer w.acks.mu.Unlock()
	a := &w.acks
	for uid, ids := range a.rented {
		for _, id := range ids {
			rep.Rentals++
			if w.count(t, ctx, `SELECT COUNT(*) FROM rentals WHERE id = ? AND user_id = ?`, id, uid) == 1 {
				rep.RentalsFound++
			} else {
				t.Errorf("rental %d of account %d acknowledged by the rent command, not in the database", id, uid)
			}
		}
	}
	for _, id := range a.rentCancels {
		rep.RentCancels++
		if w.count(t, ctx, `SELECT COUNT(*) FROM rentals r WHERE r.id = ? AND r.state = 'cancelled'
			AND (SELECT COUNT(*) FROM ledger l WHERE l.kind = 'rent_refund' AND l.reference = 'rent:' || r.id
				AND l.amount_cents = r.price_cents) = 1`, id) != 1 {
			t.Errorf("rental %d reported cancelled by the cancel command, not cancelled and refunded once", id)
		}
	}
	for id, n := range a.extends {
		rep.RentExtends += n
		if got := w.count(t, ctx, `SELECT COUNT(*) FROM rental_extensions WHERE rental_id = ?`, id); got < n {
			t.Errorf("rental %d: %d extensions acknowledged, %d recorded", id, n, got)
		}
	}
	for _, m := range a.rentSMS {
		rep.RentSMS++
		stored := w.count(t, ctx, `SELECT COUNT(*) FROM rental_messages m JOIN rentals r ON r.id = m.rental_id
			WHERE r.provider_ref = ? AND m.body = ?`, m.ref, m.text)
		// Over when it came: ended here, or its paid time run out (an SMS
		// after that is not the renter's, whenever the end is written).
		overBefore := w.count(t, ctx, `SELECT COUNT(*) FROM rentals WHERE provider_ref = ?
			AND (ended_at <= ? OR ends_at <= ?)`, m.ref, m.at.Unix()+1, m.at.Unix())
		served, closed := w.up.RentSMSSeen(m.ref, m.text)
		if stored == 1 || stored == 0 && w.rentalSMSUnreadable(overBefore > 0, served, closed) {
			rep.RentSMSFound++
		} else {
			t.Errorf("SMS %q to rental %s taken by the provider at %s: stored %d times, rental over before: %v, "+
				"shown upstream at %s, rental closed upstream at %s", m.text, m.ref, m.at.Format(timeOfDay), stored,
				overBefore > 0, served.Format(timeOfDay), closed.Format(timeOfDay))
		}
	}
	rep.RentalRows = w.count(t, ctx, `SELECT COUNT(*) FROM rentals`)
	rep.RentalsRefunded = w.count(t, ctx, `SELECT COUNT(*) FROM rentals WHERE refund_cents > 0`)
}
