package saapi

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/store"
)

func (h *Handler) getBalance(ctx context.Context, uid int64) answer {
	u, err := h.st.UserByID(ctx, uid)
	if err != nil {
		return h.fail(ctx, "getBalance", err)
	}
	return okText("ACCESS_BALANCE:" + dollars(u.BalanceCents))
}

// offersIn are the offers of one country (of one operator when given)
// whose service the protocol can name.
func (h *Handler) offersIn(ctx context.Context, countryCode, operator string) []provider.RoutedOffer {
	var out, list []provider.RoutedOffer
	if operator == "" {
		list = h.eng.Offers(ctx)
	} else {
		for _, s := range provider.Services() {
			list = append(list, h.eng.Operators(ctx, s.Code, countryCode)...)
		}
	}
	for _, o := range list {
		if o.Country != countryCode || (operator != "" && o.Operator != operator) {
			continue
		}
		if _, ok := provider.SMSActivateService(o.Service); ok {
			out = append(out, o)
		}
	}
	return out
}

func (h *Handler) getNumbersStatus(ctx context.Context, r *http.Request) answer {
	c, ok := country(r.FormValue("country"))
	if !ok {
		return okJSON(map[string]string{})
	}
	op, bad := operatorParam(r)
	if bad {
		return word("WRONG_OPERATOR")
	}
	out := map[string]string{}
	for _, o := range h.offersIn(ctx, c, op) {
		code, _ := provider.SMSActivateService(o.Service)
		out[code+"_0"] = strconv.Itoa(o.Stock)
	}
	return okJSON(out)
}

type priceJSON struct {
	Cost  any `json:"cost"`
	Count int `json:"count"`
}

func (h *Handler) getPrices(ctx context.Context, r *http.Request) answer {
	var svc string
	if s := r.FormValue("service"); s != "" {
		var ok bool
		if svc, ok = service(s); !ok {
			return word("BAD_SERVICE")
		}
	}
	onlyCountry := ""
	if id := r.FormValue("country"); id != "" {
		c, ok := country(id)
		if !ok {
			return okJSON(map[string]any{})
		}
		onlyCountry = c
	}
	out := map[string]map[string]priceJSON{}
	for _, o := range h.eng.Offers(ctx) {
		code, ok1 := provider.SMSActivateService(o.Service)
		cid, ok2 := provider.SMSActivateCountry(o.Country)
		if !ok1 || !ok2 || (svc != "" && o.Service != svc) || (onlyCountry != "" && o.Country != onlyCountry) {
			continue
		}
		if out[cid] == nil {
			out[cid] = map[string]priceJSON{}
		}
		out[cid][code] = priceJSON{Cost: dollarsJSON(o.SellCents), Count: o.Stock}
	}
	return okJSON(out)
}

type countryJSON struct {
	ID      int    `json:"id"`
	Eng     string `json:"eng"`
	Visible int    `json:"visible"` // 1: numbers in stock there now
	Retry   int    `json:"retry"`   // 1: another SMS may be asked (setStatus 3)
}

func (h *Handler) getCountries(ctx context.Context) answer {
	stock := map[string]bool{}
	for _, o := range h.eng.Offers(ctx) {
		if o.Stock > 0 {
			stock[o.Country] = true
		}
	}
	out := map[string]countryJSON{}
	for _, c := range provider.Countries() {
		id, ok := provider.SMSActivateCountry(c.Code)
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(id)
		v := countryJSON{ID: n, Eng: c.Name, Retry: 1}
		if stock[c.Code] {
			v.Visible = 1
		}
		out[id] = v
	}
	return okJSON(out)
}

// operatorParam is the operator asked for ("" for any); bad when it is
// not an operator's name.
func operatorParam(r *http.Request) (op string, bad bool) {
	op = r.FormValue("operator")
	if op == "" || op == provider.AnyOperator {
		return "", false
	}
	return op, !provider.ValidOperator(op)
}

