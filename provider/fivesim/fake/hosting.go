package fake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// Hosting orders: 5sim's rentals. A product names the period ("1day");
// GET /guest/products/{country}/{operator} lists them with activations'
// products, Category "hosting"; GET /user/buy/hosting/{country}/{operator}/{product}
// buys one (an order that lives the period, SMS from anyone: AddSMS);
// GET /user/sms/inbox/{id} lists its SMS; a cancel is refused with
// "hosting order".

// hostingPeriods are the periods of the hosting products the fake sells.
var hostingPeriods = map[string]time.Duration{"3hours": 3 * time.Hour, "1day": 24 * time.Hour}

// SetHostingPrice sets the cost and stock of a hosting product ("1day")
// in a country (5sim name).
func (s *Server) SetHostingPrice(country, product, cost string, count int) {
	c, err := provider.ParseAmount(cost, provider.Dollar)
	if err != nil {
		panic("fake: bad cost " + cost)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hosting == nil {
		s.hosting = map[[2]string]*price{}
	}
	s.hosting[[2]string{country, product}] = &price{cost: c, count: count}
}

// SetNow sets the fake's clock (orders' times).
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// productsJSON answers /guest/products/{country}/{operator}: the hosting
// products of the country, and the activation products priced there.
func (s *Server) productsJSON(parts []string) (int, string) {
	if len(parts) != 2 {
		return http.StatusNotFound, "404 page not found"
	}
	out := map[string]any{}
	for k, p := range s.prices {
		if k[0] == parts[0] && (parts[1] == "any" || k[2] == parts[1]) {
			out[k[1]] = map[string]any{"Category": "activation", "Qty": p.count, "Price": json.Number(decimal(p.cost))}
		}
	}
	for k, p := range s.hosting {
		if k[0] == parts[0] {
			out[k[1]] = map[string]any{"Category": "hosting", "Qty": p.count, "Price": json.Number(decimal(p.cost))}
		}
	}
	return http.StatusOK, jsonOf(out)
}

func (s *Server) buyHosting(country, operator, product string) (int, string) {
	cc, known := callingCodes[country]
	p := s.hosting[[2]string{country, product}]
	switch {
	case !known:
		return http.StatusBadRequest, "bad country"
	case p == nil || hostingPeriods[product] == 0:
		return http.StatusBadRequest, "bad product"
	case p.count <= 0:
		return http.StatusBadRequest, "no free phones"
	case s.balance < p.cost:
		return http.StatusBadRequest, "not enough user balance"
	}
	s.balance -= p.cost
	p.count--
	s.nextID++
	now := s.now().UTC()
	o := &order{
		ID: s.nextID, Phone: fmt.Sprintf("+%s8%09d", cc, s.nextID%1_000_000_000), Operator: operator,
		Product: product, Price: json.Number(decimal(p.cost)), Status: "RECEIVED",
		Expires: now.Add(hostingPeriods[product]).Format("2006-01-02T15:04:05.999999Z"), SMS: []smsJSON{},
		CreatedAt: now.Format("2006-01-02T15:04:05.999999Z"), Country: country,
		cost: p.cost, script: Script{Never: true, NoSMSID: s.script.NoSMSID}, hosting: true,
	}
	s.orders[o.ID] = o
	return http.StatusOK, s.dialect.order(o)
}

// inbox answers /user/sms/inbox/{id}: {"Data":[SMS…],"Total":n}.
func (s *Server) inbox(id string) (int, string) {
	n, err := strconv.ParseInt(id, 10, 64)
	o := s.orders[n]
	if err != nil || o == nil {
		return http.StatusNotFound, "order not found"
	}
	return http.StatusOK, jsonOf(map[string]any{"Data": o.SMS, "Total": len(o.SMS)})
}
