package saapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
)

// rentPageSize is how many SMS one getRentStatus page holds, newest first.
const rentPageSize = 10

// defaultRentHours is the period getRentServicesAndCountries prices when
// it names none: our shortest (SMS-Activate's own default, 4 hours, is
// not sold here).
const defaultRentHours = 24

// rentWord is an error word as the rent actions give it.
func rentWord(w string) answer {
	return answer{json: rentError{Status: "error", Message: w}, outcome: w}
}

type rentError struct {
	Status  string `json:"status"` // "error"
	Message string `json:"message"`
}

// rentDays reads rent_time, in hours, as one of our periods in days;
// none given is def hours (0: required).
func rentDays(r *http.Request, def int) (int, bool) {
	s := strings.TrimSpace(r.FormValue("rent_time"))
	if s == "" {
		s = strconv.Itoa(def)
	}
	hours, err := strconv.Atoi(s)
	if err != nil || hours <= 0 || hours%24 != 0 || !store.ValidRentalDays(hours/24) {
		return 0, false
	}
	return hours / 24, true
}

// rentServiceJSON is one service's rent price and numbers to rent.
type rentServiceJSON struct {
	Cost  json.Number `json:"cost"`
	Quant int         `json:"quant"`
}

// getRentServicesAndCountries lists what can be rented in country for
// rent_time hours, with every country id the protocol knows.
func (h *Handler) getRentServicesAndCountries(ctx context.Context, r *http.Request) answer {
	days, ok := rentDays(r, defaultRentHours)
	if !ok {
		return rentWord("INVALID_TIME")
	}
	c, ok := country(r.FormValue("country"))
	if !ok {
		return rentWord("BAD_COUNTRY")
	}
	countries := map[string]int{}
	for _, cc := range provider.Countries() {
		if id, ok := provider.SMSActivateCountry(cc.Code); ok {
			countries[id], _ = strconv.Atoi(id)
		}
	}
	services := map[string]rentServiceJSON{}
	for _, s := range provider.Services() {
		code, ok := provider.SMSActivateService(s.Code)
		if !ok {
			continue
		}
		if o, err := h.eng.RentOffer(ctx, s.Code, c, days); err == nil && o.Stock > 0 {
			services[code] = rentServiceJSON{Cost: dollarsJSON(o.SellCents), Quant: o.Stock}
		}
	}
	return okJSON(map[string]any{"countries": countries, "operators": map[string]string{"0": "any"},
		"services": services})
}

// rentPhoneJSON is a rental as getRentNumber and continueRentNumber give it.
type rentPhoneJSON struct {
	ID      int64  `json:"id"`
	EndDate string `json:"endDate"`
	Number  string `json:"number"`
}

func rentPhone(rt store.Rental) answer {
	return okJSON(map[string]any{"status": "success",
		"phone": rentPhoneJSON{ID: rt.ID, EndDate: protocolTime(rt.EndsAt), Number: phone(rt.Phone)}})
}

// getRentNumber rents a number for rent_time hours at its price now.
func (h *Handler) getRentNumber(ctx context.Context, uid int64, r *http.Request) answer {
	svc, ok := service(r.FormValue("service"))
	if !ok {
		return rentWord("BAD_SERVICE")
	}
	c, ok := country(r.FormValue("country"))
	if !ok {
		return rentWord("BAD_COUNTRY")
	}
	days, ok := rentDays(r, 0)
	if !ok {
		return rentWord("INVALID_TIME")
	}
	o, err := h.eng.RentOffer(ctx, svc, c, days)
	if err != nil {
		return h.rentRefusal(ctx, "getRentNumber", err)
	}
	rt, err := h.eng.Rent(ctx, uid, o.Service, o.Country, o.Days, o.SellCents)
	if err != nil {
		return h.rentRefusal(ctx, "getRentNumber", err)
	}
	return rentPhone(rt)
}

// rentRefusal is the protocol's word for why renting or extending failed.
func (h *Handler) rentRefusal(ctx context.Context, action string, err error) answer {
	switch {
	case errors.Is(err, engine.ErrNoRentals), errors.Is(err, engine.ErrPriceChanged):
		return rentWord("NO_NUMBERS")
	case errors.Is(err, engine.ErrNotSold):
		return rentWord("BAD_SERVICE")
	case errors.Is(err, engine.ErrNoExtend), errors.Is(err, engine.ErrNoExtendDays), errors.Is(err, engine.ErrRentDays):
		return rentWord("INVALID_TIME")
	case errors.Is(err, engine.ErrExtendRefused):
		return rentWord("RENT_DIE")
	case errors.Is(err, store.ErrRentalEnded):
		return rentWord("RENT_DIE")
	}
	w := reserveWord(err)
	if w == "ERROR_SQL" {
		h.log.ErrorContext(ctx, "sms-activate api", "action", action, "err", err)
		w = "SQL_ERROR" // the rent actions' spelling
	}
	return rentWord(w)
}

