package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider/engine"
	fivesimfake "github.com/wantsms/wantsms/provider/fivesim/fake"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
)

// rentalJSON is a rental as the rental commands print it, every field.
type rentalJSON struct {
	ID          int64   `json:"id"`
	Ref         string  `json:"ref"`
	Service     string  `json:"service"`
	Country     string  `json:"country"`
	Phone       string  `json:"phone"`
	Days        int     `json:"days"`
	PriceCents  int64   `json:"price_cents"`
	PaidCents   int64   `json:"paid_cents"`
	State       string  `json:"state"`
	RefundCents int64   `json:"refund_cents"`
	Simulated   bool    `json:"simulated"`
	CreatedAt   string  `json:"created_at"`
	EndsAt      string  `json:"ends_at"`
	CancelUntil *string `json:"cancel_until"`
	EndedAt     *string `json:"ended_at"`
	EndingSoon  bool    `json:"ending_soon"`
	Extensions  []struct {
		Days       int    `json:"days"`
		PriceCents int64  `json:"price_cents"`
		Refunded   bool   `json:"refunded"`
		CreatedAt  string `json:"created_at"`
	} `json:"extensions"`
	Code     *string `json:"code"`
	Messages []struct {
		Sender     string  `json:"sender"`
		Text       string  `json:"text"`
		Code       *string `json:"code"`
		ReceivedAt string  `json:"received_at"`
	} `json:"messages"`
}

func (r rentalJSON) ends(t *testing.T) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, r.EndsAt)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

type rentalsJSON struct {
	Rentals []rentalJSON `json:"rentals"`
}

// rentals lists a person's rentals by command (with --ended, the ended
// ones too).
func rentals(t *testing.T, env *testenv.Env, key ssh.Signer, ended bool) []rentalJSON {
	t.Helper()
	var out rentalsJSON
	cmd := "rentals --json"
	if ended {
		cmd = "rentals --ended --json"
	}
	okJSON(t, env, key, cmd, &out)
	return out.Rentals
}

// checkBooks runs `wantsms check`'s checks on the running server's
// database: ledger sums, every reference, integrity.
func checkBooks(t *testing.T, env *testenv.Env) {
	t.Helper()
	rep, err := env.Store().Check(context.Background())
	if err != nil || !rep.OK() {
		t.Fatalf("wantsms check: %+v %v", rep, err)
	}
}

// rentalSim is the simulator on a clock that moves only when the test
// says (on a whole second: the store keeps seconds), every rental getting
// its first SMS 10 s after it is rented.
func rentalSim(clock *sim.FakeClock) func(*service.Config) {
	return func(c *service.Config) {
		c.Clock, c.Numbers.SimClock = clock.Now, clock
		c.Numbers.Providers = []string{"sim"}
		c.Numbers.SimSMSDelay, c.Numbers.SimJitter, c.Numbers.SimNeverSharePct = 10*time.Second, 0, 0
	}
}

// waitRentalSMS waits until the rental shows n SMS by command and gives
// the newest one's code.
func waitRentalSMS(t *testing.T, env *testenv.Env, key ssh.Signer, id int64, n int) string {
	t.Helper()
	var got rentalJSON
	eventually(t, func() bool {
		for _, r := range rentals(t, env, key, true) {
			if r.ID == id && len(r.Messages) >= n {
				got = r
				return true
			}
		}
		return false
	})
	if got.Code == nil {
		t.Fatalf("rental %d: SMS without a code: %+v", id, got.Messages)
	}
	return *got.Code
}

// boxed is a code as the dashboard's code box spreads it out: "569 193".
func boxed(code string) string {
	if len(code) == 6 {
		return code[:3] + " " + code[3:]
	}
	return code
}

