package smsactivate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Rentals (provider.Renter) through the protocol's rent actions, all JSON:
//
//	getRentServicesAndCountries rent_time country operator → {"countries":…,"operators":…,"services":{"tg":{"cost":…,"quant":…}}}
//	getRentNumber service rent_time country operator → {"status":"success","phone":{"id":…,"endDate":…,"number":…}}
//	getRentStatus id [page size] → {"status":"success","quantity":"2","values":{"0":{"phoneFrom":…,"text":…,"service":…,"date":…}}}
//	setRentStatus id status (1 finish, 2 cancel) → {"status":"success"}
//	continueRentNumber id rent_time → as getRentNumber
//
// An error is {"status":"error","message":"WORD"} (some speakers use
// "error" for the key) or a bare word. rent_time is in hours: days × 24.
// Details the public descriptions leave open are handled conservatively:
// an endDate without a time zone is not trusted (the rental's end is ours
// then); an SMS date without one is stamped when first seen; getRentStatus
// may answer by pages (their numbering differs between speakers), so
// pages are read until every message counted in "quantity" is in hand or a
// page brings nothing; we never pass a webhook "url" (our webhook takes
// only signed pushes), so rentals are polled.

// rentCancelWindow is how long the protocol takes a rental back
// (setRentStatus 2): 20 minutes, CANT_CANCEL after.
const rentCancelWindow = 20 * time.Minute

// maxRentPages bounds how many pages of a rental's SMS one check reads.
const maxRentPages = 50

// rentErrorWords are the rent actions' error words (protocol doc §1.6);
// the activation words apply too.
var rentErrorWords = map[string]error{
	"NO_ID_RENT":       provider.ErrUnknownActivation,
	"INVALID_PHONE":    provider.ErrUnknownActivation, // "bad id rent"
	"INCORECT_STATUS":  provider.ErrBadState,          // sic
	"INCORRECT_STATUS": provider.ErrBadState,
	"CANT_CANCEL":      provider.ErrBadState, // after 20 minutes, or an SMS came
	"ALREADY_FINISH":   provider.ErrBadState,
	"ALREADY_CANCEL":   provider.ErrBadState,
	"RENT_DIE":         provider.ErrBadState, // the rental is over upstream
	"INVALID_TIME":     provider.ErrBadService,
	"WRONG_COUNTRY":    provider.ErrBadService,
	"CHANNELS_LIMIT":   provider.ErrUnavailable,
	"SERVER_ERROR":     provider.ErrUnavailable,
}

// RentCancelWindow is the protocol's 20 minutes.
func (c *Client) RentCancelWindow() time.Duration { return rentCancelWindow }

