package provider

import "strings"

// RateSource tells how often the numbers a provider handed out for a
// service in a country got an SMS lately: Percent is that share in whole
// percent, ok false while there are too few numbers to tell.
type RateSource interface {
	Percent(service, country, provider string) (pct int, ok bool)
}

// unknownRate ranks a provider whose rate is not known yet: an even
// chance, so a new provider is tried before one that mostly fails and
// after one that mostly works.
const unknownRate = 50

// SetRates gives the Router the success rates it breaks price ties with;
// nil ranks every provider alike. Offers are ranked again from the next
// call on.
func (r *Router) SetRates(src RateSource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rates = src
	r.overridesGen++
}

// contender is one provider's cost for the pair being ranked.
type contender struct {
	name string
	cost Micros
}

// ranker orders the providers of one service in one country at markup
// m: the lower sell price first (what the person pays); at the same sell
// price, the provider whose numbers got an SMS more often (success rate,
// unknownRate for one too new to tell); then the lower cost, then the
// name, so the order is the same on every call.
func (r *Router) ranker(service, country string, m Markup) func(a, b contender) int {
	r.mu.RLock()
	src := r.rates
	r.mu.RUnlock()
	rate := func(name string) int {
		if src == nil {
			return unknownRate
		}
		if pct, ok := src.Percent(service, country, name); ok {
			return pct
		}
		return unknownRate
	}
	return func(a, b contender) int {
		if sa, sb := SellPrice(a.cost, m), SellPrice(b.cost, m); sa != sb {
			return int(min(max(sa-sb, -1), 1))
		}
		if ra, rb := rate(a.name), rate(b.name); ra != rb {
			return rb - ra
		}
		if a.cost != b.cost {
			return int(min(max(a.cost-b.cost, -1), 1))
		}
		return strings.Compare(a.name, b.name)
	}
}