// A rental's life with the simulator, over SSH: rented by command, its SMS
// arriving live on the Rentals tab, extended, its end announced on the tab
// and by mail, then ended; a restart in the middle, where the simulator
// forgets its rentals, ends the one it held early with the unused part
// refunded. `wantsms check` holds after each step.
func TestRentalLifeOverSSHWithTheSim(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, rentalSim(clock))
	u, key := env.NewUser("renter@example.com")
	env.Credit(u.ID, 20_000, "g1")

	var r rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &r)
	if r.Ref != "R"+fmt.Sprint(r.ID) || r.State != "active" || !r.Simulated || r.Days != 1 || r.PaidCents != r.PriceCents ||
		r.CancelUntil == nil || len(r.Messages) != 0 || !r.ends(t).Equal(clock.Now().Add(24*time.Hour)) {
		t.Fatalf("rented %+v", r)
	}
	if got := env.Balance(u.ID); got != 20_000-r.PriceCents {
		t.Fatalf("balance %d after renting for %d", got, r.PriceCents)
	}
	checkBooks(t, env)

	term := env.Dial(t, key)
	openPane(t, term, "Rentals", "Rentals · 1 active")
	expect(t, term, "No SMS yet")
	clock.Advance(10 * time.Second)
	expect(t, term, boxed(waitRentalSMS(t, env, key, r.ID, 1))) // live: no key pressed
	clock.Advance(40 * time.Second)
	expect(t, term, boxed(waitRentalSMS(t, env, key, r.ID, 2)))
	checkBooks(t, env)

	var x rentalJSON
	okJSON(t, env, key, "extend "+r.Ref+" --days 7 --json", &x)
	if x.Days != 8 || len(x.Extensions) != 1 || !x.ends(t).Equal(r.ends(t).Add(7*24*time.Hour)) || x.CancelUntil != nil ||
		env.Balance(u.ID) != 20_000-x.PaidCents {
		t.Fatalf("extended %+v, balance %d", x, env.Balance(u.ID))
	}
	refused(t, env, key, "cancel "+r.Ref, 2, "CANT_CANCEL")
	checkBooks(t, env)

	// A day before its end: the notice, on the tab and by mail (the
	// address is verified).
	clock.Advance(x.ends(t).Sub(clock.Now()) - 24*time.Hour + time.Second)
	expect(t, term, "7 Rentals !")
	expect(t, term, "ends soon")
	mail := env.WaitMail(t, u.Email, "Your rented number "+x.Phone+" ends on")
	if !strings.Contains(mail.Text, "extend "+r.Ref+" --days 7") {
		t.Fatalf("the notice mail:\n%s", mail.Text)
	}
	if got := rentals(t, env, key, false); len(got) != 1 || !got[0].EndingSoon {
		t.Fatalf("rentals after the notice: %+v", got)
	}

	// At its end it ends: nothing moves, it was paid for.
	paid := env.Balance(u.ID)
	clock.Advance(24 * time.Hour)
	expect(t, term, "No active rental")
	if got := rentals(t, env, key, false); len(got) != 0 {
		t.Fatalf("still active: %+v", got)
	}
	if got := rentals(t, env, key, true); len(got) != 1 || got[0].State != "ended" || got[0].RefundCents != 0 ||
		env.Balance(u.ID) != paid {
		t.Fatalf("ended: %+v, balance %d (was %d)", got, env.Balance(u.ID), paid)
	}
	checkBooks(t, env)

	// A restart in the middle of another: the simulator keeps nothing, so
	// the rental fails at the restart and the unused part comes back.
	var y rentalJSON
	okJSON(t, env, key, "rent whatsapp --country de --days 7 --json", &y)
	clock.Advance(25 * time.Hour)
	before := env.Balance(u.ID)
	env.Restart()
	var failed rentalJSON
	eventually(t, func() bool {
		got := rentals(t, env, key, true)
		for _, g := range got {
			if g.ID == y.ID {
				failed = g
			}
		}
		return failed.State == "failed"
	})
	// 25 of 168 hours served.
	if want := y.PriceCents * (168*3600 - 25*3600) / (168 * 3600); failed.RefundCents != want ||
		env.Balance(u.ID) != before+want {
		t.Fatalf("failed at the restart: %+v, balance %d → %d, want %d back", failed, before, env.Balance(u.ID), want)
	}
	env.Restart()
	if got := env.Balance(u.ID); got != before+failed.RefundCents {
		t.Fatalf("balance %d after another restart: refunded twice?", got)
	}
	checkBooks(t, env)
}

// rentProtocol is an SMS-Activate upstream that rents (the fake, whose
// rentals outlive the server's restarts, as a real provider's would), on
// the test's clock.
func rentProtocol(t *testing.T, clock *sim.FakeClock) (*fake.Server, func(*service.Config)) {
	up := fake.New(fake.Options{Balance: "1000"})
	t.Cleanup(up.Close)
	up.SetNow(clock.Now)
	up.SetRentPrice("tg", "16", 24, "1.00", 100)
	up.SetRentPrice("tg", "16", 7*24, "4.00", 100)
	return up, func(c *service.Config) {
		c.Clock, c.Numbers.SimClock = clock.Now, clock
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = up.URL, up.APIKey()
	}
}

