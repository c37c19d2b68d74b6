package v1api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/tui/wording"
)

// Bounds of the reservation routes' parameters.
const (
	// maxPriceCents bounds max_price_cents: a number costs cents to a few
	// dollars, so $100 is far above any offer (the commands' bound too).
	maxPriceCents = 10_000
	// maxWait bounds a long poll: long enough that a client asks about
	// twice a minute at most, short enough for proxies that cut idle
	// answers after a few minutes.
	maxWait = 2 * time.Minute
	// writeSlack is how long past its wait a long poll's answer may take
	// to write (the listener's write timeout is shorter than a wait).
	writeSlack = 15 * time.Second
	// History pages: a screenful by default, and a bound on one answer
	// (the history command's).
	defaultHistory = 20
	maxHistory     = 500
	maxOffset      = 1 << 20
)

type createReservation struct {
	Service       string `json:"service"`
	Country       string `json:"country"`
	Operator      string `json:"operator"`
	MaxPriceCents int64  `json:"max_price_cents"`
}

// createReservation reserves the cheapest number of the service in stock
// (in the country, of the operator, when given), at max_price_cents or
// below, as `reserve` does: the engine's Cheapest, then ReservePick at
// that offer's price, which debits it with the number in one
// transaction and refuses if it rose meanwhile.
func (a *API) createReservation(c *call) error {
	var req createReservation
	if err := decode(c, &req); err != nil {
		return err
	}
	service, err := serviceParam(req.Service, true)
	if err != nil {
		return err
	}
	country, err := countryParam(req.Country, false)
	if err != nil {
		return err
	}
	op := strings.ToLower(req.Operator)
	switch {
	case op != "" && !provider.ValidOperator(op):
		return refuse(CodeBadRequest, "operator is an operator's name in letters and digits, like vodafone "+
			"(GET /v1/operators lists them)")
	case op != "" && country == "":
		return refuse(CodeBadRequest, "operator needs country: operators differ from country to country")
	case req.MaxPriceCents < 0 || req.MaxPriceCents > maxPriceCents:
		return refuse(CodeBadRequest, fmt.Sprintf("max_price_cents is from 1 to %d (0 or absent: any price)",
			maxPriceCents))
	}
	pick := provider.Pick{Service: service, Country: country, Operator: op}
	o, ok := a.d.Numbers.Cheapest(c.ctx, pick)
	switch {
	case !ok && op != "":
		return engine.ErrNoOperator
	case !ok:
		return engine.ErrNoNumbers
	case req.MaxPriceCents > 0 && o.SellCents > req.MaxPriceCents:
		where := ""
		if country != "" {
			where = " in " + wording.Country(country)
		}
		return refuse(CodeAboveMaxPrice, fmt.Sprintf("the cheapest %s number%s costs %s, more than "+
			"max_price_cents %d (%s)", wording.Service(service), where, store.FormatCents(o.SellCents),
			req.MaxPriceCents, store.FormatCents(req.MaxPriceCents)))
	}
	r, err := a.reserveAt(c, pick, o, req.MaxPriceCents)
	if err != nil {
		return err
	}
	return a.replyCreated(c, r)
}

// replyCreated answers a number just reserved.
func (a *API) replyCreated(c *call, r store.Reservation) error {
	c.w.Header().Set("Location", Prefix+"/reservations/"+strconv.FormatInt(r.ID, 10))
	return a.replyReservation(c, http.StatusCreated, r)
}

// reserveAt buys offer o at its price. A price that moved between the
// offer and the purchase (the market drifts) is taken again at the new
// price, a few times, while it stays within maxCents (when set) — the
// client agreed to any price up to its cap, or never saw one.
func (a *API) reserveAt(c *call, pick provider.Pick, o provider.RoutedOffer, maxCents int64) (store.Reservation, error) {
	for try := 1; ; try++ {
		r, err := a.d.Numbers.ReservePick(c.ctx, c.user.ID, o.Pick(), o.SellCents)
		if !errors.Is(err, engine.ErrPriceChanged) || try == requotes {
			return r, err
		}
		var ok bool
		if o, ok = a.d.Numbers.Cheapest(c.ctx, pick); !ok {
			return r, engine.ErrNoNumbers
		}
		if maxCents > 0 && o.SellCents > maxCents {
			return r, err
		}
	}
}

// requotes bounds how often a reservation without a cap is tried again at
// a moved price.
const requotes = 3

// resumeReservation answers the reservation an idempotency key bought,
// as it is now.
func (a *API) resumeReservation(c *call, resource string) error {
	id, err := strconv.ParseInt(strings.TrimPrefix(resource, "res:"), 10, 64)
	if err != nil || store.ResRef(id) != resource {
		return fmt.Errorf("idempotency key names %q, not a reservation", resource)
	}
	r, err := a.d.Store.UserReservation(c.ctx, c.user.ID, id)
	if err != nil {
		return err
	}
	return a.replyCreated(c, r)
}

// openReservations lists the account's open numbers, newest first.
func (a *API) openReservations(c *call) error {
	rs, err := a.d.Store.OpenReservations(c.ctx, c.user.ID)
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, reservationsJSON{Reservations: reservationsOf(rs)})
}