type numberV2JSON struct {
	ActivationID       int64  `json:"activationId"`
	PhoneNumber        string `json:"phoneNumber"`
	ActivationCost     any    `json:"activationCost"`
	CountryCode        string `json:"countryCode"`
	CanGetAnotherSms   bool   `json:"canGetAnotherSms"`
	ActivationTime     string `json:"activationTime"`
	ActivationEndTime  string `json:"activationEndTime"`
	ActivationOperator string `json:"activationOperator"`
}

// getNumber reserves a number through the engine: the cheapest offer of
// the service in the country (of the operator, when given) at its price
// now, or at any price up to maxPrice (max_price) when given.
func (h *Handler) getNumber(ctx context.Context, uid int64, r *http.Request, v2 bool) answer {
	fail := word
	if v2 {
		fail = jsonWord
	}
	svc, ok := service(r.FormValue("service"))
	if !ok {
		return fail("BAD_SERVICE")
	}
	c, ok := country(r.FormValue("country"))
	if !ok {
		return fail("NO_NUMBERS") // the protocol's answer for a country with nothing
	}
	op, bad := operatorParam(r)
	if bad {
		return fail("WRONG_OPERATOR")
	}
	// maxPrice is SMS-Activate's, answered WRONG_MAX_PRICE:<price> when
	// below the price; max_price is DaisySMS's, answered
	// MAX_PRICE_EXCEEDED: each client gets the word it knows.
	maxParam, overWord := "maxPrice", "WRONG_MAX_PRICE:"
	if r.Form.Has("max_price") {
		maxParam, overWord = "max_price", "MAX_PRICE_EXCEEDED"
	}
	var maxCents int64
	if s := r.FormValue(maxParam); s != "" {
		if maxCents, ok = parseDollars(s); !ok || maxCents <= 0 {
			return fail("ERROR_SQL")
		}
	}
	over := func(price int64) answer {
		if overWord == "MAX_PRICE_EXCEEDED" {
			return fail(overWord)
		}
		return fail(overWord + dollars(price))
	}
	pick := provider.Pick{Service: svc, Country: c, Operator: op}
	o, inStock := h.eng.Quote(ctx, pick)
	if !inStock {
		return fail("NO_NUMBERS")
	}
	price := o.SellCents
	if maxCents > 0 {
		if o.SellCents > maxCents {
			return over(o.SellCents)
		}
		price = maxCents // the client agreed to pay up to its cap
	}
	res, err := h.eng.ReservePick(ctx, uid, pick, price)
	if err != nil {
		if errors.Is(err, engine.ErrPriceChanged) {
			if q, ok := h.eng.Quote(ctx, pick); ok && maxCents > 0 {
				return over(q.SellCents)
			}
			return fail("NO_NUMBERS")
		}
		w := reserveWord(err)
		if w == "ERROR_SQL" {
			h.log.ErrorContext(ctx, "sms-activate api: getNumber", "err", err)
		}
		return fail(w)
	}
	hdr := http.Header{"X-Price": {dollars(res.PriceCents)}}
	if !v2 {
		a := okText("ACCESS_NUMBER:" + strconv.FormatInt(res.ID, 10) + ":" + phone(res.Phone))
		a.header = hdr
		return a
	}
	cid, _ := provider.SMSActivateCountry(res.Country)
	opName := res.Operator
	if opName == "" {
		opName = provider.AnyOperator
	}
	a := okJSON(numberV2JSON{ActivationID: res.ID, PhoneNumber: phone(res.Phone),
		ActivationCost: dollarsJSON(res.PriceCents), CountryCode: cid, CanGetAnotherSms: h.eng.CanAgain(res.Provider),
		ActivationTime: protocolTime(res.CreatedAt), ActivationEndTime: protocolTime(res.ExpiresAt),
		ActivationOperator: opName})
	a.header = hdr
	return a
}

