package v1api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/sanitize"
	"github.com/wantsms/wantsms/tui/wording"
)

// Rentals is what the API asks of the rental engine (provider/engine
// implements it): the calls rent, extend and cancel make over SSH.
type Rentals interface {
	RentOffer(ctx context.Context, service, country string, days int) (provider.RoutedRentOffer, error)
	Rent(ctx context.Context, userID int64, service, country string, days int, priceCents int64) (store.Rental, error)
	ExtendQuote(ctx context.Context, userID, id int64, days int) (int64, error)
	Extend(ctx context.Context, userID, id int64, days int, priceCents int64) (store.Rental, error)
	CancelRental(ctx context.Context, userID, id int64) (store.Rental, error)
	FinishRental(ctx context.Context, userID, id int64) (store.Rental, error)
}

// maxRentCents bounds a rental's max_price_cents: a month costs dollars to
// tens of dollars, so $1,000 is far above any offer (the commands' bound).
const maxRentCents = 100_000

type rentalJSON struct {
	ID          int64           `json:"id"`
	Ref         string          `json:"ref"` // "R7", as the commands name it
	Service     string          `json:"service"`
	Country     string          `json:"country"`
	Phone       string          `json:"phone"`
	Days        int             `json:"days"`        // paid for, extensions included
	PriceCents  int64           `json:"price_cents"` // the first period
	PaidCents   int64           `json:"paid_cents"`  // in all, extensions included
	State       string          `json:"state"`       // active, ended, cancelled, failed
	RefundCents int64           `json:"refund_cents"`
	Simulated   bool            `json:"simulated"`
	CreatedAt   *time.Time      `json:"created_at"`
	EndsAt      *time.Time      `json:"ends_at"`
	CancelUntil *time.Time      `json:"cancel_until"` // null once it can no longer be cancelled
	EndedAt     *time.Time      `json:"ended_at"`
	Code        *string         `json:"code"` // the newest code
	Extensions  []extensionJSON `json:"extensions"`
	Messages    []messageJSON   `json:"messages"` // oldest first
}

type extensionJSON struct {
	Days       int        `json:"days"`
	PriceCents int64      `json:"price_cents"`
	Refunded   bool       `json:"refunded"` // the provider refused it: paid back, its days taken off
	CreatedAt  *time.Time `json:"created_at"`
}

func rentalOf(r store.Rental) rentalJSON {
	j := rentalJSON{ID: r.ID, Ref: "R" + strconv.FormatInt(r.ID, 10), Service: r.Service, Country: r.Country,
		Phone: sanitize.Line(r.Phone), Days: r.TotalDays(), PriceCents: r.PriceCents, PaidCents: r.PaidCents(),
		State: string(r.State), RefundCents: r.RefundCents, Simulated: r.Simulated, CreatedAt: at(r.CreatedAt),
		EndsAt: at(r.EndsAt), EndedAt: at(r.EndedAt), Code: optLine(r.LatestCode()),
		Extensions: make([]extensionJSON, 0, len(r.Extensions)), Messages: messagesOf(r.Messages)}
	if r.CancelOffered() {
		j.CancelUntil = at(r.CancelUntil)
	}
	for _, e := range r.Extensions {
		j.Extensions = append(j.Extensions, extensionJSON{Days: e.Days, PriceCents: e.PriceCents,
			Refunded: e.Refunded, CreatedAt: at(e.CreatedAt)})
	}
	return j
}

type rentalsJSON struct {
	Rentals []rentalJSON `json:"rentals"`
}

type rentalOfferJSON struct {
	Service             string `json:"service"`
	Country             string `json:"country"`
	Days                int    `json:"days"`
	PriceCents          int64  `json:"price_cents"`
	Stock               int    `json:"stock"`
	CancelWindowSeconds int64  `json:"cancel_window_seconds"` // 0: its provider takes no rental back
}

