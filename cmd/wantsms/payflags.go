package main

import (
	"fmt"
	"math"
	"net"

	"github.com/wantsms/wantsms/billing"
)

// payFlags are the payment settings of `wantsms serve`; finish turns them
// into a billing.Config once parsed.
type payFlags struct {
	cfg                                  billing.Config
	packs, minUSD, maxUSD, unverifiedUSD string
}

func addPayFlags(f *flags) *payFlags {
	p := &payFlags{}
	c := &p.cfg
	f.String(&c.PublicURL, "public-url", "WANTSMS_PUBLIC_URL", "",
		"HTTP base URL as payers and processors reach it (default http://localhost:PORT of --http-addr)")
	f.Secret(&c.Stripe.SecretKey, "stripe-secret-key", "STRIPE_SECRET_KEY", "Stripe API key, sk_… (card payments off when empty)")
	f.Secret(&c.Stripe.WebhookSecret, "stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET", "signing secret of the Stripe webhook endpoint, whsec_…")
	f.String(&c.Stripe.APIBase, "stripe-api-base", "STRIPE_API_BASE", "", "Stripe API base URL (empty: api.stripe.com; stripe-mock: http://127.0.0.1:12111)")
	f.Duration(&c.Stripe.SessionTTL, "stripe-session-ttl", "STRIPE_SESSION_TTL", billing.DefaultSessionTTL,
		"how long a Checkout page stays payable (30m–60m)")
	f.Secret(&c.Blockonomics.APIKey, "blockonomics-api-key", "BLOCKONOMICS_API_KEY", "Blockonomics API key (Bitcoin payments off when empty)")
	f.Secret(&c.Blockonomics.CallbackSecret, "blockonomics-callback-secret", "BLOCKONOMICS_CALLBACK_SECRET",
		"the secret= of the callback URL set in Blockonomics")
	f.String(&c.Blockonomics.APIBase, "blockonomics-api-base", "BLOCKONOMICS_API_BASE", billing.DefaultBlockonomicsBase, "Blockonomics API base URL")
	f.String(&c.Blockonomics.MatchCallback, "blockonomics-match-callback", "BLOCKONOMICS_MATCH_CALLBACK", "",
		"pick the Blockonomics store whose callback URL contains this (accounts with several stores)")
	f.Duration(&c.Blockonomics.PriceLock, "btc-price-lock", "BLOCKONOMICS_PRICE_LOCK", billing.DefaultPriceLock,
		"how long a quoted BTC amount holds (5m–2h)")
	f.String(&p.packs, "packs", "WANTSMS_PACKS", "5,10,25,50,100", "credit packs in US dollars, comma separated")
	f.String(&p.minUSD, "topup-min", "WANTSMS_TOPUP_MIN", "2", "smallest custom top-up in US dollars")
	f.String(&p.maxUSD, "topup-max", "WANTSMS_TOPUP_MAX", "500", "largest custom top-up in US dollars")
	f.String(&p.unverifiedUSD, "unverified-topup-max", "WANTSMS_UNVERIFIED_TOPUP_MAX", "10",
		"most an account may top up, in all, before its email is verified, in US dollars (0: nothing)")
	return p
}

// finish completes the configuration: the packs, and the public URL from
// the HTTP address when none was given.
func (p *payFlags) finish(httpAddr string) (billing.Config, error) {
	packs, err := billing.ParsePacks(p.packs, p.minUSD, p.maxUSD)
	if err != nil {
		return billing.Config{}, err
	}
	p.cfg.Packs = packs
	wide := billing.Packs{MaxCents: math.MaxInt64 / 2}
	unverified, err := wide.ParseAmount(p.unverifiedUSD)
	if err != nil {
		return billing.Config{}, fmt.Errorf("--unverified-topup-max %q: %w", p.unverifiedUSD, err)
	}
	p.cfg.UnverifiedMaxCents = unverified
	if unverified == 0 {
		p.cfg.UnverifiedMaxCents = -1 // billing's word for none
	}
	if p.cfg.PublicURL == "" {
		if p.cfg.PublicURL, err = localURL(httpAddr); err != nil {
			return billing.Config{}, err
		}
	}
	return p.cfg, nil
}

// localURL is the HTTP base of a server listening on httpAddr, as seen
// from its own host: the public URL when none is configured.
func localURL(httpAddr string) (string, error) {
	_, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return "", fmt.Errorf("--http-addr %q: %w", httpAddr, err)
	}
	return "http://localhost:" + port, nil
}