// reserveWord is the protocol's word for a reservation the engine
// refused.
func reserveWord(err error) string {
	var banned *store.BannedError
	var limit *store.OpenLimitError
	switch {
	case errors.As(err, &banned):
		return "BANNED"
	case errors.Is(err, store.ErrInsufficientFunds), errors.Is(err, store.ErrDebt):
		return "NO_BALANCE"
	case errors.As(err, &limit):
		return "ACTIVATIONS_LIMIT"
	case errors.Is(err, engine.ErrNoNumbers), errors.Is(err, engine.ErrNoOperator), errors.Is(err, engine.ErrNotSold):
		return "NO_NUMBERS"
	}
	return "ERROR_SQL"
}

// setStatus acts on an activation through the engine: 1 ready (nothing
// to do), 3 another SMS, 6 finish, 8 and -1 cancel. Asking for the end an
// activation already has (8 on one given back and refunded: cancelled,
// expired or failed; 6 on a finished one) is answered as done, so a client
// that retries is not misled.
func (h *Handler) setStatus(ctx context.Context, uid int64, r *http.Request) answer {
	if _, ok := activationID(r); !ok {
		return word("INVALID_ACTIVATION_ID")
	}
	status := r.FormValue("status")
	switch status {
	case "1", "3", "6", "8", "-1":
	default:
		return word("BAD_STATUS")
	}
	res, refused := h.activation(ctx, uid, r, "setStatus")
	if refused != nil {
		return *refused
	}
	id := res.ID
	switch status {
	case "1":
		if !res.State.Open() {
			return word("BAD_STATUS")
		}
		return okText("ACCESS_READY")
	case "3":
		if err := h.eng.Again(ctx, uid, id); err != nil {
			return h.actionWord(ctx, "setStatus 3", err)
		}
		return okText("ACCESS_RETRY_GET")
	case "6":
		if res.State == store.ResFinished {
			return okText("ACCESS_ACTIVATION")
		}
		if _, err := h.eng.Finish(ctx, uid, id); err != nil {
			return h.actionWord(ctx, "setStatus 6", err)
		}
		return okText("ACCESS_ACTIVATION")
	}
	if res.Refunded {
		// Cancelled, expired or failed: given back and refunded already.
		return okText("ACCESS_CANCEL")
	}
	if _, err := h.eng.Cancel(ctx, uid, id); err != nil {
		return h.actionWord(ctx, "setStatus 8", err)
	}
	return okText("ACCESS_CANCEL")
}

// actionWord is the protocol's word for an action on an activation the
// engine refused.
func (h *Handler) actionWord(ctx context.Context, action string, err error) answer {
	var guard *engine.CancelGuardError
	switch {
	case errors.As(err, &guard), errors.Is(err, engine.ErrCancelLater):
		return word("EARLY_CANCEL_DENIED")
	case errors.Is(err, store.ErrNoReservation):
		return word("NO_ACTIVATION")
	case errors.Is(err, store.ErrSMSArrived), errors.Is(err, store.ErrNotOpen), errors.Is(err, store.ErrNoSMSYet),
		errors.Is(err, store.ErrFirstSMSYet), errors.Is(err, engine.ErrNoAgain):
		return word("BAD_STATUS")
	}
	return h.fail(ctx, action, err)
}

// statusWord is getStatus's answer for a reservation (its messages
// loaded).
func statusWord(r store.Reservation) string {
	switch {
	case r.State == store.ResActive:
		return "STATUS_WAIT_CODE"
	case r.WaitingForAnother():
		return "STATUS_WAIT_RETRY:" + codeOf(r)
	case len(r.Messages) > 0:
		return "STATUS_OK:" + codeOf(r)
	}
	return "STATUS_CANCEL"
}

// codeOf is the code of the newest message with one, or else the newest
// message's text on one line (an SMS whose code we could not find).
func codeOf(r store.Reservation) string {
	if c := r.LatestCode(); c != "" {
		return c
	}
	if n := len(r.Messages); n > 0 {
		return oneLine(r.Messages[n-1].Body)
	}
	return ""
}