// daysParam reads a rental's period: 1, 7, 14 or 30 days.
func daysParam(days int) error {
	if !store.ValidRentalDays(days) {
		return refuse(CodeBadRequest, "days is 1, 7, 14 or 30")
	}
	return nil
}

// rentalOffer is what renting a number costs now (GET /v1/rental-offer).
func (a *API) rentalOffer(c *call) error {
	service, err := serviceParam(c.r.URL.Query().Get("service"), true)
	if err != nil {
		return err
	}
	country, err := countryParam(c.r.URL.Query().Get("country"), true)
	if err != nil {
		return err
	}
	days, err := intParam(c, "days", 1, 30, 1)
	if err != nil {
		return err
	}
	if err := daysParam(days); err != nil {
		return err
	}
	o, err := a.d.Rentals.RentOffer(c.ctx, service, country, days)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, rentalOfferJSON{Service: o.Service, Country: o.Country, Days: o.Days,
		PriceCents: o.SellCents, Stock: o.Stock, CancelWindowSeconds: int64(o.CancelWindow / time.Second)})
}

type createRental struct {
	Service       string `json:"service"`
	Country       string `json:"country"`
	Days          int    `json:"days"`
	MaxPriceCents int64  `json:"max_price_cents"`
}

// createRental rents a number at its price now, at max_price_cents or
// below, as `rent` does.
func (a *API) createRental(c *call) error {
	var req createRental
	if err := decode(c, &req); err != nil {
		return err
	}
	service, err := serviceParam(req.Service, true)
	if err != nil {
		return err
	}
	country, err := countryParam(req.Country, true)
	if err != nil {
		return err
	}
	if err := daysParam(req.Days); err != nil {
		return err
	}
	if err := maxRentParam(req.MaxPriceCents); err != nil {
		return err
	}
	o, err := a.d.Rentals.RentOffer(c.ctx, service, country, req.Days)
	if err != nil {
		return err
	}
	if req.MaxPriceCents > 0 && o.SellCents > req.MaxPriceCents {
		return refuse(CodeAboveMaxPrice, fmt.Sprintf("a %s number in %s for %d days costs %s, more than "+
			"max_price_cents %d", wording.Service(service), wording.Country(country), req.Days,
			store.FormatCents(o.SellCents), req.MaxPriceCents))
	}
	r, err := a.d.Rentals.Rent(c.ctx, c.user.ID, o.Service, o.Country, o.Days, o.SellCents)
	if err != nil {
		return err
	}
	return a.replyRented(c, r.ID)
}

// replyRented answers a rental just made.
func (a *API) replyRented(c *call, id int64) error {
	c.w.Header().Set("Location", Prefix+"/rentals/"+strconv.FormatInt(id, 10))
	return a.replyRental(c, http.StatusCreated, id)
}

// resumeRental answers the rental an idempotency key bought, as it is now.
func (a *API) resumeRental(c *call, resource string) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(resource, "rent:"), 10, 64)
	if err != nil || store.RentRef(id) != resource {
		return fmt.Errorf("idempotency key names %q, not a rental", resource)
	}
	return a.replyRented(c, id)
}

func maxRentParam(cents int64) error {
	if cents < 0 || cents > maxRentCents {
		return refuse(CodeBadRequest, fmt.Sprintf("max_price_cents is from 1 to %d (0 or absent: any price)",
			maxRentCents))
	}
	return nil
}

// listRentals lists the account's active rentals, soonest to end first;
// with ended=true also those that ended (kept a year), newest first.
func (a *API) listRentals(c *call) error {
	ended := false
	switch v := c.r.URL.Query().Get("ended"); v {
	case "", "false":
	case "true":
		ended = true
	default:
		return refuse(CodeBadRequest, "ended is true or false")
	}
	rs, err := a.d.Store.OpenRentals(c.ctx, c.user.ID)
	if err != nil {
		return err
	}
	if ended {
		past, err := a.d.Store.RentalHistory(c.ctx, c.user.ID, maxHistory)
		if err != nil {
			return err
		}
		rs = append(rs, past...)
	}
	out := rentalsJSON{Rentals: make([]rentalJSON, 0, len(rs))}
	for _, r := range rs {
		out.Rentals = append(out.Rentals, rentalOf(r))
	}
	return c.reply(http.StatusOK, out)
}

