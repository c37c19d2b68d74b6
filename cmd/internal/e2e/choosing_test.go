package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/sshterm"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate/fake"
	"github.com/wantsms/wantsms/store"
)

// Choosing well, end to end: favourites, operators, success rates and
// reports of bad numbers, by command and in the dashboard.

type favouritesJSON struct {
	Favourites []struct {
		Service    string   `json:"service"`
		Country    string   `json:"country"`
		AddedAt    string   `json:"added_at"`
		InStock    bool     `json:"in_stock"`
		PriceCents int64    `json:"price_cents"`
		Stock      int      `json:"stock"`
		Success24h rateJSON `json:"success_24h"`
		Success7d  rateJSON `json:"success_7d"`
	} `json:"favourites"`
}

type favouriteChangeJSON struct {
	Service string `json:"service"`
	Country string `json:"country"`
	Changed bool   `json:"changed"`
}

// pairPrice is the one row of prices --json for a pair.
func pairPrice(t *testing.T, env *testenv.Env, key ssh.Signer, service, country string) priceRow {
	t.Helper()
	var got struct {
		Prices []priceRow `json:"prices"`
	}
	okJSON(t, env, key, "prices --service "+service+" --country "+country+" --json", &got)
	if len(got.Prices) != 1 {
		t.Fatalf("prices of %s/%s: %+v", service, country, got.Prices)
	}
	return got.Prices[0]
}

// A person stars pairs by command and in Numbers; favourites come first
// there with their live price and stock, enter reserves one at once, the
// list and the export hold them, and an erasure removes them.
func TestFavouritesOverSSH(t *testing.T) {
	env := testenv.Start(t, frozenSim)
	u, key := env.NewUser("fav@example.com")
	env.Credit(u.ID, 1000, "g1")
	var change favouriteChangeJSON
	okJSON(t, env, key, "favourite add telegram --country gb --json", &change)
	if !change.Changed || change.Service != "telegram" || change.Country != "gb" {
		t.Fatalf("add: %+v", change)
	}
	okJSON(t, env, key, "favourite add Telegram --country 'United Kingdom' --json", &change)
	if change.Changed {
		t.Fatalf("added twice: %+v", change)
	}
	refused(t, env, key, "favourite add telegram", 1, "--country")
	refused(t, env, key, "favourite add telegram --country atlantis", 1, "country")
	var list favouritesJSON
	okJSON(t, env, key, "favourite list --json", &list)
	p := pairPrice(t, env, key, "telegram", "gb")
	if f := list.Favourites; len(f) != 1 || !f[0].InStock || f[0].PriceCents != p.PriceCents || f[0].Stock != p.Stock ||
		f[0].Success7d.Percent != nil {
		t.Fatalf("list %+v, prices %+v", list, p)
	}

	term := env.Dial(t, key)
	expect(t, term, "▸ ★ Telegram · 🇬🇧 United Kingdom")
	expect(t, term, "enter reserve now")
	term.Press(sshterm.Enter)
	expect(t, term, "Your Telegram number in 🇬🇧 United Kingdom")
	if r := onlyOpen(t, env, u.ID); r.Country != "gb" || r.PriceCents != p.PriceCents {
		t.Fatalf("one key reserved %+v at %d", r, p.PriceCents)
	}
	// * on a country in Numbers stars it.
	term.Press(sshterm.Enter) // another number
	expect(t, term, "choose a service")
	term.Type("whats")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "WhatsApp · choose a country")
	term.Type("*")
	expect(t, term, "is a favourite: it comes first")
	okJSON(t, env, key, "favourite list --json", &list)
	if len(list.Favourites) != 2 || list.Favourites[1].Service != "whatsapp" {
		t.Fatalf("after * in Numbers: %+v", list)
	}
	okJSON(t, env, key, "favourite remove telegram --country gb --json", &change)
	if !change.Changed {
		t.Fatalf("remove: %+v", change)
	}
	okJSON(t, env, key, "favourite list --json", &list)
	if len(list.Favourites) != 1 {
		t.Fatalf("after remove: %+v", list)
	}
	var doc struct {
		Favourites []struct {
			Service string `json:"service"`
			Country string `json:"country"`
		} `json:"favourites"`
	}
	okJSON2(t, env, key, "export --json", &doc)
	if len(doc.Favourites) != 1 || doc.Favourites[0].Service != "whatsapp" {
		t.Fatalf("export favourites %+v", doc.Favourites)
	}

	_, adminKey := env.NewAdmin("boss@example.com")
	ok(t, env, adminKey, "admin delete fav@example.com --reason 'signed request'")
	var left int
	queryDB(t, env, `SELECT COUNT(*) FROM favourites WHERE user_id = ?`, u.ID).Scan(&left)
	if left != 0 {
		t.Fatalf("%d favourites left after the erasure", left)
	}
}