// getReservation answers one of the account's numbers, with an ETag. With
// ?wait it is a long poll (longPoll): it answers at the number's next
// change, when the wait ends, or at once when the number has ended.
func (a *API) getReservation(c *call) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	return a.longPoll(c, watched{
		concerns: func(e store.Event) bool { return e.ConcernsReservation(id) },
		read: func() ([]byte, string, bool, error) {
			r, err := a.d.Store.UserReservation(c.ctx, c.user.ID, id)
			if err != nil {
				return nil, "", false, err
			}
			body, tag, err := digest(reservationOf(r))
			return body, tag, r.State.Open(), err
		},
	}, wait)
}

// watched is what a long poll watches: how to read it (its JSON, ETag,
// and whether it may still change) and which events may change it.
type watched struct {
	read     func() (body []byte, tag string, open bool, err error)
	concerns func(store.Event) bool
}

// longPoll answers w with its ETag. With wait it answers at w's next
// change, or when the wait ends (with If-None-Match: 304 if nothing
// changed), or at once when w has ended or already differs from
// If-None-Match. It listens to the account's live events, as the
// dashboard does, and reads w again on each event about it; a client
// that leaves ends it.
func (a *API) longPoll(c *call, w watched, wait time.Duration) error {
	var sub *store.Subscription
	if wait > 0 {
		sub = a.d.Store.Hub().Subscribe(c.user.ID)
		defer sub.Close()
	}
	// Read after subscribing: a change from now on is an event.
	body, tag, open, err := w.read()
	if err != nil {
		return err
	}
	inm := c.r.Header.Get("If-None-Match")
	if wait > 0 && open && (inm == "" || etagMatch(inm, tag)) {
		_ = http.NewResponseController(c.w).SetWriteDeadline(time.Now().Add(wait + writeSlack))
		if body, tag, err = a.nextChange(c, sub, w, body, tag, wait); err != nil {
			return err
		}
	}
	c.w.Header().Set("ETag", tag)
	if inm != "" && etagMatch(inm, tag) {
		c.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	c.send(http.StatusOK, body)
	return nil
}

// nextChange waits until w reads differently from tag, the wait ends or
// the server closes, and returns it as it then reads. An event about the
// account (a key revoked, the account deleted) checks the caller's key
// again: a revoked key ends the poll at once.
func (a *API) nextChange(c *call, sub *store.Subscription, w watched, body []byte, tag string,
	wait time.Duration) ([]byte, string, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-sub.C:
			if !ok {
				return body, tag, nil // the store is closing
			}
			missed := sub.Missed()
			if !missed && !w.concerns(ev) {
				continue
			}
			if missed || ev.Kind == store.EventAccount || ev.Kind == store.EventAccountDeleted {
				if err := a.identify(c); err != nil {
					return body, tag, err
				}
			}
		case <-timer.C:
			return body, tag, nil
		case <-a.closing:
			return body, tag, nil
		case <-c.ctx.Done():
			return body, tag, c.ctx.Err()
		}
		fresh, freshTag, open, err := w.read()
		if err != nil {
			return body, tag, err
		}
		if freshTag != tag || !open {
			return fresh, freshTag, nil
		}
	}
}

// digest is an answer's JSON and its ETag, a digest of it.
func digest(v any) (body []byte, tag string, err error) {
	body, err = json.Marshal(v)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return body, `"` + hex.EncodeToString(sum[:12]) + `"`, nil
}

// etagMatch reports whether an If-None-Match header names tag (or is *).
func etagMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

// replyReservation answers a number after an action, read again with its
// messages (the engine returns it without them), with its ETag.
func (a *API) replyReservation(c *call, status int, r store.Reservation) error {
	if fresh, err := a.d.Store.UserReservation(c.ctx, c.user.ID, r.ID); err == nil {
		r = fresh
	}
	body, tag, err := digest(reservationOf(r))
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", tag)
	c.send(status, body)
	return nil
}

// cancel gives back a number that got no SMS, for a full refund, by the
// engine's rule (the early-cancel guard, no SMS yet).
func (a *API) cancel(c *call) error {
	return a.act(c, func(uid, id int64) (store.Reservation, error) { return a.d.Numbers.Cancel(c.ctx, uid, id) })
}

// finish closes a number that got its SMS.
func (a *API) finish(c *call) error {
	return a.act(c, func(uid, id int64) (store.Reservation, error) { return a.d.Numbers.Finish(c.ctx, uid, id) })
}

// again asks for another SMS on a number that got one, free of charge.
func (a *API) again(c *call) error {
	return a.act(c, func(uid, id int64) (store.Reservation, error) {
		return store.Reservation{ID: id}, a.d.Numbers.Again(c.ctx, uid, id)
	})
}

// act runs an action on the number in the path and answers the number.
func (a *API) act(c *call, do func(userID, id int64) (store.Reservation, error)) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := noBody(c); err != nil {
		return err
	}
	r, err := do(c.user.ID, id)
	if err != nil {
		return err
	}
	return a.replyReservation(c, http.StatusOK, r)
}

// history lists the account's ended numbers within the dashboard's
// retention (the store's History), newest first.
func (a *API) history(c *call) error {
	limit, err := intParam(c, "limit", 1, maxHistory, defaultHistory)
	if err != nil {
		return err
	}
	offset, err := intParam(c, "offset", 0, maxOffset, 0)
	if err != nil {
		return err
	}
	since, err := sinceParam(c)
	if err != nil {
		return err
	}
	page, more, err := a.d.Store.History(c.ctx, c.user.ID, store.HistoryQuery{Limit: limit, Offset: offset,
		Since: since})
	if err != nil {
		return err
	}
	return c.reply(http.StatusOK, historyJSON{Reservations: reservationsOf(page), More: more})
}