// upstreamRef is the provider's id of a person's rental.
func upstreamRef(t *testing.T, env *testenv.Env, id int64) string {
	t.Helper()
	r, err := env.Store().Rental(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.ProviderRef
}

// rentalState is how a person's rental stands, by command.
func rentalState(t *testing.T, env *testenv.Env, key ssh.Signer, id int64) rentalJSON {
	t.Helper()
	for _, r := range rentals(t, env, key, true) {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no rental %d", id)
	return rentalJSON{}
}

// A rental's life over the SMS-Activate rent protocol, over SSH: an early
// cancel refunded in full (and given back upstream), CANT_CANCEL after an
// SMS and after the window, SMS polled in and shown live, an extension, a
// restart in the middle (SMS that came meanwhile found, the rental kept),
// the end (finished upstream), and a rental the provider ended early
// refunded for its time left. `wantsms check` holds after each.
func TestRentalLifeOverSSHWithTheRentProtocol(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	up, cfg := rentProtocol(t, clock)
	env := testenv.Start(t, cfg)
	u, key := env.NewUser("proto@example.com")
	env.Credit(u.ID, 10_000, "g1")

	var early rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &early)
	if early.PriceCents != 150 || early.Simulated || early.CancelUntil == nil {
		t.Fatalf("rented %+v", early)
	}
	clock.Advance(19 * time.Minute)
	var c rentalJSON
	okJSON(t, env, key, "cancel "+early.Ref+" --json", &c)
	if state, _, _ := up.Rental(upstreamRef(t, env, early.ID)); c.State != "cancelled" || c.RefundCents != 150 ||
		state != "cancel" || env.Balance(u.ID) != 10_000 {
		t.Fatalf("cancelled %+v, upstream %q, balance %d", c, state, env.Balance(u.ID))
	}
	refused(t, env, key, "cancel "+early.Ref, 2, "this rental has ended")
	checkBooks(t, env)

	var r rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &r)
	term := env.Dial(t, key)
	openPane(t, term, "Rentals", "Rentals · 1 active")
	up.AddRentSMS(upstreamRef(t, env, r.ID), "Telegram", "Telegram code: 61616")
	clock.Advance(3 * time.Second) // the first poll
	expect(t, term, "Telegram code: 61616")
	refused(t, env, key, "cancel "+r.Ref, 2, "CANT_CANCEL: an SMS has arrived")

	var late rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &late)
	clock.Advance(20 * time.Minute)
	refused(t, env, key, "cancel "+late.Ref, 2, "CANT_CANCEL: a rental can be cancelled only in its first 20 minutes")
	checkBooks(t, env)

	var x rentalJSON
	okJSON(t, env, key, "extend "+r.Ref+" --days 7 --json", &x)
	if _, ends, _ := up.Rental(upstreamRef(t, env, r.ID)); x.PaidCents != 150+600 || !x.ends(t).Equal(ends) {
		t.Fatalf("extended %+v; upstream ends %v", x, ends)
	}
	refused(t, env, key, "extend "+r.Ref+" --days 14", 2, "does not extend this rental by that many days")
	checkBooks(t, env)

	// Down for a while: an SMS comes meanwhile; the restart finds it.
	ref := upstreamRef(t, env, r.ID)
	env.Stop()
	up.AddRentSMS(ref, "Bank", "Your code is 72727")
	clock.Advance(time.Hour)
	env.Restart()
	if code := waitRentalSMS(t, env, key, r.ID, 2); code != "72727" {
		t.Fatalf("after the restart, the newest code is %s", code)
	}
	checkBooks(t, env)

	// The provider loses late 2 hours into its day: the unused part back.
	before := env.Balance(u.ID)
	clock.Advance(40 * time.Minute) // late: 2 h in
	up.EndRent(upstreamRef(t, env, late.ID))
	// The clock moves a poll's longest wait at a time: a poll under way
	// while it jumps sets its next one from the time after the jump.
	var failed rentalJSON
	eventually(t, func() bool {
		if failed = rentalState(t, env, key, late.ID); failed.State == "failed" {
			return true
		}
		clock.Advance(engine.DefaultPollMax)
		return false
	})
	served := time.Duration(0)
	if ended, err := time.Parse(time.RFC3339, *failed.EndedAt); err == nil {
		created, _ := time.Parse(time.RFC3339, failed.CreatedAt)
		served = ended.Sub(created)
	}
	if want := 150 * int64(24*time.Hour-served) / int64(24*time.Hour); failed.RefundCents != want ||
		env.Balance(u.ID) != before+want {
		t.Fatalf("ended early after %v: %+v, balance %d → %d, want %d back", served, failed, before,
			env.Balance(u.ID), want)
	}
	checkBooks(t, env)

	// At its end (8 days): ended here, finished upstream.
	clock.Advance(x.ends(t).Sub(clock.Now()) + time.Second)
	eventually(t, func() bool { return rentalState(t, env, key, r.ID).State == "ended" })
	if state, _, _ := up.Rental(upstreamRef(t, env, r.ID)); state != "finish" {
		t.Fatalf("upstream %q at the end", state)
	}
	checkBooks(t, env)
}