func oneLine(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// activation is the number the id parameter names, among the account's
// own; else the word that says why not.
func (h *Handler) activation(ctx context.Context, uid int64, r *http.Request, action string) (store.Reservation, *answer) {
	id, ok := activationID(r)
	if !ok {
		a := word("INVALID_ACTIVATION_ID")
		return store.Reservation{}, &a
	}
	res, err := h.st.UserReservation(ctx, uid, id)
	if errors.Is(err, store.ErrNoReservation) {
		a := word("NO_ACTIVATION")
		return res, &a
	}
	if err != nil {
		a := h.fail(ctx, action, err)
		return res, &a
	}
	return res, nil
}

func (h *Handler) getStatus(ctx context.Context, uid int64, r *http.Request) answer {
	res, refused := h.activation(ctx, uid, r, "getStatus")
	if refused != nil {
		return *refused
	}
	return okText(statusWord(res))
}

func (h *Handler) getFullSms(ctx context.Context, uid int64, r *http.Request) answer {
	res, refused := h.activation(ctx, uid, r, "getFullSms")
	if refused != nil {
		return *refused
	}
	if n := len(res.Messages); n > 0 && !res.WaitingForAnother() {
		return okText("FULL_SMS:" + res.Messages[n-1].Body)
	}
	return okText(statusWord(res))
}

type activationJSON struct {
	ActivationID     string  `json:"activationId"`
	ServiceCode      string  `json:"serviceCode"`
	PhoneNumber      string  `json:"phoneNumber"`
	ActivationCost   string  `json:"activationCost"`
	ActivationStatus string  `json:"activationStatus"` // "1" waiting for the SMS, "3" for another, "4" a code came
	SmsCode          *string `json:"smsCode"`
	SmsText          *string `json:"smsText"`
	ActivationTime   string  `json:"activationTime"`
	Discount         string  `json:"discount"`
	Repeated         string  `json:"repeated"` // "1" once another SMS was asked
	CountryCode      string  `json:"countryCode"`
	CountryName      string  `json:"countryName"`
	CanGetAnotherSms string  `json:"canGetAnotherSms"`
}

func (h *Handler) getActiveActivations(ctx context.Context, uid int64) answer {
	open, err := h.st.OpenReservations(ctx, uid)
	if err != nil {
		return h.fail(ctx, "getActiveActivations", err)
	}
	slices.SortFunc(open, func(a, b store.Reservation) int { return cmp.Compare(a.ID, b.ID) })
	list := make([]activationJSON, 0, len(open))
	for _, r := range open {
		svc, ok1 := provider.SMSActivateService(r.Service)
		cid, ok2 := provider.SMSActivateCountry(r.Country)
		if !ok1 || !ok2 {
			continue // a number of ours the protocol cannot name
		}
		a := activationJSON{ActivationID: strconv.FormatInt(r.ID, 10), ServiceCode: svc, PhoneNumber: phone(r.Phone),
			ActivationCost: dollars(r.PriceCents), ActivationStatus: "1", ActivationTime: protocolTime(r.CreatedAt),
			Discount: "0.00", Repeated: "0", CountryCode: cid, CanGetAnotherSms: "0"}
		if c, ok := provider.LookupCountry(r.Country); ok {
			a.CountryName = c.Name
		}
		if h.eng.CanAgain(r.Provider) {
			a.CanGetAnotherSms = "1"
		}
		if n := len(r.Messages); n > 0 {
			code, text := codeOf(r), r.Messages[n-1].Body
			a.SmsCode, a.SmsText, a.ActivationStatus = &code, &text, "4"
		}
		if r.WaitingForAnother() {
			a.ActivationStatus, a.Repeated = "3", "1"
		}
		list = append(list, a)
	}
	if len(list) == 0 {
		return jsonWord("NO_ACTIVATIONS")
	}
	return okJSON(map[string]any{"status": "success", "activeActivations": list})
}
