package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// resJSON is the documented shape of a reservation in command output.
type resJSON struct {
	ID          int64   `json:"id"`
	Service     string  `json:"service"`
	Country     string  `json:"country"`
	Phone       string  `json:"phone"`
	PriceCents  int64   `json:"price_cents"`
	State       string  `json:"state"`
	Refunded    bool    `json:"refunded"`
	Simulated   bool    `json:"simulated"`
	CreatedAt   string  `json:"created_at"`
	ExpiresAt   string  `json:"expires_at"`
	CancelAfter string  `json:"cancel_after"`
	EndedAt     *string `json:"ended_at"`
	Code        *string `json:"code"`
	Operator    string  `json:"operator"`
	Report      string  `json:"report"`
	Messages    []struct {
		Sender     string  `json:"sender"`
		Text       string  `json:"text"`
		Code       *string `json:"code"`
		ReceivedAt string  `json:"received_at"`
	} `json:"messages"`
}

// eventJSON is one line of a stream (reserve, wait, again).
type eventJSON struct {
	Event string `json:"event"`
	resJSON
}

// events decodes a stream's stdout strictly, one object per line.
func events(t *testing.T, stdout string) []eventJSON {
	t.Helper()
	var out []eventJSON
	for _, line := range strings.SplitAfter(stdout, "\n") {
		if line == "" {
			continue
		}
		var e eventJSON
		testenv.DecodeStrict(t, line, &e)
		out = append(out, e)
	}
	return out
}

// kinds lists the events' kinds: "reserved,sms".
func kinds(evs []eventJSON) string {
	var k []string
	for _, e := range evs {
		k = append(k, e.Event)
	}
	return strings.Join(k, ",")
}

// stream runs a streaming command and decodes its events.
func stream(t *testing.T, env *testenv.Env, key ssh.Signer, command string) (evs []eventJSON, stderr string, status int) {
	t.Helper()
	stdout, stderr, status := env.Run(t, key, command)
	return events(t, stdout), stderr, status
}

// frozenSim freezes the clock of the store, the engine and the simulator:
// prices hold still, no SMS comes, and a wait reads the same on the
// dashboard as in a command.
func frozenSim(c *service.Config) {
	clock := sim.NewFakeClock(time.Now())
	c.Clock, c.Numbers.SimClock = clock.Now, clock
	c.Numbers.Providers = []string{"sim"}
}

type priceRow struct {
	Service    string   `json:"service"`
	Country    string   `json:"country"`
	PriceCents int64    `json:"price_cents"`
	Stock      int      `json:"stock"`
	Simulated  bool     `json:"simulated"`
	Success24h rateJSON `json:"success_24h"`
	Success7d  rateJSON `json:"success_7d"`
}

// rateJSON is the documented shape of a success rate.
type rateJSON struct {
	Numbers int64 `json:"numbers"`
	WithSMS int64 `json:"with_sms"`
	Percent *int  `json:"percent"`
}