// An erasure gives active rentals back upstream before their rows go:
// cancelled while the provider would take one back, finished otherwise.
func TestErasureGivesRentalsBack(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	up, cfg := rentProtocol(t, clock)
	env := testenv.Start(t, cfg)
	u, key := env.NewUser("leaving@example.com")
	env.Credit(u.ID, 10_000, "g1")
	var fresh, old rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 7 --json", &old)
	clock.Advance(time.Hour)
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &fresh)
	freshRef, oldRef := upstreamRef(t, env, fresh.ID), upstreamRef(t, env, old.ID)
	_, adminKey := env.NewAdmin("staff@example.com")
	ok(t, env, adminKey, "admin delete "+u.Email+" --reason 'asked by mail'")
	if state, _, _ := up.Rental(freshRef); state != "cancel" {
		t.Fatalf("the fresh rental is %q upstream, want cancelled", state)
	}
	if state, _, _ := up.Rental(oldRef); state != "finish" {
		t.Fatalf("the old rental is %q upstream, want finished", state)
	}
	var n int
	if err := openDB(t, env).QueryRow(`SELECT COUNT(*) FROM rentals WHERE user_id = ?`, u.ID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d rentals left after the erasure (%v)", n, err)
	}
	checkBooks(t, env)
}

// 5sim's hosting orders are rentals too: rented for a day, their SMS read
// from the inbox, never cancelled (5sim takes none back) nor extended;
// a week is not rented there.
func TestRentalFromFiveSim(t *testing.T) {
	up := fivesimfake.New(fivesimfake.Options{})
	defer up.Close()
	up.SetHostingPrice("england", "1day", "1.00", 5)
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"fivesim"}
		c.Numbers.FiveSimURL, c.Numbers.FiveSimToken = up.BaseURL(), up.Token()
	})
	u, key := env.NewUser("host@example.com")
	env.Credit(u.ID, 1000, "g1")
	refused(t, env, key, "rent telegram --country gb --days 7", 2, "no numbers to rent")
	var r rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &r)
	if r.PriceCents != 150 || r.CancelUntil != nil {
		t.Fatalf("rented %+v", r)
	}
	refused(t, env, key, "cancel "+r.Ref, 2, "CANT_CANCEL: this rental's provider does not take rentals back")
	refused(t, env, key, "extend "+r.Ref+" --days 1", 2, "cannot extend it")
	var id int64
	fmt.Sscan(upstreamRef(t, env, r.ID), &id)
	up.AddSMS(id, "Service", "Your code is 31313", "31313")
	if code := waitRentalSMS(t, env, key, r.ID, 1); code != "31313" {
		t.Fatalf("code %s", code)
	}
	if env.Balance(u.ID) != 1000-150 {
		t.Fatalf("balance %d", env.Balance(u.ID))
	}
	checkBooks(t, env)
}

