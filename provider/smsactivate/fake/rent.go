package fake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// The protocol's rent actions (getRentServicesAndCountries, getRentNumber,
// getRentStatus, setRentStatus, continueRentNumber), answered in JSON as
// the real ones are: {"status":"success",…} or
// {"status":"error","message":"WORD"}. A rental gets the SMS a test gives
// it (AddRentSMS); it can be cancelled (with a refund to the balance) in
// its first 20 minutes while no SMS came, CANT_CANCEL after; its SMS are
// listed newest first, in pages of 10 numbered from 0.

// RentCancelWindow is how long a rental can be given back.
const RentCancelWindow = 20 * time.Minute

// rentPageSize is how many SMS one getRentStatus page holds.
const rentPageSize = 10

// Rent states.
const (
	rentActive = "active"
	rentFinish = "finish"
	rentCancel = "cancel"
)

type rentPrice struct {
	cost  provider.Micros
	count int
}

type rental struct {
	id            int64
	service, cid  string
	phone         string
	cost          provider.Micros
	created, ends time.Time
	status        string
	closed        time.Time // when it stopped being active
	sms           []rentSMS
}

type rentSMS struct {
	from, text, date string
	served           time.Time // first shown by getRentStatus; zero before
}

// SetRentPrice sets the cost (a decimal in the account currency) and
// stock of renting a service (two-letter code) in a country (numeric id)
// for hours.
func (s *Server) SetRentPrice(service, countryID string, hours int, cost string, count int) {
	c, err := provider.ParseAmount(cost, provider.Dollar)
	if err != nil {
		panic("fake: bad cost " + cost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rentPrices == nil {
		s.rentPrices = map[rentKey]*rentPrice{}
	}
	s.rentPrices[rentKey{countryID, service, hours}] = &rentPrice{cost: c, count: count}
}

type rentKey struct {
	cid, service string
	hours        int
}

// SetNow sets the fake's clock (rentals' times and cancel window).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetZonedRentDates makes rentals' endDate and SMS dates carry their time
// zone (RFC 3339), as some speakers write them; without, they are
// "2006-01-02 15:04:05" in UTC with no zone said, as SMS-Activate's
// examples show them.
func (s *Server) SetZonedRentDates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zonedDates = on
}

// AddRentSMS delivers an SMS to an active rental now; it reports whether
// the rental was there to take it.
func (s *Server) AddRentSMS(id, from, text string) bool {
	n, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rents[n]
	if r == nil || s.rentStatus(r) != rentActive {
		return false
	}
	r.sms = append(r.sms, rentSMS{from: from, text: text, date: s.rentDate(s.clock())})
	return true
}

// RentSMSSeen tells when the SMS text of rental id was first shown by
// getRentStatus (zero if never) and when the rental stopped being active
// upstream (zero if it still is): an SMS never shown before the rental
// closed is one no client could have read.
func (s *Server) RentSMSSeen(id, text string) (served, closed time.Time) {
	n, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rents[n]
	if r == nil {
		return time.Time{}, time.Time{}
	}
	s.rentStatus(r)
	for _, m := range r.sms {
		if m.text == text {
			return m.served, r.closed
		}
	}
	return time.Time{}, r.closed
}

// EndRent ends a rental upstream before its time, as a provider that lost
// the number would.
func (s *Server) EndRent(id string) {
	n, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rents[n]; r != nil && s.rentStatus(r) == rentActive {
		r.close(rentFinish, s.clock())
	}
}

// Rental is a rental's state ("active", "finish", "cancel") and end, for
// assertions.
func (s *Server) Rental(id string) (state string, ends time.Time, ok bool) {
	n, _ := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rents[n]
	if r == nil {
		return "", time.Time{}, false
	}
	return s.rentStatus(r), r.ends, true
}

// Rentals lists the ids of every rental, oldest first.
func (s *Server) Rentals() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id := range s.rents {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.FormatInt(id, 10)
	}
	return out
}