// The three listings agree with each other and with the filters, in the
// Numbers pane's order, and refuse unknown names before anything runs.
func TestCommandOffers(t *testing.T) {
	env := testenv.Start(t, frozenSim)
	_, key := env.NewUser("shopper@example.com")
	var prices struct {
		Prices []priceRow `json:"prices"`
	}
	okJSON(t, env, key, "prices --json", &prices)
	if len(prices.Prices) < 100 {
		t.Fatalf("only %d prices", len(prices.Prices))
	}
	type agg struct {
		from         int64
		stock, count int
	}
	services, countries := map[string]*agg{}, map[string]*agg{}
	get := func(m map[string]*agg, k string, cents int64) *agg {
		if m[k] == nil {
			m[k] = &agg{from: cents}
		}
		return m[k]
	}
	var tgCountries []priceRow
	for i, p := range prices.Prices {
		if !p.Simulated || p.Stock <= 0 || p.PriceCents <= 0 {
			t.Fatalf("row %+v", p)
		}
		if i > 0 {
			q := prices.Prices[i-1]
			if rank(q.Service) > rank(p.Service) || q.Service == p.Service && q.PriceCents > p.PriceCents {
				t.Fatalf("not by service then cheapest first: %+v before %+v", q, p)
			}
		}
		for _, a := range []*agg{get(services, p.Service, p.PriceCents), get(countries, p.Country, p.PriceCents)} {
			a.from, a.stock, a.count = min(a.from, p.PriceCents), a.stock+p.Stock, a.count+1
		}
		if p.Service == "telegram" {
			tgCountries = append(tgCountries, p)
		}
	}

	var svc struct {
		Services []struct {
			Code      string `json:"code"`
			Name      string `json:"name"`
			FromCents int64  `json:"from_cents"`
			Stock     int    `json:"stock"`
			Countries int    `json:"countries"`
		} `json:"services"`
	}
	okJSON(t, env, key, "services --json", &svc)
	if len(svc.Services) != len(services) {
		t.Fatalf("%d services, prices has %d", len(svc.Services), len(services))
	}
	for _, s := range svc.Services {
		a := services[s.Code]
		if a == nil || s.FromCents != a.from || s.Stock != a.stock || s.Countries != a.count || s.Name == "" {
			t.Errorf("service %+v, from prices %+v", s, a)
		}
	}

	var ctry struct {
		Countries []struct {
			Code        string `json:"code"`
			Name        string `json:"name"`
			CallingCode string `json:"calling_code"`
			FromCents   int64  `json:"from_cents"`
			Stock       int    `json:"stock"`
			Services    int    `json:"services"`
		} `json:"countries"`
	}
	okJSON(t, env, key, "countries --service Telegram --json", &ctry)
	if len(ctry.Countries) != len(tgCountries) {
		t.Fatalf("%d countries for telegram, prices has %d", len(ctry.Countries), len(tgCountries))
	}
	for i, c := range ctry.Countries { // cheapest first, like prices
		p := tgCountries[i]
		if c.Code != p.Country || c.FromCents != p.PriceCents || c.Stock != p.Stock || c.Services != 1 || c.CallingCode == "" {
			t.Errorf("country %d: %+v, prices says %+v", i, c, p)
		}
	}
	okJSON(t, env, key, "countries --json", &ctry)
	if len(ctry.Countries) != len(countries) {
		t.Fatalf("%d countries, prices has %d", len(ctry.Countries), len(countries))
	}

	gb := tgCountries[slices.IndexFunc(tgCountries, func(p priceRow) bool { return p.Country == "gb" })]
	okJSON(t, env, key, "prices --service telegram --country GB --json", &prices)
	if len(prices.Prices) != 1 || prices.Prices[0] != gb {
		t.Fatalf("one pair: %+v, want %+v", prices.Prices, gb)
	}
	okJSON(t, env, key, "services --country gb --json", &svc)
	okJSON(t, env, key, "prices --country gb --json", &prices)
	if len(svc.Services) != len(prices.Prices) {
		t.Fatalf("%d services in gb, %d prices", len(svc.Services), len(prices.Prices))
	}
	for i, s := range svc.Services {
		if p := prices.Prices[i]; s.Code != p.Service || s.Countries != 1 || s.FromCents != p.PriceCents || s.Stock != p.Stock {
			t.Fatalf("service %s in gb: %+v vs %+v", s.Code, s, p)
		}
	}

	out := ok(t, env, key, "prices --service telegram")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(tgCountries)+1 || !strings.HasPrefix(lines[0], "SERVICE") ||
		!strings.Contains(lines[1], "telegram  "+tgCountries[0].Country) || !strings.Contains(out, "simulated") {
		t.Fatalf("prices text:\n%s", out)
	}
	refused(t, env, key, "prices --service tele", 1, "did you mean telegram?")
	refused(t, env, key, "countries --service tq", 1, "want a service code like telegram")
	refused(t, env, key, "services --country zz", 1, "want a country code like gb")
	refused(t, env, key, "reserve nosuch", 1, "usage: reserve SERVICE")
}