// getRental answers one of the account's rentals, with an ETag; with
// ?wait a long poll, as for a reservation: it answers at the rental's
// next change (a new SMS, an extension, its end).
func (a *API) getRental(c *call) error {
	id, err := rentalPathID(c)
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	return a.longPoll(c, watched{
		concerns: func(e store.Event) bool { return e.ConcernsRental(id) },
		read: func() ([]byte, string, bool, error) {
			r, err := a.d.Store.UserRental(c.ctx, c.user.ID, id)
			if err != nil {
				return nil, "", false, err
			}
			body, tag, err := digest(rentalOf(r))
			return body, tag, r.State.Open(), err
		},
	}, wait)
}

type extendRental struct {
	Days          int   `json:"days"`
	MaxPriceCents int64 `json:"max_price_cents"`
}

// extendRental extends a rental by days at the price now, as `extend`
// does.
func (a *API) extendRental(c *call) error {
	id, err := rentalPathID(c)
	if err != nil {
		return err
	}
	var req extendRental
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := daysParam(req.Days); err != nil {
		return err
	}
	if err := maxRentParam(req.MaxPriceCents); err != nil {
		return err
	}
	price, err := a.d.Rentals.ExtendQuote(c.ctx, c.user.ID, id, req.Days)
	if err != nil {
		return err
	}
	if req.MaxPriceCents > 0 && price > req.MaxPriceCents {
		return refuse(CodeAboveMaxPrice, fmt.Sprintf("%d more days cost %s, more than max_price_cents %d",
			req.Days, store.FormatCents(price), req.MaxPriceCents))
	}
	if _, err := a.d.Rentals.Extend(c.ctx, c.user.ID, id, req.Days, price); err != nil {
		return err
	}
	return a.replyRental(c, http.StatusOK, id)
}

// resumeExtension answers the rental of the path (the key's request
// names it) that an idempotency key extended, as it is now.
func (a *API) resumeExtension(c *call, resource string) error {
	ext, err := strconv.ParseInt(strings.TrimPrefix(resource, "rentext:"), 10, 64)
	if err != nil || store.RentExtRef(ext) != resource {
		return fmt.Errorf("idempotency key names %q, not an extension", resource)
	}
	id, err := rentalPathID(c)
	if err != nil {
		return err
	}
	return a.replyRental(c, http.StatusOK, id)
}

// cancelRental gives a rental back for a full refund, only within its
// cancel window and before any SMS or extension (rental_cant_cancel).
func (a *API) cancelRental(c *call) error {
	return a.actOnRental(c, a.d.Rentals.CancelRental)
}

// finishRental ends a rental now; the time left is not paid back.
func (a *API) finishRental(c *call) error {
	return a.actOnRental(c, a.d.Rentals.FinishRental)
}

func (a *API) actOnRental(c *call, do func(ctx context.Context, userID, id int64) (store.Rental, error)) error {
	id, err := rentalPathID(c)
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	if _, err := do(c.ctx, c.user.ID, id); err != nil {
		return err
	}
	return a.replyRental(c, http.StatusOK, id)
}

// replyRental answers a rental after an action, read again with its SMS
// and extensions, with its ETag.
func (a *API) replyRental(c *call, status int, id int64) error {
	r, err := a.d.Store.UserRental(c.ctx, c.user.ID, id)
	if err != nil {
		return err
	}
	body, tag, err := digest(rentalOf(r))
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", tag)
	c.send(status, body)
	return nil
}