func (s *Server) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func (s *Server) rentDate(t time.Time) string {
	if s.zonedDates {
		return t.UTC().Format(time.RFC3339)
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// rentStatus is where r stands now: a rental past its end is finished.
func (s *Server) rentStatus(r *rental) string {
	if r.status == rentActive && !s.clock().Before(r.ends) {
		r.close(rentFinish, r.ends)
	}
	return r.status
}

// close ends an active rental in status at.
func (r *rental) close(status string, at time.Time) {
	r.status, r.closed = status, at
}

func rentFail(word string) string { return `{"status":"error","message":"` + word + `"}` }

// rentAnswer answers a rent action; ok is false for any other action.
// Called with s.mu held.
func (s *Server) rentAnswer(action string, q url.Values) (string, bool) {
	switch action {
	case "getRentServicesAndCountries":
		return s.rentServices(q), true
	case "getRentNumber":
		return s.getRentNumber(q), true
	case "getRentStatus":
		return s.withRent(q, s.getRentStatus), true
	case "setRentStatus":
		return s.withRent(q, s.setRentStatus), true
	case "continueRentNumber":
		return s.withRent(q, s.continueRent), true
	}
	return "", false
}

func (s *Server) rentServices(q url.Values) string {
	hours, _ := strconv.Atoi(q.Get("rent_time"))
	cid := q.Get("country")
	if cid == "" {
		cid = "0"
	}
	services := map[string]any{}
	countries := map[string]int{}
	for k, p := range s.rentPrices {
		n, _ := strconv.Atoi(k.cid)
		countries[k.cid] = n
		if k.cid != cid || k.hours != hours {
			continue
		}
		var cost, count any = json.Number(decimal(p.cost)), p.count
		if s.stringNumbers {
			cost, count = decimal(p.cost), strconv.Itoa(p.count)
		}
		services[k.service] = map[string]any{"cost": cost, "quant": count}
	}
	b, _ := json.Marshal(map[string]any{"countries": countries, "operators": map[string]string{"0": "any"},
		"services": services})
	return string(b)
}

func (s *Server) getRentNumber(q url.Values) string {
	hours, _ := strconv.Atoi(q.Get("rent_time"))
	key := rentKey{q.Get("country"), q.Get("service"), hours}
	p := s.rentPrices[key]
	switch {
	case p == nil:
		return rentFail("BAD_SERVICE")
	case p.count <= 0:
		return rentFail("NO_NUMBERS")
	case s.balance < p.cost:
		return rentFail("NO_BALANCE")
	}
	s.balance -= p.cost
	p.count--
	s.nextID++
	now := s.clock()
	r := &rental{id: s.nextID, service: key.service, cid: key.cid, cost: p.cost, created: now,
		ends: now.Add(time.Duration(hours) * time.Hour), status: rentActive}
	r.phone = callingCodes[key.cid] + fmt.Sprintf("%010d", 8_000_000_000+s.nextID%1_000_000_000)
	if s.rents == nil {
		s.rents = map[int64]*rental{}
	}
	s.rents[r.id] = r
	return s.rentPhone(r)
}

func (s *Server) rentPhone(r *rental) string {
	b, _ := json.Marshal(map[string]any{"status": "success", "phone": map[string]any{
		"id": r.id, "endDate": s.rentDate(r.ends), "number": r.phone}})
	return string(b)
}

func (s *Server) withRent(q url.Values, f func(*rental, url.Values) string) string {
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return rentFail("NO_ID_RENT")
	}
	r := s.rents[id]
	if r == nil {
		return rentFail("INVALID_PHONE")
	}
	return f(r, q)
}

func (s *Server) getRentStatus(r *rental, q url.Values) string {
	switch s.rentStatus(r) {
	case rentFinish:
		return rentFail("STATUS_FINISH")
	case rentCancel:
		return rentFail("STATUS_CANCEL")
	}
	if len(r.sms) == 0 {
		return rentFail("STATUS_WAIT_CODE")
	}
	page, _ := strconv.Atoi(q.Get("page"))
	newest := make([]rentSMS, len(r.sms))
	for i, m := range r.sms {
		newest[len(r.sms)-1-i] = m
	}
	values := map[string]any{}
	now := s.clock()
	for i := page * rentPageSize; i < min(len(newest), (page+1)*rentPageSize) && i >= 0; i++ {
		m := newest[i]
		if old := &r.sms[len(r.sms)-1-i]; old.served.IsZero() {
			old.served = now
		}
		values[strconv.Itoa(i-page*rentPageSize)] = map[string]string{"phoneFrom": m.from, "text": m.text,
			"service": r.service, "date": m.date}
	}
	b, _ := json.Marshal(map[string]any{"status": "success", "quantity": strconv.Itoa(len(r.sms)), "values": values})
	return string(b)
}

func (s *Server) setRentStatus(r *rental, q url.Values) string {
	st := s.rentStatus(r)
	switch q.Get("status") {
	case "1":
		switch st {
		case rentFinish:
			return rentFail("ALREADY_FINISH")
		case rentCancel:
			return rentFail("ALREADY_CANCEL")
		}
		r.close(rentFinish, s.clock())
	case "2":
		switch {
		case st == rentCancel:
			return rentFail("ALREADY_CANCEL")
		case st == rentFinish:
			return rentFail("ALREADY_FINISH")
		case len(r.sms) > 0 || !s.clock().Before(r.created.Add(RentCancelWindow)):
			return rentFail("CANT_CANCEL")
		}
		r.close(rentCancel, s.clock())
		s.balance += r.cost
	default:
		return rentFail("INCORECT_STATUS") // sic, as the protocol spells it
	}
	return `{"status":"success"}`
}

func (s *Server) continueRent(r *rental, q url.Values) string {
	hours, _ := strconv.Atoi(q.Get("rent_time"))
	if s.rentStatus(r) != rentActive {
		return rentFail("RENT_DIE")
	}
	p := s.rentPrices[rentKey{r.cid, r.service, hours}]
	switch {
	case p == nil || hours <= 0:
		return rentFail("INVALID_TIME")
	case s.balance < p.cost:
		return rentFail("NO_BALANCE")
	}
	s.balance -= p.cost
	r.cost += p.cost
	r.ends = r.ends.Add(time.Duration(hours) * time.Hour)
	return s.rentPhone(r)
}
