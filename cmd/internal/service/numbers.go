package service

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/provider/fivesim"
	"github.com/wantsms/wantsms/provider/sim"
	"github.com/wantsms/wantsms/provider/smsactivate"
)

// NumbersConfig chooses where numbers come from and the rules of a
// reservation. Zero values take the engine's and the simulator's defaults.
type NumbersConfig struct {
	// Providers lists the enabled providers by name ("sim",
	// "smsactivate", "fivesim"); empty means every upstream that has
	// credentials, or sim alone when none has.
	Providers []string

	SMSActivateURL  string
	SMSActivateKey  string
	SMSActivateRate string // USD per unit of the account's currency, e.g. "0.011" for RUB; "" = USD
	FiveSimURL      string
	FiveSimToken    string
	FiveSimRate     string
	// WebhookSecret signs SMS pushed by SMS-Activate-protocol upstreams to
	// /webhooks/provider/smsactivate.
	WebhookSecret string
	// SimWebhookSecret, when set, lets SMS for simulated numbers be pushed
	// to /webhooks/provider/sim signed with it, like an upstream's: the
	// load tool times SMS from arrival to screen that way.
	SimWebhookSecret string

	MarkupBP    int           // sell price = cost × MarkupBP / 10000
	Lifetime    time.Duration // how long a number stays open
	CancelGuard time.Duration // cancel refused this long after reserving
	MaxOpen     int           // open numbers per user, and active rentals
	// RentalDay is how long a day of a rental lasts (default a day).
	RentalDay time.Duration
	// RentalCancelWindow is how long after renting a cancel is refunded
	// (default the market's 20 minutes).
	RentalCancelWindow time.Duration

	SimSeed          int64
	SimSMSDelay      time.Duration // mean wait before the sim's SMS (default 15 s)
	SimJitter        time.Duration
	SimNeverSharePct int // share of sim numbers that never get an SMS, in percent
	// SimClock drives the simulator and the engine (tests); default the wall clock.
	SimClock sim.Clock
	// SimMarketAt, when set, holds the sim's prices and stock at that
	// moment (no drift): tests, and --sim-freeze-prices.
	SimMarketAt time.Time

	// StripeSecretKey is read only to refuse running the simulator next
	// to live payments: people would pay real money for fake numbers.
	StripeSecretKey          string
	AllowSimWithLivePayments bool
}

// DefaultMarkupBP sells at cost × 1.5: upstream prices are a few cents, and
// the margin pays for payment fees, refunds' upstream costs and running.
const DefaultMarkupBP = 15_000

// Request budgets per upstream, below the limits providers publish (SMSPool
// allows 32 requests a second, DaisySim 60 status checks a minute): 10
// requests a second with bursts of 20.
var upstreamRate = provider.Rate{Every: 100 * time.Millisecond, Burst: 20}

// ErrSimWithLivePayments refuses to start the simulator next to a live
// Stripe key.
var ErrSimWithLivePayments = errors.New("the sim provider is enabled next to a live Stripe key (sk_live_…): " +
	"people would pay real money for simulated numbers; configure a real provider, or pass " +
	"--allow-sim-with-live-payments if this is really wanted")

// numbers is the running provider side.
type numbers struct {
	router *provider.Router
	engine *engine.Engine
	sims   []*sim.Sim
}

func (s *Service) buildNumbers() (*numbers, error) {
	nc := s.cfg.Numbers
	names, err := chosenProviders(nc)
	if err != nil {
		return nil, err
	}
	if names["sim"] && strings.HasPrefix(nc.StripeSecretKey, "sk_live_") && !nc.AllowSimWithLivePayments {
		return nil, ErrSimWithLivePayments
	}
	markup := provider.Markup(nc.MarkupBP)
	if markup <= 0 {
		markup = DefaultMarkupBP
	}
	clock := nc.SimClock
	if clock == nil {
		clock = sim.RealClock()
	}
	n := &numbers{router: provider.NewRouter(provider.RouterConfig{Markup: markup, Now: clock.Now})}
	simulated := map[string]bool{}
	if names["sim"] {
		sm := sim.New(simOptions(nc, clock))
		n.sims = append(n.sims, sm)
		simulated[sm.Name()] = true
		if err := n.router.Add(sm, provider.Route{Enabled: true}); err != nil {
			return nil, err
		}
	}
	if err := n.addUpstreams(nc, names, s.log); err != nil {
		return nil, err
	}
	secrets := map[string][]byte{"smsactivate": []byte(nc.WebhookSecret)}
	if names["sim"] && nc.SimWebhookSecret != "" {
		secrets[sim.Name] = []byte(nc.SimWebhookSecret)
	}
	n.engine = engine.New(s.Store, n.router, engine.Config{
		Lifetime: nc.Lifetime, CancelGuard: nc.CancelGuard, MaxOpen: nc.MaxOpen, Clock: clock, Log: s.log,
		Secrets: secrets, Simulated: simulated, RentalDay: nc.RentalDay, RentalCancelWindow: nc.RentalCancelWindow,
		Standby: s.Store.OnPostgres(), // other instances may share the database: jobs.go
	})
	return n, nil
}