func rank(service string) int {
	return slices.IndexFunc(provider.Services(), func(s provider.Service) bool { return s.Code == service })
}

// A script gets a number and its code in one command: the reservation
// first, then the SMS, both checked against the store.
func TestCommandReserveWaitsForTheCode(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Second, false, 20*time.Minute))
	u, key := env.NewUser("script@example.com")
	env.Credit(u.ID, 500, "g1")
	evs, stderr, status := stream(t, env, key, "reserve telegram --country gb --wait 1m --json")
	if status != 0 || stderr != "" || kinds(evs) != "reserved,sms" {
		t.Fatalf("status %d, stderr %q, events %s", status, stderr, kinds(evs))
	}
	r := onlyOpen(t, env, u.ID)
	got, sms := evs[0], evs[1]
	if got.ID != r.ID || got.Phone != r.Phone || got.Service != "telegram" || got.Country != "gb" ||
		got.State != "active" || got.Code != nil || len(got.Messages) != 0 || got.EndedAt != nil || !got.Simulated {
		t.Fatalf("reserved: %+v, store %+v", got, r)
	}
	if sms.ID != r.ID || sms.State != "received" || sms.Code == nil || *sms.Code != r.LatestCode() ||
		len(sms.Messages) != 1 || !strings.Contains(sms.Messages[0].Text, *sms.Code) {
		t.Fatalf("sms: %+v, store %+v", sms, r)
	}
	if bal := env.Balance(u.ID); bal != 500-r.PriceCents || got.PriceCents != r.PriceCents {
		t.Fatalf("balance %d after paying %d", bal, r.PriceCents)
	}
	// The same in text: the reservation, the SMS, the code last.
	out := ok(t, env, key, "reserve whatsapp --wait 1m")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "reserved ") || !strings.Contains(lines[0], "WhatsApp") ||
		!strings.HasPrefix(lines[1], "SMS ") || !strings.HasPrefix(lines[2], "code ") {
		t.Fatalf("reserve text:\n%s", out)
	}
}

// The reservation is printed the moment it exists, before any SMS; a
// cancel from elsewhere ends the wait at once (the wait listens, it does
// not poll) with the refund and status 4.
func TestCommandReservePrintsAtOnceAndSeesTheEnd(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 20*time.Minute))
	u, key := env.NewUser("early@example.com")
	env.Credit(u.ID, 500, "g1")
	s := env.Stream(t, key, "reserve google --wait 10m --json")
	line, err := s.Line()
	if err != nil {
		t.Fatal(err)
	}
	first := events(t, line)[0]
	if first.Event != "reserved" || first.ID != onlyOpen(t, env, u.ID).ID {
		t.Fatalf("first line: %q", line)
	}
	var cancelled resJSON
	okJSON(t, env, key, fmt.Sprintf("cancel %d --json", first.ID), &cancelled)
	if cancelled.State != "cancelled" || !cancelled.Refunded || cancelled.EndedAt == nil {
		t.Fatalf("cancel: %+v", cancelled)
	}
	rest, stderr, status, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	end := events(t, rest)
	want := fmt.Sprintf("wantsms: reservation %d ended without an SMS (cancelled): %s refunded\n", first.ID,
		tuiCents(first.PriceCents))
	if status != 4 || kinds(end) != "end" || end[0].State != "cancelled" || !end[0].Refunded || stderr != want {
		t.Fatalf("after the cancel: status %d, %q, stderr %q", status, rest, stderr)
	}
	if env.Balance(u.ID) != 500 {
		t.Fatal("not refunded")
	}
}