// rental reads the id parameter as one of the person's rentals.
func (h *Handler) rental(ctx context.Context, uid int64, r *http.Request) (store.Rental, *answer) {
	id, ok := activationID(r)
	if !ok {
		a := rentWord("NO_ID_RENT")
		return store.Rental{}, &a
	}
	rt, err := h.st.UserRental(ctx, uid, id)
	switch {
	case errors.Is(err, store.ErrNoRental):
		a := rentWord("INVALID_PHONE")
		return rt, &a
	case err != nil:
		a := h.rentRefusal(ctx, "rental", err)
		return rt, &a
	}
	return rt, nil
}

// rentSMSJSON is one SMS of a rental in getRentStatus.
type rentSMSJSON struct {
	PhoneFrom string `json:"phoneFrom"`
	Text      string `json:"text"`
	Service   string `json:"service"`
	Date      string `json:"date"`
}

// getRentStatus is a rental's SMS, newest first, rentPageSize a page
// (page, from 0), or why there are none to show.
func (h *Handler) getRentStatus(ctx context.Context, uid int64, r *http.Request) answer {
	rt, refused := h.rental(ctx, uid, r)
	if refused != nil {
		return *refused
	}
	switch {
	case rt.State == store.RentCancelled:
		return rentWord("STATUS_CANCEL")
	case !rt.State.Open():
		return rentWord("STATUS_FINISH")
	case len(rt.Messages) == 0:
		return rentWord("STATUS_WAIT_CODE")
	}
	page, _ := strconv.Atoi(r.FormValue("page"))
	newest := slices.Clone(rt.Messages)
	slices.Reverse(newest)
	code, _ := provider.SMSActivateService(rt.Service)
	values := map[string]rentSMSJSON{}
	for i := max(page, 0) * rentPageSize; i < len(newest) && i < (max(page, 0)+1)*rentPageSize; i++ {
		m := newest[i]
		values[strconv.Itoa(i%rentPageSize)] = rentSMSJSON{PhoneFrom: m.Sender, Text: m.Body, Service: code,
			Date: protocolTime(m.ReceivedAt)}
	}
	return okJSON(map[string]any{"status": "success", "quantity": strconv.Itoa(len(newest)), "values": values})
}

// setRentStatus ends a rental: 1 finishes it now (no refund), 2 cancels
// it with a full refund while the engine's cancel rule allows
// (CANT_CANCEL after).
func (h *Handler) setRentStatus(ctx context.Context, uid int64, r *http.Request) answer {
	rt, refused := h.rental(ctx, uid, r)
	if refused != nil {
		return *refused
	}
	var err error
	switch r.FormValue("status") {
	case "1":
		_, err = h.eng.FinishRental(ctx, uid, rt.ID)
	case "2":
		_, err = h.eng.CancelRental(ctx, uid, rt.ID)
	default:
		return rentWord("INCORECT_STATUS") // sic: the protocol's spelling
	}
	switch {
	case err == nil:
		return okJSON(map[string]string{"status": "success"})
	case errors.Is(err, store.ErrRentalEnded):
		if fresh, e := h.st.UserRental(ctx, uid, rt.ID); e == nil && fresh.State == store.RentCancelled {
			return rentWord("ALREADY_CANCEL")
		}
		return rentWord("ALREADY_FINISH")
	case engine.IsCantCancel(err):
		return rentWord("CANT_CANCEL")
	}
	return h.rentRefusal(ctx, "setRentStatus", err)
}

// continueRentNumber extends a rental by rent_time hours at its price now.
func (h *Handler) continueRentNumber(ctx context.Context, uid int64, r *http.Request) answer {
	rt, refused := h.rental(ctx, uid, r)
	if refused != nil {
		return *refused
	}
	days, ok := rentDays(r, 0)
	if !ok {
		return rentWord("INVALID_TIME")
	}
	if !rt.State.Open() {
		return rentWord("RENT_DIE")
	}
	price, err := h.eng.ExtendQuote(ctx, uid, rt.ID, days)
	if err == nil {
		rt, err = h.eng.Extend(ctx, uid, rt.ID, days, price)
	}
	if err != nil {
		return h.rentRefusal(ctx, "continueRentNumber", err)
	}
	return rentPhone(rt)
}