func simOptions(nc NumbersConfig, clock sim.Clock) sim.Options {
	o := sim.DefaultOptions()
	o.Seed, o.Clock, o.MarketAt = nc.SimSeed, clock, nc.SimMarketAt
	if nc.SimSMSDelay > 0 {
		o.SMSDelay, o.Jitter = nc.SimSMSDelay, nc.SimJitter
	}
	o.NeverShare = float64(min(max(nc.SimNeverSharePct, 0), 100)) / 100
	if nc.Lifetime > 0 {
		o.Lifetime = nc.Lifetime
	}
	// Activation ids must not repeat across restarts, or a new number
	// could be taken for one still open from the last run, nor across
	// instances on one database started in the same moment: the start
	// time in milliseconds (within 11 days: far longer than a number or
	// a simulated rental stays open), times a million, plus a random
	// offset. Under 2^53, so clients that read ids as JSON numbers (floats)
	// read them exactly.
	o.FirstRef = uint64(clock.Now().UnixMilli())%1_000_000_000*1_000_000 + rand.Uint64N(1_000_000)
	return o
}

// addUpstreams adds the configured upstreams; log records the activations
// they give back.
func (n *numbers) addUpstreams(nc NumbersConfig, names map[string]bool, log *slog.Logger) error {
	if names["smsactivate"] {
		rate, err := currencyRate(nc.SMSActivateRate)
		if err != nil {
			return fmt.Errorf("smsactivate currency rate: %w", err)
		}
		c, err := smsactivate.New(smsactivate.Config{BaseURL: nc.SMSActivateURL, APIKey: nc.SMSActivateKey, CurrencyRate: rate,
			Log: log})
		if err != nil {
			return fmt.Errorf("smsactivate: %w", err)
		}
		if err := n.router.Add(c, provider.Route{Enabled: true, Limit: upstreamRate}); err != nil {
			return err
		}
	}
	if names["fivesim"] {
		rate, err := currencyRate(nc.FiveSimRate)
		if err != nil {
			return fmt.Errorf("fivesim currency rate: %w", err)
		}
		c, err := fivesim.New(fivesim.Config{BaseURL: nc.FiveSimURL, Token: nc.FiveSimToken, CurrencyRate: rate, Log: log})
		if err != nil {
			return fmt.Errorf("fivesim: %w", err)
		}
		if err := n.router.Add(c, provider.Route{Enabled: true, Limit: upstreamRate}); err != nil {
			return err
		}
	}
	return nil
}

// currencyRate reads "USD per unit" ("0.011"); empty means USD.
func currencyRate(s string) (provider.Micros, error) {
	if s == "" {
		return provider.Dollar, nil
	}
	m, err := provider.ParseMicros(s)
	if err != nil || m <= 0 {
		return 0, fmt.Errorf("%q: want a positive decimal number of USD per unit", s)
	}
	return m, nil
}

// chosenProviders resolves which providers run.
func chosenProviders(nc NumbersConfig) (map[string]bool, error) {
	out := map[string]bool{}
	for _, p := range nc.Providers {
		p = strings.ToLower(strings.TrimSpace(p))
		switch p {
		case "":
		case "sim", "smsactivate", "fivesim":
			out[p] = true
		default:
			return nil, fmt.Errorf("unknown provider %q: want sim, smsactivate or fivesim", p)
		}
	}
	if len(out) == 0 {
		out["smsactivate"] = nc.SMSActivateKey != ""
		out["fivesim"] = nc.FiveSimToken != ""
		out["sim"] = !out["smsactivate"] && !out["fivesim"]
	}
	if out["smsactivate"] && (nc.SMSActivateKey == "" || nc.SMSActivateURL == "") {
		return nil, errors.New("provider smsactivate needs a base URL and an API key")
	}
	if out["fivesim"] && nc.FiveSimToken == "" {
		return nil, errors.New("provider fivesim needs a token")
	}
	return out, nil
}

func (n *numbers) close() {
	n.engine.Close()
	for _, s := range n.sims {
		s.Close()
	}
}