// rentCall runs a rent action and returns its JSON answer, or the typed
// error of an error answer (word is the upstream's word, for callers that
// treat some as success).
func (c *Client) rentCall(ctx context.Context, action string, params url.Values) (json.RawMessage, string, error) {
	answer, err := c.call(ctx, action, params)
	if err != nil {
		return nil, "", err
	}
	if !strings.HasPrefix(answer, "{") {
		word, _, _ := strings.Cut(answer, ":")
		return nil, strings.ToUpper(strings.TrimSpace(word)), c.rentError(action, answer)
	}
	var e struct {
		Status  string `json:"status"`
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if err := json.Unmarshal([]byte(answer), &e); err != nil {
		return nil, "", fmt.Errorf("%s %s: %w: %v in %s", c.cfg.Name, action, provider.ErrUnavailable, err, provider.Excerpt([]byte(answer)))
	}
	if strings.EqualFold(e.Status, "error") {
		word := e.Message
		if word == "" {
			word = e.Error
		}
		word = strings.ToUpper(strings.TrimSpace(word))
		return nil, word, c.rentError(action, word)
	}
	return json.RawMessage(answer), "", nil
}

// rentError is the typed error of an error word.
func (c *Client) rentError(action, answer string) error {
	word, _, _ := strings.Cut(strings.TrimSpace(answer), ":")
	if sentinel, ok := rentErrorWords[strings.ToUpper(word)]; ok {
		return fmt.Errorf("%s %s: %w (upstream %s)", c.cfg.Name, action, sentinel, provider.Excerpt([]byte(answer)))
	}
	return c.unexpected(action, answer)
}

// rentServices is getRentServicesAndCountries' answer.
type rentServices struct {
	Services map[string]struct {
		Cost  provider.Numeric `json:"cost"`
		Quant provider.Numeric `json:"quant"`
	} `json:"services"`
}

// RentQuote reads getRentServicesAndCountries for the pair and period.
func (c *Client) RentQuote(ctx context.Context, service, country string, days int) (provider.RentOffer, error) {
	svc, cid, err := c.codes("getRentServicesAndCountries", service, country)
	if err != nil {
		return provider.RentOffer{}, err
	}
	out := provider.RentOffer{Service: service, Country: country, Days: days}
	raw, _, err := c.rentCall(ctx, "getRentServicesAndCountries", url.Values{"rent_time": {rentHours(days)},
		"country": {cid}, "operator": {"any"}})
	if err != nil {
		return out, err
	}
	var v rentServices
	if err := json.Unmarshal(raw, &v); err != nil {
		return out, fmt.Errorf("%s getRentServicesAndCountries: %w: %v", c.cfg.Name, provider.ErrUnavailable, err)
	}
	e, ok := v.Services[svc]
	if !ok {
		return out, nil // not rented there now
	}
	cost, err := e.Cost.Micros(c.cfg.CurrencyRate)
	quant, qerr := e.Quant.Int()
	if err != nil || qerr != nil || cost < 0 {
		return out, fmt.Errorf("%s getRentServicesAndCountries %s/%s: %w: cost %q quant %q", c.cfg.Name, service,
			country, provider.ErrUnavailable, e.Cost, e.Quant)
	}
	out.Cost, out.Stock = cost, int(min(max(quant, 0), 1<<31-1))
	return out, nil
}

func rentHours(days int) string { return strconv.Itoa(days * 24) }

// rentPhone is the phone part of getRentNumber's and continueRentNumber's
// answers.
type rentPhone struct {
	Phone struct {
		ID      provider.Numeric `json:"id"`
		EndDate string           `json:"endDate"`
		Number  provider.Numeric `json:"number"`
	} `json:"phone"`
}

// Rent quotes the pair (for the cost, and the cap), then rents with
// getRentNumber. A rental the answer names but that we cannot use is given
// back at once (setRentStatus 2).
func (c *Client) Rent(ctx context.Context, service, country string, days int, maxCost provider.Micros) (provider.Rented, error) {
	svc, cid, err := c.codes("getRentNumber", service, country)
	if err != nil {
		return provider.Rented{}, err
	}
	q, err := c.RentQuote(ctx, service, country, days)
	switch {
	case err != nil:
		return provider.Rented{}, err
	case q.Stock == 0:
		return provider.Rented{}, fmt.Errorf("%s getRentNumber %s/%s: none to rent: %w", c.cfg.Name, service, country, provider.ErrNoNumbers)
	case maxCost > 0 && q.Cost > maxCost:
		return provider.Rented{}, fmt.Errorf("%s getRentNumber %s/%s: cost %v over %v: %w", c.cfg.Name, service, country,
			q.Cost, maxCost, provider.ErrMaxPrice)
	}
	raw, _, err := c.rentCall(ctx, "getRentNumber", url.Values{"service": {svc}, "rent_time": {rentHours(days)},
		"country": {cid}, "operator": {"any"}})
	if err != nil {
		return provider.Rented{}, err
	}
	var v rentPhone
	if err := json.Unmarshal(raw, &v); err != nil {
		return provider.Rented{}, fmt.Errorf("%s getRentNumber: %w: %v", c.cfg.Name, provider.ErrUnavailable, err)
	}
	ref, idErr := parseID(string(v.Phone.ID))
	if idErr != nil {
		return provider.Rented{}, c.unexpected("getRentNumber", string(raw))
	}
	phone, err := provider.NormalizePhone(strings.TrimSpace(string(v.Phone.Number)), country)
	if err != nil {
		why := fmt.Errorf("%s getRentNumber: %w: %v in %s", c.cfg.Name, provider.ErrUnavailable, err, provider.Excerpt(raw))
		return provider.Rented{}, c.giveBackRental(ctx, ref, why)
	}
	return provider.Rented{Ref: ref, Phone: phone, Cost: q.Cost, EndsAt: zonedTime(v.Phone.EndDate)}, nil
}

// giveBackRental cancels a rental an answer named but that we cannot use.
func (c *Client) giveBackRental(ctx context.Context, ref string, why error) error {
	gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
	defer cancel()
	if err := c.CancelRent(gctx, ref); err != nil {
		c.cfg.Log.ErrorContext(ctx, "could not give back a rental we cannot use", "provider", c.cfg.Name, "ref", ref,
			"why", why, "err", err)
		return fmt.Errorf("%w; giving it back: %v", why, err)
	}
	c.cfg.Log.WarnContext(ctx, "gave back a rental we cannot use", "provider", c.cfg.Name, "ref", ref, "why", why)
	return why
}

// zonedTime reads a time that says its zone (RFC 3339); any other form is
// the zero time: its zone is not known.
func zonedTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t
		}
	}
	return time.Time{}
}

// rentStatus is getRentStatus's answer.
type rentStatus struct {
	Quantity provider.Numeric `json:"quantity"`
	Values   map[string]struct {
		PhoneFrom string `json:"phoneFrom"`
		Text      string `json:"text"`
		Date      string `json:"date"`
	} `json:"values"`
}

