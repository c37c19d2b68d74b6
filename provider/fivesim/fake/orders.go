package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// callingCodes are the E.164 calling codes of the countries the fake
// sells, by 5sim name.
var callingCodes = map[string]string{
	"russia": "7", "england": "44", "usa": "1", "germany": "49", "india": "91", "indonesia": "62",
	"brazil": "55", "france": "33", "netherlands": "31", "poland": "48", "ukraine": "380",
	"kazakhstan": "7", "canada": "1", "spain": "34", "italy": "39", "turkey": "90",
}

func (s *Server) pricesJSON(q url.Values) string {
	out := map[string]map[string]map[string]any{}
	for k, p := range s.prices {
		if (q.Get("country") != "" && k[0] != q.Get("country")) || (q.Get("product") != "" && k[1] != q.Get("product")) {
			continue
		}
		if out[k[0]] == nil {
			out[k[0]] = map[string]map[string]any{}
		}
		if out[k[0]][k[1]] == nil {
			out[k[0]][k[1]] = map[string]any{}
		}
		out[k[0]][k[1]][k[2]] = map[string]any{"cost": json.Number(decimal(p.cost)), "count": p.count, "rate": 99.5}
	}
	return jsonOf(out)
}

func (s *Server) userCall(parts []string) (int, string) {
	if len(parts) == 5 && parts[0] == "buy" && parts[1] == "activation" {
		return s.buy(parts[2], parts[3], parts[4])
	}
	if len(parts) == 5 && parts[0] == "buy" && parts[1] == "hosting" {
		return s.buyHosting(parts[2], parts[3], parts[4])
	}
	if len(parts) == 3 && parts[0] == "sms" && parts[1] == "inbox" {
		return s.inbox(parts[2])
	}
	if len(parts) != 2 {
		return http.StatusNotFound, "404 page not found"
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	o := s.orders[id]
	if err != nil || o == nil {
		return http.StatusNotFound, "order not found"
	}
	switch parts[0] {
	case "check":
		s.tick(o)
	case "finish":
		if o.Status == "RECEIVED" {
			o.Status = "FINISHED"
		}
	case "cancel", "ban":
		if o.hosting && parts[0] == "cancel" {
			return http.StatusBadRequest, "hosting order"
		}
		if len(o.SMS) > 0 && parts[0] == "cancel" {
			return http.StatusBadRequest, "order has sms"
		}
		if o.Status == "RECEIVED" {
			o.Status = map[string]string{"cancel": "CANCELED", "ban": "BANNED"}[parts[0]]
			if len(o.SMS) == 0 {
				s.balance += o.cost
			}
		}
	default:
		return http.StatusNotFound, "404 page not found"
	}
	return http.StatusOK, s.dialect.order(o)
}

// order words an order in the dialect.
func (d Dialect) order(o *order) string {
	w := *o
	if d.ForeignPhone {
		w.Phone = "+999" + w.Phone[len(w.Phone)-9:] // no country's calling code
	}
	if d.Spaces {
		w.Phone = w.Phone[:len(w.Phone)-10] + " " + w.Phone[len(w.Phone)-10:len(w.Phone)-6] + " " + w.Phone[len(w.Phone)-6:]
	}
	if d.NoPlus {
		w.Phone = strings.TrimPrefix(w.Phone, "+")
	}
	if d.LowerCase {
		w.Status = strings.ToLower(w.Status)
	}
	if d.Extra == "" {
		return jsonOf(w)
	}
	var m map[string]any
	json.Unmarshal([]byte(jsonOf(w)), &m)
	m["extra"] = d.Extra
	return jsonOf(m)
}

func (s *Server) buy(country, operator, product string) (int, string) {
	cc, known := callingCodes[country]
	if !known {
		return http.StatusBadRequest, "bad country"
	}
	var best *price
	var bestOp string
	for k, p := range s.prices {
		if k[0] == country && k[1] == product && (operator == "any" || k[2] == operator) &&
			p.count > 0 && (best == nil || p.cost < best.cost) {
			best, bestOp = p, k[2]
		}
	}
	switch {
	case best == nil:
		return http.StatusBadRequest, "no free phones"
	case s.balance < best.cost:
		return http.StatusBadRequest, "not enough user balance"
	}
	s.balance -= best.cost
	best.count--
	s.nextID++
	now := s.now().UTC()
	o := &order{
		ID: s.nextID, Phone: fmt.Sprintf("+%s9%09d", cc, s.nextID%1_000_000_000), Operator: bestOp,
		Product: product, Price: json.Number(decimal(best.cost)), Status: "RECEIVED",
		Expires: now.Add(Lifetime).Format("2006-01-02T15:04:05.999999Z"), SMS: []smsJSON{},
		CreatedAt: now.Format("2006-01-02T15:04:05.999999Z"), Country: country,
		cost: best.cost, script: s.script,
	}
	s.orders[o.ID] = o
	return http.StatusOK, s.dialect.order(o)
}

// tick moves the scripted life on by one check.
func (s *Server) tick(o *order) {
	o.checks++
	if o.Status != "RECEIVED" || o.script.Never || len(o.SMS) > 0 || o.checks <= o.script.SMSAfterChecks {
		return
	}
	code := fmt.Sprintf("%06d", o.ID%1_000_000)
	s.addSMS(o, o.script.Sender, strings.ReplaceAll(o.script.Text, "{code}", code), code)
}

func (s *Server) addSMS(o *order, sender, text, code string) {
	now := s.now().UTC().Format("2006-01-02T15:04:05.999999Z")
	m := smsJSON{CreatedAt: now, Date: now, Sender: sender, Text: text, Code: code}
	if !o.script.NoSMSID {
		m.ID = o.ID*10 + int64(len(o.SMS)) + 1
	}
	o.SMS = append(o.SMS, m)
}