// reportJSON is the documented shape of report's result.
type reportJSON struct {
	resJSON
	Another *struct {
		Service    string `json:"service"`
		Country    string `json:"country"`
		Operator   string `json:"operator"`
		PriceCents int64  `json:"price_cents"`
		Stock      int    `json:"stock"`
		Command    string `json:"command"`
	} `json:"another"`
}

type operatorsJSON struct {
	Service   string `json:"service"`
	Country   string `json:"country"`
	Operators []struct {
		Operator   string `json:"operator"`
		PriceCents int64  `json:"price_cents"`
		Stock      int    `json:"stock"`
	} `json:"operators"`
}

// Where numbers are sold by operator, the operators command lists them
// with price and stock, reserve --operator takes one of them at its
// price, and Numbers lets a person pick one on the confirmation.
func TestOperatorsOverSSH(t *testing.T) {
	env := testenv.Start(t, frozenSim)
	u, key := env.NewUser("op@example.com")
	env.Credit(u.ID, 2000, "g1")
	var ops operatorsJSON
	okJSON(t, env, key, "operators telegram --country gb --json", &ops)
	if len(ops.Operators) < 2 || ops.Operators[0].PriceCents > ops.Operators[1].PriceCents {
		t.Fatalf("operators %+v", ops)
	}
	first := ops.Operators[0]
	evs, stderr, status := stream(t, env, key, "reserve telegram --country gb --operator "+strings.ToUpper(first.Operator)+" --json")
	if status != 0 || kinds(evs) != "reserved" || evs[0].Operator != first.Operator || evs[0].PriceCents != first.PriceCents {
		t.Fatalf("reserve --operator: %d %q %+v, want %+v", status, stderr, evs, first)
	}
	if out := ok(t, env, key, fmt.Sprintf("status %d", evs[0].ID)); !strings.Contains(out, "operator     "+first.Operator) {
		t.Fatalf("status does not name the operator:\n%s", out)
	}
	okJSON(t, env, key, "operators telegram --country ph --json", &ops)
	if len(ops.Operators) != 0 {
		t.Fatalf("ph operators %+v", ops)
	}
	if out := ok(t, env, key, "operators telegram --country ph"); !strings.Contains(out, "no operator to choose") {
		t.Fatalf("operators in text: %q", out)
	}
	refused(t, env, key, "reserve telegram --operator ee", 1, "--operator needs --country")
	refused(t, env, key, "reserve telegram --country ph --operator ee", 2, "the operators command lists")
	refused(t, env, key, "reserve telegram --country gb --operator 'e e'", 1, "want an operator's name")
	refused(t, env, key, "reserve telegram --country gb --operator "+first.Operator+" --max-price 1", 2,
		"more than --max-price")

	term := env.Dial(t, key)
	expect(t, term, "choose a service")
	term.Type("tele")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "Telegram · choose a country")
	term.Type("king")
	expect(t, term, "United Kingdom")
	term.Press(sshterm.Enter)
	expect(t, term, fmt.Sprintf("o: choose one of %d", len(ops2(t, env, key))))
	term.Type("o")
	expect(t, term, "choose an operator")
	term.Press(sshterm.Down, sshterm.Down)
	term.Press(sshterm.Enter)
	second := ops2(t, env, key)[1]
	expect(t, term, "Operator  "+second.Operator)
	term.Type("y")
	expect(t, term, "Your Telegram number in 🇬🇧 United Kingdom ("+second.Operator+")")
	open := env.Reservations(u.ID)
	if len(open) != 2 || open[0].Operator != second.Operator || open[0].PriceCents != second.PriceCents {
		t.Fatalf("reserved in Numbers: %+v, want %+v", open, second)
	}
}