// A wait that runs out leaves the number open (status 3); a number that
// ends without an SMS is refunded (status 4); both say so on stderr only.
func TestCommandWaitOutcomes(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(0, true, 4*time.Second))
	u, key := env.NewUser("patient@example.com")
	env.Credit(u.ID, 500, "g1")
	evs, stderr, status := stream(t, env, key, "reserve telegram --wait 1s --json")
	if status != 3 || kinds(evs) != "reserved" ||
		!strings.HasPrefix(stderr, fmt.Sprintf("wantsms: no SMS on %d within 1s; it stays open until ", evs[0].ID)) {
		t.Fatalf("waited out: status %d, %s, stderr %q", status, kinds(evs), stderr)
	}
	if r := onlyOpen(t, env, u.ID); r.ID != evs[0].ID || r.State != store.ResActive {
		t.Fatalf("after the wait: %+v", r)
	}
	id := evs[0].ID
	stdout, stderr, status := env.Run(t, key, fmt.Sprintf("wait %d --timeout 1s", id))
	if status != 3 || stdout != "" || !strings.Contains(stderr, "within 1s") {
		t.Fatalf("wait --timeout: %d %q %q", status, stdout, stderr)
	}
	// Without a timeout the wait lasts as long as the number.
	evs, stderr, status = stream(t, env, key, fmt.Sprintf("wait %d --json", id))
	if status != 4 || kinds(evs) != "end" || evs[0].State != "expired" || !evs[0].Refunded ||
		!strings.Contains(stderr, "ended without an SMS (expired)") {
		t.Fatalf("expiry: status %d, %s, stderr %q", status, kinds(evs), stderr)
	}
	if env.Balance(u.ID) != 500 {
		t.Fatal("not refunded")
	}
	// Waiting on an ended number says so at once.
	if out, _, status := env.Run(t, key, fmt.Sprintf("wait %d", id)); status != 4 ||
		!strings.Contains(out, "ended: refunded (expired)") {
		t.Fatalf("wait on an ended number: %d %q", status, out)
	}
}

// status, wait, again, finish and history on one number, and the refusals
// of the actions, for ids of another account too.
func TestCommandNumberLifecycle(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Second, false, 20*time.Minute))
	u, key := env.NewUser("life@example.com")
	other, otherKey := env.NewUser("other@example.com")
	env.Credit(u.ID, 500, "g1")
	env.Credit(other.ID, 500, "g2")
	evs, _, status := stream(t, env, key, "reserve discord --wait 1m --json")
	if status != 0 || kinds(evs) != "reserved,sms" {
		t.Fatalf("reserve: %d %s", status, kinds(evs))
	}
	id := evs[0].ID
	first := *evs[1].Code

	var st resJSON
	okJSON(t, env, key, fmt.Sprintf("status %d --json", id), &st)
	if st.State != "received" || st.Code == nil || *st.Code != first || len(st.Messages) != 1 {
		t.Fatalf("status: %+v", st)
	}
	out := ok(t, env, key, fmt.Sprintf("status %d", id))
	for _, want := range []string{"reservation  " + fmt.Sprint(id), st.Phone, "Discord", "received", "code         " + first} {
		if !strings.Contains(out, want) {
			t.Errorf("status text lacks %q:\n%s", want, out)
		}
	}
	// wait returns at once with the SMS already there.
	if evs, _, status := stream(t, env, key, fmt.Sprintf("wait %d --json", id)); status != 0 || kinds(evs) != "sms" ||
		*evs[0].Code != first {
		t.Fatalf("wait after the SMS: %d %+v", status, evs)
	}
	refused(t, env, key, fmt.Sprintf("cancel %d", id), 2, "an SMS has arrived on this number: it is paid")

	evs, _, status = stream(t, env, key, fmt.Sprintf("again %d --wait 1m --json", id))
	if status != 0 || kinds(evs) != "again,sms" || len(evs[1].Messages) != 2 || evs[1].Code == nil {
		t.Fatalf("again: %d %s", status, kinds(evs))
	}

	// Another account's id is refused like one that never was.
	for _, line := range []string{"status %d", "wait %d --timeout 1s", "cancel %d", "finish %d", "again %d"} {
		refused(t, env, otherKey, fmt.Sprintf(line, id), 2, fmt.Sprintf("no reservation %d on this account", id))
		refused(t, env, key, fmt.Sprintf(line, 999999), 2, "no reservation 999999 on this account")
	}

	var fin resJSON
	okJSON(t, env, key, fmt.Sprintf("finish %d --json", id), &fin)
	if fin.State != "finished" || fin.EndedAt == nil || fin.Refunded || len(fin.Messages) != 2 {
		t.Fatalf("finish: %+v", fin)
	}
	refused(t, env, key, fmt.Sprintf("finish %d", id), 2, "this number has already ended")

	var hist struct {
		Reservations []resJSON `json:"reservations"`
		More         bool      `json:"more"`
	}
	okJSON(t, env, key, "history --json", &hist)
	if len(hist.Reservations) != 1 || hist.More || hist.Reservations[0].ID != id || len(hist.Reservations[0].Messages) != 2 {
		t.Fatalf("history: %+v", hist)
	}
	okJSON(t, env, otherKey, "history --json", &hist)
	if len(hist.Reservations) != 0 {
		t.Fatalf("another account's history: %+v", hist)
	}
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.DateOnly)
	okJSON(t, env, key, "history --since "+tomorrow+" --json", &hist)
	if len(hist.Reservations) != 0 {
		t.Fatalf("history since tomorrow: %+v", hist)
	}
	out = ok(t, env, key, "history --limit 1 --since 2026-01-01")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "finished") {
		t.Fatalf("history text:\n%s", out)
	}
	refused(t, env, key, "history --since yesterday", 1, "want a day as YYYY-MM-DD")
}

