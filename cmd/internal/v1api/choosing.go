package v1api

import (
	"context"
	"net/http"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
)

// reportRequest is the body of a report: why the number is bad.
type reportRequest struct {
	Reason store.ReportReason `json:"reason"`
}

// reportJSON is a reported number and the offer of another of its pair.
type reportJSON struct {
	Reservation reservationJSON `json:"reservation"`
	// Another is the offer of another number of the same service and
	// country (and operator, while it has stock) now; null when none is in
	// stock. Take it with POST /v1/reservations.
	Another *offerJSON `json:"another"`
}

type offerJSON struct {
	Service    string `json:"service"`
	Country    string `json:"country"`
	Operator   string `json:"operator"` // "" for any
	PriceCents int64  `json:"price_cents"`
	Stock      int    `json:"stock"`
}

// report gives back a bad number (banned or used at the service, or no
// code came) as `report` does: refunded in full while no SMS came, the
// provider told, counted against its success rate; the answer offers
// another number of the same pair.
func (a *API) report(c *call) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req reportRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if !req.Reason.Valid() {
		return refuse(CodeBadRequest, "reason is banned, used or no-sms")
	}
	r, err := a.d.Numbers.Report(c.ctx, c.user.ID, id, req.Reason)
	if err != nil {
		return err
	}
	if fresh, err := a.d.Store.UserReservation(c.ctx, c.user.ID, r.ID); err == nil {
		r = fresh
	}
	out := reportJSON{Reservation: reservationOf(r)}
	if o, ok := a.d.Numbers.Replacement(c.ctx, r); ok {
		out.Another = &offerJSON{Service: o.Service, Country: o.Country, Operator: o.Operator,
			PriceCents: o.SellCents, Stock: o.Stock}
	}
	return c.reply(http.StatusOK, out)
}

type favouritesJSON struct {
	Favourites []favouriteJSON `json:"favourites"`
}

// favouriteJSON is a starred pair with its offer now, as Numbers shows it
// first.
type favouriteJSON struct {
	Service    string     `json:"service"`
	Country    string     `json:"country"`
	AddedAt    *time.Time `json:"added_at"`
	InStock    bool       `json:"in_stock"`
	PriceCents int64      `json:"price_cents"` // 0 when not in stock
	Stock      int        `json:"stock"`
	Success24h rateJSON   `json:"success_24h"`
	Success7d  rateJSON   `json:"success_7d"`
}

// favourites lists the account's starred pairs, oldest first, with their
// price and stock now.
func (a *API) favourites(c *call) error {
	fs, err := a.d.Store.Favourites(c.ctx, c.user.ID)
	if err != nil {
		return err
	}
	rates := a.d.Numbers.SuccessRates(c.ctx)
	out := favouritesJSON{Favourites: make([]favouriteJSON, 0, len(fs))}
	for _, f := range fs {
		j := favouriteJSON{Service: f.Service, Country: f.Country, AddedAt: at(f.CreatedAt)}
		if o, ok := a.d.Numbers.Cheapest(c.ctx, provider.Pick{Service: f.Service, Country: f.Country}); ok {
			j.InStock, j.PriceCents, j.Stock = true, o.SellCents, o.Stock
			rate := rates.Of(o.Service, o.Country, o.Provider)
			j.Success24h, j.Success7d = rateOf(rate.Day), rateOf(rate.Week)
		}
		out.Favourites = append(out.Favourites, j)
	}
	return c.reply(http.StatusOK, out)
}

// favouriteChangeJSON is what adding or removing a favourite did.
type favouriteChangeJSON struct {
	Service string `json:"service"`
	Country string `json:"country"`
	Changed bool   `json:"changed"` // false: it already was (add) or was not (remove) a favourite
}

// addFavourite stars the pair in the path (idempotent: PUT).
func (a *API) addFavourite(c *call) error {
	return a.changeFavourite(c, a.d.Store.AddFavourite)
}

// removeFavourite unstars the pair in the path.
func (a *API) removeFavourite(c *call) error {
	return a.changeFavourite(c, a.d.Store.RemoveFavourite)
}

func (a *API) changeFavourite(c *call, change func(ctx context.Context, userID int64, service, country string) (bool, error)) error {
	service, err := serviceParam(c.r.PathValue("service"), true)
	if err != nil {
		return err
	}
	country, err := countryParam(c.r.PathValue("country"), true)
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	changed, err := change(c.ctx, c.user.ID, service, country)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, favouriteChangeJSON{Service: service, Country: country, Changed: changed})
}