// ops2 is gb's Telegram operators again.
func ops2(t *testing.T, env *testenv.Env, key ssh.Signer) []struct {
	Operator   string `json:"operator"`
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
} {
	t.Helper()
	var ops operatorsJSON
	okJSON(t, env, key, "operators telegram --country gb --json", &ops)
	return ops.Operators
}

// ratedSim is the simulator on a clock that moves only when the test
// says, every number getting its SMS one second after it was bought,
// without a cancel guard.
func ratedSim(clock *sim.FakeClock) func(*service.Config) {
	return func(c *service.Config) {
		c.Clock, c.Numbers.SimClock = clock.Now, clock
		c.Numbers.Providers = []string{"sim"}
		c.Numbers.SimSMSDelay, c.Numbers.SimJitter, c.Numbers.SimNeverSharePct = time.Second, 0, 0
		c.Numbers.Lifetime, c.Numbers.CancelGuard = 20*time.Minute, 0
	}
}

// The success rate of a pair is counted from the numbers themselves: the
// test reserves numbers, some get their SMS, some are reported or
// cancelled; prices --json and the Numbers pane show the share, and a
// pair with fewer than ten numbers is "new".
func TestSuccessRatesFromOwnReservations(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, ratedSim(clock))
	u, key := env.NewUser("rates@example.com")
	env.Credit(u.ID, 10_000, "g1")
	reserveOne := func(country string) resJSON {
		t.Helper()
		evs, stderr, status := stream(t, env, key, "reserve telegram --country "+country+" --json")
		if status != 0 || kinds(evs) != "reserved" {
			t.Fatalf("reserve: %d %q", status, stderr)
		}
		return evs[0].resJSON
	}
	withSMS := func(country string) {
		t.Helper()
		r := reserveOne(country)
		clock.Advance(time.Second) // its SMS comes
		eventually(t, func() bool {
			got, err := env.Store().Reservation(context.Background(), r.ID)
			return err == nil && got.State == store.ResReceived
		})
		ok(t, env, key, fmt.Sprintf("finish %d", r.ID))
	}
	// Another country of Telegram gets one number: too few to tell.
	var all struct {
		Prices []priceRow `json:"prices"`
	}
	okJSON(t, env, key, "prices --service telegram --json", &all)
	other := ""
	for _, p := range all.Prices {
		if p.Country != "ph" {
			other = p.Country
			break
		}
	}
	for range 8 {
		withSMS("ph")
	}
	for _, reason := range []string{"banned", "used", "no-sms"} {
		r := reserveOne("ph")
		var rep reportJSON
		okJSON(t, env, key, fmt.Sprintf("report %d --reason %s --json", r.ID, reason), &rep)
		if !rep.Refunded || rep.Report != reason || rep.Another == nil {
			t.Fatalf("report: %+v", rep)
		}
	}
	ok(t, env, key, fmt.Sprintf("cancel %d", reserveOne("ph").ID))
	withSMS(other)
	clock.Advance(store.RateRefresh) // the shared rates are counted again

	tg := pairPrice(t, env, key, "telegram", "ph")
	want := rateJSON{Numbers: 12, WithSMS: 8}
	if tg.Success24h.Numbers != want.Numbers || tg.Success24h.WithSMS != want.WithSMS || tg.Success24h.Percent == nil ||
		*tg.Success24h.Percent != 66 || tg.Success7d.Numbers != 12 || tg.Success7d.Percent == nil {
		t.Fatalf("telegram/ph rates %+v %+v", tg.Success24h, tg.Success7d)
	}
	if o := pairPrice(t, env, key, "telegram", other); o.Success24h.Numbers != 1 || o.Success24h.Percent != nil {
		t.Fatalf("telegram/%s with one number: %+v", other, o.Success24h)
	}
	if out := ok(t, env, key, "prices --service telegram --country ph"); !strings.Contains(out, "66%") {
		t.Fatalf("prices in text:\n%s", out)
	}

	term := env.Dial(t, key)
	expect(t, term, "choose a service")
	term.Type("tele")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "Telegram · choose a country")
	expect(t, term, "66%")
	if line := lineWith(term.Screen(), "Philippines"); !strings.Contains(line, "66%") {
		t.Fatalf("the Philippines row: %q", line)
	}
	name := lineWith(term.Screen(), "Philippines")
	if line := lineWith(term.Screen(), countryName(other)); !strings.Contains(line, "new") {
		t.Fatalf("a pair with one number: %q (the Philippines: %q)", line, name)
	}
	term.Type("phil")
	expect(t, term, "Filter")
	term.Press(sshterm.Enter)
	expect(t, term, "Got SMS   66% in the last 24 h · 66% in 7 days")
}

