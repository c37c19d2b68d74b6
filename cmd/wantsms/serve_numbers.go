package main

import (
	"strings"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/service"
	"github.com/wantsms/wantsms/provider/engine"
	"github.com/wantsms/wantsms/provider/fivesim"
	"github.com/wantsms/wantsms/provider/sim"
)

// numbersFlags declares the flags that choose number providers and the
// rules of a reservation; the returned func completes nc after parsing.
func numbersFlags(f *flags, nc *service.NumbersConfig) (finish func() error) {
	var providers string
	var seed, markup int
	var freeze bool
	f.String(&providers, "providers", "WANTSMS_PROVIDERS", "",
		"number providers, comma-separated: sim, smsactivate, fivesim (default: those with credentials, else sim)")
	f.String(&nc.SMSActivateURL, "smsactivate-url", "WANTSMS_SMSACTIVATE_URL", "",
		"base URL of an SMS-Activate-protocol provider, e.g. https://api.sms-activate.org")
	f.String(&nc.SMSActivateKey, "smsactivate-key", "WANTSMS_SMSACTIVATE_KEY", "", "its API key")
	f.String(&nc.SMSActivateRate, "smsactivate-rate", "WANTSMS_SMSACTIVATE_RATE", "",
		"USD per unit of its account currency, e.g. 0.011 for RUB (default: the account is in USD)")
	f.String(&nc.WebhookSecret, "smsactivate-webhook-secret", "WANTSMS_SMSACTIVATE_WEBHOOK_SECRET", "",
		"secret that signs SMS pushed to /webhooks/provider/smsactivate (empty: pushes refused)")
	f.String(&nc.FiveSimURL, "fivesim-url", "WANTSMS_FIVESIM_URL", fivesim.DefaultBaseURL, "5sim API base URL")
	f.String(&nc.FiveSimToken, "fivesim-token", "WANTSMS_FIVESIM_TOKEN", "", "5sim API token")
	f.String(&nc.FiveSimRate, "fivesim-rate", "WANTSMS_FIVESIM_RATE", "", "USD per unit of the 5sim account currency")
	f.Int(&markup, "markup", "WANTSMS_MARKUP", service.DefaultMarkupBP,
		"sell price = provider cost × markup / 10000, rounded up to a cent")
	f.Duration(&nc.Lifetime, "lifetime", "WANTSMS_LIFETIME", engine.DefaultLifetime,
		"how long a number stays open; no SMS by then = full refund")
	f.Duration(&nc.CancelGuard, "cancel-guard", "WANTSMS_CANCEL_GUARD", engine.DefaultCancelGuard,
		"cancel is refused this long after reserving")
	f.Int(&nc.MaxOpen, "max-open", "WANTSMS_MAX_OPEN", engine.DefaultMaxOpen,
		"open numbers per user at once, and active rentals")
	f.Duration(&nc.RentalDay, "rental-day", "WANTSMS_RENTAL_DAY", engine.DefaultRentalDay,
		"how long a day of a rental lasts (shorter only to try rentals out: it is what people pay for)")
	f.Duration(&nc.RentalCancelWindow, "rental-cancel-window", "WANTSMS_RENTAL_CANCEL_WINDOW",
		engine.DefaultRentalCancelWindow, "a rental without an SMS is refunded in full if cancelled within this")
	f.Duration(&nc.SimSMSDelay, "sim-sms-delay", "WANTSMS_SIM_SMS_DELAY", sim.DefaultSMSDelay,
		"sim: mean wait before a number's SMS")
	f.Duration(&nc.SimJitter, "sim-jitter", "WANTSMS_SIM_JITTER", sim.DefaultJitter, "sim: the wait varies by ± this")
	f.Int(&nc.SimNeverSharePct, "sim-never-share", "WANTSMS_SIM_NEVER_SHARE", int(sim.DefaultNeverShare*100),
		"sim: percent of numbers that never get an SMS (so refunds happen)")
	f.String(&nc.SimWebhookSecret, "sim-webhook-secret", "WANTSMS_SIM_WEBHOOK_SECRET", "",
		"sim: secret that signs SMS pushed to /webhooks/provider/sim (load tests; empty: pushes refused)")
	f.Int(&seed, "sim-seed", "WANTSMS_SIM_SEED", 1, "sim: seed of its numbers, codes and prices")
	f.Bool(&freeze, "sim-freeze-prices", "WANTSMS_SIM_FREEZE_PRICES", false,
		"sim: keep prices and stock as they are at start (they drift every 10 minutes otherwise)")
	f.Bool(&nc.AllowSimWithLivePayments, "allow-sim-with-live-payments", "WANTSMS_ALLOW_SIM_WITH_LIVE_PAYMENTS", false,
		"run sim even next to a live Stripe key (sk_live_…)")
	return func() error {
		nc.SimSeed, nc.MarkupBP = int64(seed), markup
		if freeze {
			nc.SimMarketAt = time.Now()
		}
		for _, p := range strings.Split(providers, ",") {
			if p = strings.TrimSpace(p); p != "" {
				nc.Providers = append(nc.Providers, p)
			}
		}
		if markup < 10_000 {
			return usagef("--markup %d: at least 10000 (selling below cost loses money on every number)", markup)
		}
		if nc.Lifetime < 0 || nc.CancelGuard < 0 || nc.MaxOpen < 1 || nc.SimNeverSharePct < 0 || nc.SimNeverSharePct > 100 {
			return usagef("--lifetime and --cancel-guard must not be negative, --max-open at least 1, --sim-never-share 0 to 100")
		}
		if nc.RentalDay < time.Second || nc.RentalCancelWindow < time.Second ||
			nc.RentalCancelWindow > engine.DefaultRentalCancelWindow {
			return usagef("--rental-day at least 1s, --rental-cancel-window from 1s to %s (the market's window)",
				engine.DefaultRentalCancelWindow)
		}
		return nil
	}
}