// RentCheck reads getRentStatus: the rental's SMS while it runs, or how it
// ended.
func (c *Client) RentCheck(ctx context.Context, ref string) (provider.Status, error) {
	if _, err := parseID(ref); err != nil {
		return provider.Status{}, fmt.Errorf("%s getRentStatus %q: %w", c.cfg.Name, ref, provider.ErrUnknownActivation)
	}
	msgs := map[string]rentSMS{}
	want := 0
	for page := 0; page <= maxRentPages; page++ {
		params := url.Values{"id": {ref}}
		if page > 0 {
			params.Set("page", strconv.Itoa(page))
		}
		raw, word, err := c.rentCall(ctx, "getRentStatus", params)
		switch {
		case word == "STATUS_WAIT_CODE":
			return provider.Status{State: provider.Waiting}, nil
		case word == "STATUS_FINISH":
			return provider.Status{State: provider.Finished, Messages: sorted(msgs)}, nil
		case word == "STATUS_CANCEL":
			return provider.Status{State: provider.Cancelled, Messages: sorted(msgs)}, nil
		case word == "RENT_DIE":
			return provider.Status{State: provider.Expired, Messages: sorted(msgs)}, nil
		case err != nil:
			return provider.Status{}, err
		}
		var v rentStatus
		if err := json.Unmarshal(raw, &v); err != nil {
			return provider.Status{}, fmt.Errorf("%s getRentStatus: %w: %v", c.cfg.Name, provider.ErrUnavailable, err)
		}
		n, _ := v.Quantity.Int()
		want = max(want, int(min(n, maxRentPages*100)))
		before := len(msgs)
		for _, m := range v.Values {
			msg := c.rentMessage(m.PhoneFrom, m.Text, m.Date)
			if _, seen := msgs[msg.ID]; !seen {
				msgs[msg.ID] = msg
			}
		}
		// Speakers that number pages from 1 answer page 1 as they
		// answered no page: only a later page that adds nothing ends it.
		if len(msgs) >= want || len(v.Values) == 0 || (page >= 2 && len(msgs) == before) {
			break
		}
	}
	st := provider.Status{State: provider.Waiting, Messages: sorted(msgs)}
	if len(st.Messages) > 0 {
		st.State = provider.Received
	}
	return st, nil
}

// rentSMS is one SMS of a rental with the order it came in.
type rentSMS struct {
	provider.Message
	order time.Time // its date, read as UTC when it says no zone: for the order only
}

// rentMessage makes one SMS of a rental; its id is derived from its date,
// sender and text (the protocol gives none), so polls agree on it. A date
// without a zone orders the SMS but does not stamp it.
func (c *Client) rentMessage(from, text, date string) rentSMS {
	at := zonedTime(date)
	order := at
	if at.IsZero() {
		at = c.cfg.Now()
		order, _ = time.Parse(time.DateTime, strings.TrimSpace(date))
	}
	return rentSMS{Message: provider.Message{ID: provider.MessageID("", date+"\x00"+from+"\x00"+text), Sender: from,
		Text: text, Code: provider.ExtractCode(text), ReceivedAt: at}, order: order}
}

// sorted lists messages oldest first (by their dates, then ids).
func sorted(m map[string]rentSMS) []provider.Message {
	list := make([]rentSMS, 0, len(m))
	for _, v := range m {
		list = append(list, v)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].order.Equal(list[j].order) {
			return list[i].order.Before(list[j].order)
		}
		return list[i].ID < list[j].ID
	})
	out := make([]provider.Message, len(list))
	for i, v := range list {
		out[i] = v.Message
	}
	return out
}

// ExtendRent is continueRentNumber. Its cost is the quote of the rental's
// pair for the days added: the protocol's answer does not say it.
func (c *Client) ExtendRent(ctx context.Context, ref string, days int) (provider.Rented, error) {
	if _, err := parseID(ref); err != nil {
		return provider.Rented{}, fmt.Errorf("%s continueRentNumber %q: %w", c.cfg.Name, ref, provider.ErrUnknownActivation)
	}
	raw, _, err := c.rentCall(ctx, "continueRentNumber", url.Values{"id": {ref}, "rent_time": {rentHours(days)}})
	if err != nil {
		return provider.Rented{}, err
	}
	var v rentPhone
	if err := json.Unmarshal(raw, &v); err != nil {
		return provider.Rented{}, fmt.Errorf("%s continueRentNumber: %w: %v", c.cfg.Name, provider.ErrUnavailable, err)
	}
	return provider.Rented{Ref: ref, EndsAt: zonedTime(v.Phone.EndDate)}, nil
}

// CancelRent is setRentStatus 2: refunded upstream within 20 minutes and
// before any SMS; CANT_CANCEL (ErrBadState) otherwise. Cancelled already
// is done.
func (c *Client) CancelRent(ctx context.Context, ref string) error {
	return c.setRentStatus(ctx, ref, 2, "ALREADY_CANCEL")
}

// FinishRent is setRentStatus 1; finished (or cancelled) already is done.
func (c *Client) FinishRent(ctx context.Context, ref string) error {
	return c.setRentStatus(ctx, ref, 1, "ALREADY_FINISH", "ALREADY_CANCEL")
}

func (c *Client) setRentStatus(ctx context.Context, ref string, status int, done ...string) error {
	if _, err := parseID(ref); err != nil {
		return fmt.Errorf("%s setRentStatus %q: %w", c.cfg.Name, ref, provider.ErrUnknownActivation)
	}
	_, word, err := c.rentCall(ctx, "setRentStatus", url.Values{"id": {ref}, "status": {strconv.Itoa(status)}})
	for _, d := range done {
		if word == d {
			return nil
		}
	}
	return err
}

var _ provider.Renter = (*Client)(nil)