// countryName is a country's name in the tables.
func countryName(code string) string {
	c, _ := provider.LookupCountry(code)
	return c.Name
}

// lineWith is the first line of screen holding text.
func lineWith(screen, text string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// reportsUpstream counts the times the upstream was told the number with
// id ref is bad (setStatus 8).
func reportsUpstream(up *fake.Server, ref string) int {
	n := 0
	for _, r := range up.Requests() {
		if q := r.URL.Query(); q.Get("action") == "setStatus" && q.Get("status") == "8" && q.Get("id") == ref {
			n++
		}
	}
	return n
}

// A bad number reported right after it was bought (the cancel is still
// refused): refunded in full once, the upstream told once, another number
// of the pair offered; by command and with the Inbox's r, whose offer y
// takes.
func TestReportBadNumberOverSSH(t *testing.T) {
	up := fake.New(fake.Options{})
	defer up.Close()
	up.SetPrice("tg", "16", "0.50", 10)
	up.SetScript(fake.Script{Never: true})
	env := testenv.Start(t, func(c *service.Config) {
		c.Numbers.Providers = []string{"smsactivate"}
		c.Numbers.SMSActivateURL, c.Numbers.SMSActivateKey = up.URL, up.APIKey()
		c.Numbers.CancelGuard = 2 * time.Minute
	})
	u, key := env.NewUser("reporter@example.com")
	env.Credit(u.ID, 500, "g1")
	bad := reserveByCommand(t, env, key, "telegram")
	refused(t, env, key, fmt.Sprintf("cancel %d", bad.ID), 2, "try again in")
	var rep reportJSON
	okJSON(t, env, key, fmt.Sprintf("report %d --reason banned --json", bad.ID), &rep)
	if rep.State != "cancelled" || !rep.Refunded || rep.Report != "banned" || rep.Another == nil ||
		rep.Another.Command != "reserve telegram --country gb" || rep.Another.PriceCents != 75 {
		t.Fatalf("report: %+v %+v", rep.resJSON, rep.Another)
	}
	if b := env.Balance(u.ID); b != 500 {
		t.Fatalf("balance %d after the report", b)
	}
	refused(t, env, key, fmt.Sprintf("report %d --reason used", bad.ID), 2, "already ended")
	refused(t, env, key, "report 999999 --reason used", 2, "no reservation 999999")
	refused(t, env, key, fmt.Sprintf("report %d --reason spam", bad.ID), 1, "want banned, used or no-sms")
	if n := reportsUpstream(up, refOf(t, env, bad.ID)); n != 1 || env.Balance(u.ID) != 500 {
		t.Fatalf("upstream told %d times, balance %d", n, env.Balance(u.ID))
	}

	// The Inbox: r, the reason, and y takes the number offered.
	second := reserveByCommand(t, env, key, "telegram")
	term := env.Dial(t, key)
	openPane(t, term, "Inbox", "Inbox · 1 open")
	term.Type("r")
	expect(t, term, "Report "+second.Phone+" as bad?")
	term.Type("u")
	expect(t, term, "Reported "+second.Phone+" as already used at the service: $0.75 refunded.")
	expect(t, term, "Another Telegram number in 🇬🇧 United Kingdom for $0.75?")
	term.Type("y")
	expect(t, term, "instead: its SMS appear here")
	open := env.Reservations(u.ID)
	if len(open) != 1 || open[0].ID == second.ID || open[0].Country != "gb" {
		t.Fatalf("after y: %+v", open)
	}
	if n := reportsUpstream(up, refOf(t, env, second.ID)); n != 1 || env.Balance(u.ID) != 500-75 {
		t.Fatalf("upstream told %d times, balance %d", n, env.Balance(u.ID))
	}
	if rep, err := env.Store().Check(context.Background()); err != nil || !rep.OK() {
		t.Fatalf("ledger: %+v %v", rep, err)
	}
}

// refOf is a reservation's upstream activation id.
func refOf(t *testing.T, env *testenv.Env, id int64) string {
	t.Helper()
	r, err := env.Store().Reservation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r.ProviderRef
}