// The Rentals tab rents too: a service, a country, the days with the price
// of the day, y; and its refusals are the commands' (CANT_CANCEL).
func TestRentInTheDashboard(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, rentalSim(clock))
	u, key := env.NewUser("tab@example.com")
	env.Credit(u.ID, 10_000, "g1")
	term := env.Dial(t, key)
	openPane(t, term, "Rentals", "No active rental")
	term.Type("r")
	expect(t, term, "choose a service")
	term.Type("whats")
	expect(t, term, "▸ WhatsApp")
	term.Press(sshterm.Enter)
	expect(t, term, "choose a country")
	term.Type("germ")
	expect(t, term, "▸ 🇩🇪 Germany")
	term.Press(sshterm.Enter)
	expect(t, term, "Price:")
	term.Press(sshterm.Right) // 7 days
	expect(t, term, "for 7 days")
	term.Type("y")
	expect(t, term, "Rented ")
	got := rentals(t, env, key, false)
	if len(got) != 1 || got[0].Service != "whatsapp" || got[0].Country != "de" || got[0].Days != 7 ||
		env.Balance(u.ID) != 10_000-got[0].PriceCents {
		t.Fatalf("rented in the dashboard: %+v, balance %d", got, env.Balance(u.ID))
	}
	clock.Advance(10 * time.Second)
	expect(t, term, boxed(waitRentalSMS(t, env, key, got[0].ID, 1)))
	term.Type("x")
	expect(t, term, "CANT_CANCEL: an SMS has arrived on this rental")
	checkBooks(t, env)
}

// status and wait take a rental's id (R7) as cancel does: status prints
// the rental as rentals does; wait R7 waits for the rental's next SMS,
// not one that came before it began, and for its end.
func TestStatusAndWaitTakeRentals(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, rentalSim(clock))
	u, key := env.NewUser("waiter@example.com")
	env.Credit(u.ID, 20_000, "g1")
	var r rentalJSON
	okJSON(t, env, key, "rent telegram --country gb --days 1 --json", &r)

	var st rentalJSON
	okJSON(t, env, key, "status "+r.Ref+" --json", &st)
	if st.ID != r.ID || st.Ref != r.Ref || st.State != "active" || st.Phone != r.Phone || len(st.Messages) != 0 {
		t.Fatalf("status %s: %+v", r.Ref, st)
	}
	if out, _, status := env.Run(t, key, "status "+r.Ref); status != 0 || !strings.HasPrefix(out, "rental        "+r.Ref+"\n") ||
		!strings.Contains(out, "\nstate         active\n") {
		t.Fatalf("status %s as text: %d %q", r.Ref, status, out)
	}

	type waited struct {
		stdout, stderr string
		status         int
	}
	done := make(chan waited, 1)
	go func() {
		stdout, stderr, status := env.Run(t, key, "wait "+r.Ref+" --json --timeout 1m")
		done <- waited{stdout, stderr, status}
	}()
	var w waited
	eventually(t, func() bool { // the clock moves until an SMS comes after the wait began
		clock.Advance(10 * time.Second)
		select {
		case w = <-done:
			return true
		case <-time.After(200 * time.Millisecond):
			return false
		}
	})
	var ev struct {
		Event string `json:"event"`
		rentalJSON
	}
	if err := json.Unmarshal([]byte(w.stdout), &ev); err != nil || w.status != 0 || ev.Event != "sms" ||
		ev.Ref != r.Ref || len(ev.Messages) == 0 || ev.Code == nil {
		t.Fatalf("wait %s: %d %q %q (%v)", r.Ref, w.status, w.stdout, w.stderr, err)
	}
	// An SMS that came before the wait is not the next one.
	if out, stderr, status := env.Run(t, key, "wait "+r.Ref+" --timeout 1s"); status != 3 || out != "" ||
		!strings.Contains(stderr, "no new SMS on "+r.Ref+" within 1s") {
		t.Fatalf("wait with no new SMS: %d %q %q", status, out, stderr)
	}
	// Waiting on an ended rental says so at once.
	clock.Advance(25 * time.Hour)
	eventually(t, func() bool { return rentalState(t, env, key, r.ID).State == "ended" })
	if out, stderr, status := env.Run(t, key, "wait "+r.Ref); status != 4 || !strings.Contains(out, "rental "+r.Ref+" ended") ||
		!strings.Contains(stderr, "ended (ended) without another SMS") {
		t.Fatalf("wait on an ended rental: %d %q %q", status, out, stderr)
	}
	_, otherKey := env.NewUser("other@example.com")
	refused(t, env, otherKey, "status "+r.Ref, 2, "no rental "+r.Ref+" on this account")
	refused(t, env, otherKey, "wait "+r.Ref+" --timeout 1s", 2, "no rental "+r.Ref+" on this account")
}
