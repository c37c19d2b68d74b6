package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/wantsms/wantsms/provider"
)

// operators are the mobile operators the simulator sells numbers of, in
// some of its countries (their networks' usual names), so that choosing
// an operator can be tried without an upstream account. Elsewhere it
// sells "any operator" only, as upstreams do for many countries.
var operators = map[string][]string{
	"br": {"claro", "tim", "vivo"},
	"gb": {"ee", "o2", "three", "vodafone"},
	"id": {"indosat", "telkomsel", "xl"},
	"in": {"airtel", "jio", "vi"},
	"kz": {"beeline", "kcell", "tele2"},
	"ru": {"beeline", "megafon", "mts", "tele2"},
	"ua": {"kyivstar", "lifecell", "vodafone"},
	"us": {"att", "tmobile", "verizon"},
}

// Operator market, invented like the rest: one operator's numbers cost
// the pair's price plus up to operatorPremiumPermille (choosing narrows
// what the upstream can hand out), the pair's stock is shared between
// its operators by weight, and an operator is sold out for a period
// with probability operatorSoldOutPercent.
const (
	operatorPremiumPermille = 300
	operatorSoldOutPercent  = 10
)

// Operators lists the simulated operators of a pair with their cost and
// stock now; none where the country has none.
func (s *Sim) Operators(ctx context.Context, service, country string) ([]provider.OperatorOffer, error) {
	if err := s.usable(ctx); err != nil {
		return nil, err
	}
	if _, ok := styles[service]; !ok || phonePlans[country] == nil {
		return nil, fmt.Errorf("%s operators %s/%s: %w", s.opt.Name, service, country, provider.ErrBadService)
	}
	now := s.marketTime()
	out := make([]provider.OperatorOffer, 0, len(operators[country]))
	for _, op := range operators[country] {
		cost, stock := operatorMarket(s.opt.Seed, service, country, op, now)
		out = append(out, provider.OperatorOffer{Operator: op, Cost: cost, Stock: stock})
	}
	return out, nil
}

// BuyOperator rents a simulated number of one operator.
func (s *Sim) BuyOperator(ctx context.Context, service, country, operator string, maxCost provider.Micros) (provider.Number, error) {
	if operator == "" {
		return provider.Number{}, fmt.Errorf("%s buy %s/%s: no operator: %w", s.opt.Name, service, country,
			provider.ErrBadService)
	}
	return s.buy(ctx, service, country, operator, maxCost)
}

// operatorMarket is the cost and stock of one operator's numbers for a
// pair at time now, deterministic from the seed and the drift period.
func operatorMarket(seed int64, service, country, operator string, now time.Time) (provider.Micros, int) {
	cost, stock := market(seed, service, country, now)
	bucket := now.Unix() / int64(driftPeriod/time.Second)
	h := mix(seed, service, country+"/"+operator, bucket)
	cost = cost * provider.Micros(1000+int64(h%(operatorPremiumPermille+1))) / 1000
	cost = (cost + 999) / 1000 * 1000 // whole tenths of a cent, like upstream lists
	total := 0
	for _, op := range operators[country] {
		total += operatorWeight(mix(seed, service, country+"/"+op, bucket))
	}
	if total > 0 {
		stock = stock * operatorWeight(h) / total
	}
	if (h>>40)%100 < operatorSoldOutPercent {
		stock = 0
	}
	return cost, stock
}

// operatorWeight is an operator's share of its pair's stock, 1 to 9.
func operatorWeight(h uint64) int { return 1 + int((h>>20)%9) }
