package fake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/wantsms/wantsms/provider"
)

// callingCodes are E.164 calling codes of the countries the fake sells,
// by SMS-Activate country id, so its numbers look like the real ones.
var callingCodes = map[string]string{
	"0": "7", "1": "380", "2": "7", "6": "62", "15": "48", "16": "44", "22": "91",
	"36": "1", "43": "49", "48": "31", "56": "34", "62": "90", "73": "55",
	"78": "33", "86": "39", "187": "1",
}

func (s *Server) getPrices(service, country string) string {
	out := map[string]map[string]map[string]any{}
	for k, p := range s.prices {
		if (country != "" && k[0] != country) || (service != "" && k[1] != service) {
			continue
		}
		if out[k[0]] == nil {
			out[k[0]] = map[string]map[string]any{}
		}
		var cost, count any = json.Number(decimal(p.cost)), p.count
		if s.stringNumbers {
			cost, count = decimal(p.cost), strconv.Itoa(p.count)
		}
		out[k[0]][k[1]] = map[string]any{"cost": cost, "count": count}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// getOperators answers {"status":"success","countryOperators":{"<id>":[…]}},
// or OPERATORS_NOT_FOUND for a country without operators.
func (s *Server) getOperators(country string) string {
	var names []string
	for k := range s.operators {
		if k[0] == country {
			names = append(names, k[1])
		}
	}
	if len(names) == 0 {
		return `{"status":"error","error":"OPERATORS_NOT_FOUND"}`
	}
	sort.Strings(names)
	b, _ := json.Marshal(map[string]any{"status": "success", "countryOperators": map[string][]string{country: names}})
	return string(b)
}

// getNumbersStatus answers {"<service>_0":"<stock>",…} for a country,
// of one operator when it is given.
func (s *Server) getNumbersStatus(country, operator string) string {
	out := map[string]string{}
	if operator == "" || operator == "any" {
		for k, p := range s.prices {
			if k[0] == country {
				out[k[1]+"_0"] = strconv.Itoa(p.count)
			}
		}
	} else if ops, ok := s.operators[[2]string{country, operator}]; ok {
		for svc, n := range ops {
			out[svc+"_0"] = strconv.Itoa(n)
		}
	} else {
		return "WRONG_OPERATOR"
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func (s *Server) getNumber(q url.Values, v2 bool) string {
	key := [2]string{q.Get("country"), q.Get("service")}
	p := s.prices[key]
	op := q.Get("operator")
	var opStock map[string]int
	if op != "" && op != "any" {
		if opStock = s.operators[[2]string{key[0], op}]; opStock == nil {
			return "WRONG_OPERATOR"
		}
	}
	switch {
	case p == nil:
		return "BAD_SERVICE"
	case p.count <= 0, opStock != nil && opStock[key[1]] <= 0:
		return "NO_NUMBERS"
	case q.Has("maxPrice"):
		limit, err := provider.ParseAmount(q.Get("maxPrice"), provider.Dollar)
		if err != nil || limit < p.cost {
			return "WRONG_MAX_PRICE:" + decimal(p.cost)
		}
	}
	if s.balance < p.cost {
		return "NO_BALANCE"
	}
	s.balance -= p.cost
	p.count--
	if opStock != nil {
		opStock[key[1]]--
	}
	s.nextID++
	a := &activation{id: s.nextID, service: key[1], cid: key[0], cost: p.cost, status: stWait, script: s.script,
		operator: "any"}
	if opStock != nil {
		a.operator = op
	}
	a.phone = callingCodes[key[0]] + fmt.Sprintf("%010d", 9_000_000_000+s.nextID%1_000_000_000)
	s.acts[a.id] = a
	return s.dialect.number(a, key[0], v2)
}

// number words a new activation's answer in the dialect.
func (d Dialect) number(a *activation, countryID string, v2 bool) string {
	phone := a.phone
	if d.ForeignPhone {
		phone = "999" + phone[len(phone)-9:] // no country's calling code
	}
	if d.Spaces && v2 {
		phone = phone[:len(phone)-7] + " " + phone[len(phone)-7:len(phone)-4] + " " + phone[len(phone)-4:]
	}
	if d.PlusPhone {
		phone = "+" + phone
	}
	if v2 {
		m := map[string]any{
			"activationId": a.id, "phoneNumber": phone, "activationCost": json.Number(decimal(a.cost)),
			"countryCode": countryID, "canGetAnotherSms": "1", "activationTime": "2025-01-01 12:00:00",
			"activationOperator": a.operator,
		}
		if d.Extra != "" {
			m["extra"] = d.Extra
		}
		if d.LowerCase {
			lower := map[string]any{}
			for k, v := range m {
				lower[strings.ToLower(k)] = v
			}
			m = lower
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	fields := []string{"ACCESS_NUMBER", strconv.FormatInt(a.id, 10), phone}
	if d.LowerCase {
		fields[0] = "access_number"
	}
	if d.Extra != "" {
		fields = append(fields, d.Extra)
	}
	sep := ":"
	if d.Spaces {
		sep = " : "
	}
	return strings.Join(fields, sep)
}

func (s *Server) withActivation(q url.Values, f func(*activation) string) string {
	id, err := strconv.ParseInt(q.Get("id"), 10, 64)
	if err != nil || id <= 0 {
		return "WRONG_ACTIVATION_ID"
	}
	a := s.acts[id]
	if a == nil {
		return "NO_ACTIVATION"
	}
	return f(a)
}

// getStatus moves the scripted life on by one poll.
func (s *Server) getStatus(a *activation) string {
	switch a.status {
	case stWait, stRetry:
		a.polls++
		if !a.script.Never && a.polls > a.script.CodeAfterPolls {
			a.codes++
			a.code = fmt.Sprintf("%d%05d", a.codes, a.id%100_000)
			if a.script.Code != "" {
				a.code = a.script.Code
			}
			a.status = stOK
			return "STATUS_OK:" + a.code
		}
		if a.status == stWait {
			return "STATUS_WAIT_CODE"
		}
		if a.script.RetryBare {
			return "STATUS_WAIT_RETRY"
		}
		return "STATUS_WAIT_RETRY:" + a.oldCode
	case stOK, stFinish:
		return "STATUS_OK:" + a.code
	}
	return "STATUS_CANCEL"
}

// setStatus follows the transitions of the protocol doc §1.3.
func (s *Server) setStatus(a *activation, status string) string {
	switch {
	case status == "1" && a.status == stWait:
		return "ACCESS_READY"
	case status == "3" && a.status == stOK:
		a.status, a.oldCode, a.polls = stRetry, a.code, 0
		return "ACCESS_RETRY_GET"
	case status == "6" && (a.status == stOK || a.status == stRetry || a.status == stFinish):
		a.status = stFinish
		return "ACCESS_ACTIVATION"
	case status == "8" && a.status == stCancel:
		return "ACCESS_CANCEL"
	case status == "8" && a.status == stWait:
		if a.script.CancelLocked {
			return "EARLY_CANCEL_DENIED"
		}
		a.status = stCancel
		s.balance += a.cost // refund: no code came
		return "ACCESS_CANCEL"
	}
	return "BAD_STATUS"
}

func (a *activation) text() string {
	return strings.ReplaceAll(a.script.Text, "{code}", a.code)
}
