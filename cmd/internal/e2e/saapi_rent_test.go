package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/testenv"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/store"
)

// rentAnswer is what the rent actions answer: a rental, its SMS, or an
// error word.
type rentAnswer struct {
	Status   string `json:"status"`
	Message  string `json:"message"`
	Quantity string `json:"quantity"`
	Phone    struct {
		ID      int64  `json:"id"`
		EndDate string `json:"endDate"`
		Number  string `json:"number"`
	} `json:"phone"`
	Values map[string]struct {
		PhoneFrom, Text, Service, Date string
	} `json:"values"`
}

func (c saClient) rent(action string, kv ...string) rentAnswer {
	c.t.Helper()
	body := c.call(action, kv...)
	var a rentAnswer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		c.t.Fatalf("%s %v: %q: %v", action, kv, body, err)
	}
	return a
}

// wantRentWord checks that an action is refused with word.
func (c saClient) wantRentWord(word, action string, kv ...string) {
	c.t.Helper()
	c.want(`{"status":"error","message":"`+word+`"}`, action, kv...)
}

// A rental's life through the SMS-Activate rent actions on our endpoint,
// as a rent client runs it: the price list, a rental cancelled in its
// window (refunded in full), another whose SMS come in pages, CANT_CANCEL
// after an SMS, an extension, an early finish; each refusal in the
// protocol's words; the books hold throughout.
func TestSMSActivateRentActions(t *testing.T) {
	clock := sim.NewFakeClock(time.Now().Truncate(time.Second))
	env := testenv.Start(t, rentalSim(clock))
	u, _ := env.NewUser("rent-bot@example.com")
	env.Credit(u.ID, 20_000, "g1")
	c := saClient{t: t, env: env, key: env.NewAPIKey(t, u.ID, "rent-bot")}
	ctx := context.Background()

	var list struct {
		Countries map[string]int `json:"countries"`
		Services  map[string]struct {
			Cost  float64 `json:"cost"`
			Quant int     `json:"quant"`
		} `json:"services"`
	}
	mustJSON(t, c.call("getRentServicesAndCountries", "country", "16", "rent_time", "24"), &list)
	tg, ok := list.Services["tg"]
	if !ok || tg.Quant <= 0 || tg.Cost <= 0 || list.Countries["16"] != 16 || list.Countries["0"] != 0 {
		t.Fatalf("getRentServicesAndCountries: %+v", list)
	}

	first := c.rent("getRentNumber", "service", "tg", "country", "16", "rent_time", "24")
	r, err := env.Store().UserRental(ctx, u.ID, first.Phone.ID)
	if err != nil || first.Status != "success" || first.Phone.Number != strings.TrimPrefix(r.Phone, "+") ||
		r.Service != "telegram" || r.Country != "gb" || r.Days != 1 ||
		first.Phone.EndDate != r.EndsAt.UTC().Format("2006-01-02 15:04:05") ||
		fmt.Sprintf("%.2f", tg.Cost) != fmt.Sprintf("%d.%02d", r.PriceCents/100, r.PriceCents%100) {
		t.Fatalf("getRentNumber %+v, the rental %+v %v, listed at %v", first, r, err, tg.Cost)
	}
	if env.Balance(u.ID) != 20_000-r.PriceCents {
		t.Fatalf("balance %d after renting for %d", env.Balance(u.ID), r.PriceCents)
	}
	id := fmt.Sprint(first.Phone.ID)
	c.wantRentWord("STATUS_WAIT_CODE", "getRentStatus", "id", id)
	c.want(`{"status":"success"}`, "setRentStatus", "id", id, "status", "2")
	if env.Balance(u.ID) != 20_000 {
		t.Fatalf("balance %d after cancelling in the window", env.Balance(u.ID))
	}
	c.wantRentWord("STATUS_CANCEL", "getRentStatus", "id", id)
	c.wantRentWord("ALREADY_CANCEL", "setRentStatus", "id", id, "status", "2")
	checkBooks(t, env)

	second := c.rent("getRentNumber", "service", "tg", "country", "16", "rent_time", "24")
	id = fmt.Sprint(second.Phone.ID)
	clock.Advance(10 * time.Second) // its first SMS comes
	var got rentAnswer
	eventually(t, func() bool {
		got = c.rent("getRentStatus", "id", id)
		return got.Status == "success"
	})
	rs, _ := env.Store().UserRental(ctx, u.ID, second.Phone.ID)
	if got.Quantity != "1" || len(rs.Messages) != 1 || got.Values["0"].Text != rs.Messages[0].Body ||
		got.Values["0"].Service != "tg" || got.Values["0"].PhoneFrom != rs.Messages[0].Sender {
		t.Fatalf("getRentStatus %+v, the rental's SMS %+v", got, rs.Messages)
	}
	c.wantRentWord("CANT_CANCEL", "setRentStatus", "id", id, "status", "2")
	c.wantRentWord("INCORECT_STATUS", "setRentStatus", "id", id, "status", "5")

	paid := env.Balance(u.ID)
	ext := c.rent("continueRentNumber", "id", id, "rent_time", "168")
	rs, _ = env.Store().UserRental(ctx, u.ID, second.Phone.ID)
	if ext.Status != "success" || ext.Phone.EndDate != rs.EndsAt.UTC().Format("2006-01-02 15:04:05") ||
		rs.TotalDays() != 8 || env.Balance(u.ID) != paid-rs.Extensions[0].PriceCents {
		t.Fatalf("continueRentNumber %+v, the rental %+v, balance %d (was %d)", ext, rs, env.Balance(u.ID), paid)
	}
	paid = env.Balance(u.ID)
	c.want(`{"status":"success"}`, "setRentStatus", "id", id, "status", "1")
	if rs, _ = env.Store().UserRental(ctx, u.ID, second.Phone.ID); rs.State != store.RentEnded || rs.RefundCents != 0 ||
		env.Balance(u.ID) != paid {
		t.Fatalf("finished early: %+v, balance %d (was %d)", rs, env.Balance(u.ID), paid)
	}
	c.wantRentWord("STATUS_FINISH", "getRentStatus", "id", id)
	c.wantRentWord("ALREADY_FINISH", "setRentStatus", "id", id, "status", "1")
	c.wantRentWord("RENT_DIE", "continueRentNumber", "id", id, "rent_time", "24")
	checkBooks(t, env)

	// Refusals, in the protocol's words; none moves money.
	c.wantRentWord("INVALID_TIME", "getRentNumber", "service", "tg", "country", "16")
	c.wantRentWord("INVALID_TIME", "getRentNumber", "service", "tg", "country", "16", "rent_time", "4")
	c.wantRentWord("BAD_SERVICE", "getRentNumber", "service", "zz", "country", "16", "rent_time", "24")
	c.wantRentWord("NO_ID_RENT", "getRentStatus", "id", "abc")
	other, _ := env.NewUser("other@example.com")
	env.Credit(other.ID, 5_000, "g2")
	theirs := saClient{t: t, env: env, key: env.NewAPIKey(t, other.ID, "theirs")}.
		rent("getRentNumber", "service", "tg", "country", "16", "rent_time", "24")
	c.wantRentWord("INVALID_PHONE", "getRentStatus", "id", fmt.Sprint(theirs.Phone.ID))
	c.wantRentWord("INVALID_PHONE", "setRentStatus", "id", fmt.Sprint(theirs.Phone.ID), "status", "2")
	if env.Balance(u.ID) != paid {
		t.Fatalf("balance %d after refusals (was %d)", env.Balance(u.ID), paid)
	}
	checkBooks(t, env)
	// Three rented, one (the other person's) still active.
	fams := scrape(t, env)
	if n := value(t, fams, "wantsms_rentals_created_total"); n != 3 {
		t.Errorf("wantsms_rentals_created_total %d, want 3", n)
	}
	if n := value(t, fams, "wantsms_rentals_active"); n != 1 {
		t.Errorf("wantsms_rentals_active %d, want 1", n)
	}
}