// Every printed shape is the one documented: the keys of each result are
// among those of the example that help and the README show (topup and
// orders: in the wallet's test).
func TestCommandOutputMatchesDocumentedExample(t *testing.T) {
	env := testenv.Start(t, testenv.SimNumbers(time.Second, false, 20*time.Minute))
	u, key := env.NewUser("shape@example.com")
	env.Credit(u.ID, 500, "g1")
	evs, _, _ := stream(t, env, key, "reserve telegram --wait 1m --json")
	id := evs[0].ID
	lines := [][2]string{{"reserve", "reserve google --json"}, {"wait", "wait %d --json"}, {"status", "status %d --json"},
		{"services", "services --json"}, {"countries", "countries --json"}, {"prices", "prices --json"},
		{"again", "again %d --json"}, {"finish", "finish %d --json"}, {"history", "history --json"},
		{"orders", "orders --json"}}
	for _, l := range lines {
		line := strings.ReplaceAll(l[1], "%d", fmt.Sprint(id))
		stdout, stderr, status := env.Run(t, key, line)
		if status != 0 || stdout == "" {
			t.Fatalf("%s: %d %q", line, status, stderr)
		}
		for _, doc := range strings.SplitAfter(strings.TrimSuffix(stdout, "\n"), "\n") {
			documented(t, env, key, l[0], doc)
		}
	}
}

// exampleKeys are the keys of a command's documented example.
func exampleKeys(t *testing.T, env *testenv.Env, key ssh.Signer, cmd string) map[string]bool {
	t.Helper()
	var help struct {
		Commands []struct {
			Example json.RawMessage `json:"example"`
		} `json:"commands"`
	}
	stdout := ok(t, env, key, "help "+cmd+" --json")
	if err := json.Unmarshal([]byte(stdout), &help); err != nil || len(help.Commands) != 1 {
		t.Fatalf("help %s: %v", cmd, err)
	}
	out := map[string]bool{}
	for _, k := range jsonKeys(t, string(help.Commands[0].Example)) {
		out[k] = true
	}
	return out
}

// jsonKeys lists a document's keys as paths ("messages[].code").
func jsonKeys(t *testing.T, doc string) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%q: %v", doc, err)
	}
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out = append(out, prefix+k)
				walk(prefix+k+".", e)
			}
		case []any:
			for _, e := range x {
				walk(strings.TrimSuffix(prefix, ".")+"[].", e)
			}
		}
	}
	walk("", v)
	return out
}
