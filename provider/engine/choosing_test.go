package engine

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// setStatus8 counts the times the upstream was told a number is bad (or
// given back): SMS-Activate's setStatus 8.
func setStatus8(up *fake.Server) int {
	n := 0
	for _, r := range up.Requests() {
		if q := r.URL.Query(); q.Get("action") == "setStatus" && q.Get("status") == "8" {
			n++
		}
	}
	return n
}

// A report right after the purchase (inside the cancel guard) refunds the
// number in full, once, tells the upstream once, counts against its
// success rate, and another number of the pair is offered.
func TestReportRefundsOnceAndTellsUpstreamOnce(t *testing.T) {
	r, up, eng, _ := pullRigWith(t, fake.Script{Never: true}, Config{CancelGuard: 2 * time.Minute})
	u := r.user("reporter@example.com", 1000)
	res, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Cancel(ctx, u.ID, res.ID); err == nil {
		t.Fatal("a cancel inside the guard went through")
	}
	got, err := eng.Report(ctx, u.ID, res.ID, store.ReportBanned)
	if err != nil || got.State != store.ResCancelled || !got.Refunded || got.Report != store.ReportBanned {
		t.Fatalf("report: %+v %v", got, err)
	}
	if b := r.balance(u); b != 1000 {
		t.Fatalf("balance %d after the report, want the full refund", b)
	}
	if n := setStatus8(up); n != 1 {
		t.Fatalf("upstream told %d times", n)
	}
	if state, _, _ := up.Status(res.ProviderRef); state != "cancel" {
		t.Fatalf("upstream state %s", state)
	}
	if _, err := eng.Report(ctx, u.ID, res.ID, store.ReportUsed); !errors.Is(err, store.ErrNotOpen) {
		t.Fatalf("a second report: %v", err)
	}
	if n := setStatus8(up); n != 1 || r.balance(u) != 1000 {
		t.Fatalf("after a second report: told %d times, balance %d", n, r.balance(u))
	}
	another, ok := eng.Replacement(ctx, got)
	if !ok || another.Service != "telegram" || another.Country != "gb" || another.SellCents != 50 {
		t.Fatalf("replacement %+v %v", another, ok)
	}
	r.clock.Advance(store.RateRefresh)
	rate := eng.SuccessRates(ctx).Of("telegram", "gb", "smsactivate")
	if rate.Day != (store.Tally{Numbers: 1}) {
		t.Fatalf("the report did not count against the provider: %+v", rate)
	}
	r.checkLedger()
}

// Two reports of one number at once: one tells the upstream and refunds,
// the other is refused.
func TestConcurrentReportsTellOnce(t *testing.T) {
	r, up, eng, _ := pullRig(t, fake.Script{Never: true})
	u := r.user("twice@example.com", 1000)
	res, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = eng.Report(ctx, u.ID, res.ID, store.ReportUsed)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrReporting), errors.Is(err, store.ErrNotOpen):
		default:
			t.Errorf("report: %v", err)
		}
	}
	if ok != 1 || setStatus8(up) != 1 || r.balance(u) != 1000 {
		t.Fatalf("%d reports went through, upstream told %d times, balance %d", ok, setStatus8(up), r.balance(u))
	}
	r.checkLedger()
}

// A number whose SMS came is paid: its report is refused and nothing is
// refunded. An upstream that cannot be told leaves the number open and
// the report can be made again.
func TestReportRefusedAfterSMSAndRetriedAfterFailure(t *testing.T) {
	r, up, eng, _ := pullRig(t, fake.Script{Never: true})
	u := r.user("late@example.com", 1000)
	res, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	up.Respond("setStatus", "ERROR_SQL", 1)
	if _, err := eng.Report(ctx, u.ID, res.ID, store.ReportBanned); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("upstream failing: %v", err)
	}
	if got := r.res(res.ID); got.State != store.ResActive || got.Report != "" || r.balance(u) != 950 {
		t.Fatalf("after a failed report: %+v, balance %d", got, r.balance(u))
	}
	if _, err := eng.Report(ctx, u.ID, res.ID, store.ReportBanned); err != nil {
		t.Fatalf("report again: %v", err)
	}

	withSMS, err := eng.Reserve(ctx, u.ID, "telegram", "gb", 50)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.st.AddMessage(ctx, withSMS.ID, store.NewMessage{ProviderID: "x", Body: "code 4242", Code: "4242"}); err != nil {
		t.Fatal(err)
	}
	before := setStatus8(up)
	if _, err := eng.Report(ctx, u.ID, withSMS.ID, store.ReportUsed); !errors.Is(err, store.ErrSMSArrived) {
		t.Fatalf("report after the SMS: %v", err)
	}
	if setStatus8(up) != before || r.balance(u) != 950 {
		t.Fatalf("a paid number was reported upstream or refunded: balance %d", r.balance(u))
	}
	r.checkLedger()
}

// Past store.MaxEarlyReports within the hour, a report waits for the guard.
func TestEarlyReportsBounded(t *testing.T) {
	r := newRig(t, sim.Options{NeverShare: 1}, Config{CancelGuard: 2 * time.Minute})
	u := r.user("churn@example.com", 10_000)
	for i := range store.MaxEarlyReports + 1 {
		res, err := r.reserve(u)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.eng.Report(ctx, u.ID, res.ID, store.ReportBanned)
		var early *store.EarlyReportsError
		switch {
		case i < store.MaxEarlyReports && err != nil:
			t.Fatalf("early report %d: %v", i+1, err)
		case i == store.MaxEarlyReports && !errors.As(err, &early):
			t.Fatalf("early report %d: %v, want it refused", i+1, err)
		}
	}
	r.checkLedger()
}

// A pick of one operator buys that operator's number at its price and
// records the operator; an operator the country lacks is refused.
func TestReservePickOfAnOperator(t *testing.T) {
	r := newRig(t, sim.Options{NeverShare: 1}, Config{})
	u := r.user("op@example.com", 10_000)
	ops := r.eng.Operators(ctx, "telegram", "gb")
	if len(ops) == 0 {
		t.Fatal("the simulator sells no operator in gb")
	}
	o := ops[0]
	res, err := r.eng.ReservePick(ctx, u.ID, o.Pick(), o.SellCents)
	if err != nil || res.Operator != o.Operator || res.PriceCents != o.SellCents {
		t.Fatalf("reserve %+v: %+v %v", o, res, err)
	}
	if q, ok := r.eng.Quote(ctx, o.Pick()); !ok || q.SellCents != o.SellCents {
		t.Fatalf("quote %+v %v", q, ok)
	}
	bad := provider.Pick{Service: "telegram", Country: "gb", Operator: "mts"}
	if _, err := r.eng.ReservePick(ctx, u.ID, bad, 1000); !errors.Is(err, ErrNoOperator) {
		t.Fatalf("an operator gb lacks: %v", err)
	}
	bad.Operator = "Bad Name"
	if _, err := r.eng.ReservePick(ctx, u.ID, bad, 1000); !errors.Is(err, ErrNoOperator) {
		t.Fatalf("a malformed operator: %v", err)
	}
}
