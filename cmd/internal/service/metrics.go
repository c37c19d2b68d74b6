package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/apiauth"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

// metricsTimeout bounds the database read of one scrape.
const metricsTimeout = 2 * time.Second

// serveMetrics is GET /metrics in the Prometheus text format: event
// counters kept in memory since start, and levels read from the database
// in one query (reservations by state, orders by status, mails and
// webhook deliveries by status). Labels hold states, outcomes and provider names, never
// anything about a person.
// With a MetricsToken configured, the scrape must bring it as a bearer
// token; without one, only this machine (a loopback address) may scrape:
// the counters say how the business runs, which is nobody else's affair.
func (s *Service) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MetricsToken == "" && !fromLoopback(r) {
		http.Error(w, "forbidden: /metrics answers only this machine unless a metrics token is set",
			http.StatusForbidden)
		return
	}
	if !s.metricsAllowed(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), metricsTimeout)
	defer cancel()
	fams := s.eventFamilies()
	g, err := s.Store.ReadGauges(ctx)
	dbUp := int64(1)
	if err != nil {
		s.log.Error("metrics: read gauges", "err", err)
		dbUp = 0
	} else {
		fams = append(fams, gaugeFamilies(g)...)
	}
	fams = append(fams, metrics.Family{Name: "wantsms_database_up", Type: metrics.Gauge,
		Help: "1 when the database answered this scrape.", Samples: []metrics.Sample{{Value: dbUp}}})
	w.Header().Set("Content-Type", metrics.ContentType)
	if err := metrics.Write(w, fams); err != nil {
		s.log.Error("metrics: write", "err", err)
	}
}

func (s *Service) metricsAllowed(r *http.Request) bool {
	if s.cfg.MetricsToken == "" {
		return true
	}
	got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	want := sha256.Sum256([]byte("Bearer " + s.cfg.MetricsToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// fromLoopback reports whether a request came from this machine. A proxy
// on this machine forwards from loopback too: route /metrics there only
// with a token set.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// eventFamilies are the in-process counters and levels.
func (s *Service) eventFamilies() []metrics.Family {
	c := s.Store.Counters()
	one := func(name, help string, t metrics.Type, v int64) metrics.Family {
		return metrics.Family{Name: name, Help: help, Type: t, Samples: []metrics.Sample{{Value: v}}}
	}
	fams := []metrics.Family{
		one("wantsms_ssh_sessions_open", "SSH sessions open now (dashboards and commands).", metrics.Gauge,
			int64(s.SSH.Sessions())),
		one("wantsms_ssh_sessions_total", "SSH sessions started.", metrics.Counter, s.SSH.SessionsStarted()),
		{Name: "wantsms_signins_total", Help: "Successful sign-ins, by method.", Type: metrics.Counter,
			Samples: []metrics.Sample{
				{Labels: metrics.L("method", "password"), Value: c.SigninsPassword},
				{Labels: metrics.L("method", "key"), Value: c.SigninsKey},
				{Labels: metrics.L("method", "command"), Value: c.SigninsCommand},
			}},
		{Name: "wantsms_signin_failures_total", Help: "Refused password sign-ins, by reason.", Type: metrics.Counter,
			Samples: []metrics.Sample{
				{Labels: metrics.L("reason", "wrong_password"), Value: c.SigninFailures},
				{Labels: metrics.L("reason", "throttled"), Value: c.SigninThrottled},
			}},
		one("wantsms_reservations_created_total", "Numbers handed out.", metrics.Counter, c.Reservations),
		one("wantsms_sms_received_total", "SMS stored.", metrics.Counter, c.SMSReceived),
		one("wantsms_refunds_total", "Reservations refunded.", metrics.Counter, c.Refunds),
		one("wantsms_rentals_created_total", "Numbers rented.", metrics.Counter, c.Rentals),
	}
	fams = append(fams, s.providerFamilies()...)
	m := s.mail.Stats()
	fams = append(fams, metrics.Family{Name: "wantsms_mail_attempts_total",
		Help: "Mail delivery attempts since start, by outcome: sent, failed (to be tried again), given_up.",
		Type: metrics.Counter, Samples: []metrics.Sample{
			{Labels: metrics.L("outcome", "sent"), Value: m.Sent},
			{Labels: metrics.L("outcome", "failed"), Value: m.Retried},
			{Labels: metrics.L("outcome", "given_up"), Value: m.Failed},
		}})
	fams = append(fams, s.apiFamilies()...)
	h := s.hooks.Stats()
	fams = append(fams, metrics.Family{Name: "wantsms_webhook_attempts_total",
		Help: "Posts to people's webhooks since start, by outcome: delivered (a 2xx), failed (to be tried " +
			"again), given_up.", Type: metrics.Counter, Samples: []metrics.Sample{
			{Labels: metrics.L("outcome", "delivered"), Value: h.Delivered},
			{Labels: metrics.L("outcome", "failed"), Value: h.Retried},
			{Labels: metrics.L("outcome", "given_up"), Value: h.Failed},
		}})
	fams = append(fams, s.webhookFamily())
	return append(fams, s.instanceFamilies()...)
}

// instanceFamilies are what differs from one instance to the next on
// one PostgreSQL database (each is scraped apart): which leases this one
// holds, and whether it hears the others' events. None on SQLite.
func (s *Service) instanceFamilies() []metrics.Family {
	if !s.Store.OnPostgres() {
		return nil
	}
	leases := metrics.Family{Name: "wantsms_lease_held", Help: "1 while this instance holds the lease and runs " +
		"its jobs (numbers, purge, payments): exactly one instance should, for each.", Type: metrics.Gauge}
	held := s.Store.LeasesHeld()
	for _, name := range []string{store.LeaseNumbers, store.LeasePurge, store.LeasePayments} {
		v := int64(0)
		if held[name] {
			v = 1
		}
		leases.Samples = append(leases.Samples, metrics.Sample{Labels: metrics.L("lease", name), Value: v})
	}
	up := int64(0)
	if s.Store.Listening() {
		up = 1
	}
	return []metrics.Family{leases, {Name: "wantsms_events_listener_up", Help: "1 while this instance hears " +
		"the other instances' events (PostgreSQL LISTEN): alert when 0.", Type: metrics.Gauge,
		Samples: []metrics.Sample{{Value: up}}}}
}

// apiFamilies count the HTTP API's requests by endpoint and outcome, and
// those refused by a rate limit, by scope (both scopes listed from the
// start).
func (s *Service) apiFamilies() []metrics.Family {
	reqs := metrics.Family{Name: "wantsms_api_requests_total",
		Help: "HTTP API requests answered, by endpoint and outcome (ok, or the error word or code).",
		Type: metrics.Counter}
	for _, r := range s.api.Requests() {
		reqs.Samples = append(reqs.Samples, metrics.Sample{Labels: metrics.L("endpoint", r.Endpoint,
			"outcome", r.Outcome), Value: r.N})
	}
	limited := metrics.Family{Name: "wantsms_api_rate_limited_total",
		Help: "HTTP API requests refused by a rate limit, by scope: key or address.", Type: metrics.Counter}
	lim := s.api.Limited()
	for _, scope := range []string{apiauth.ScopeAddress, apiauth.ScopeKey} {
		limited.Samples = append(limited.Samples, metrics.Sample{Labels: metrics.L("scope", scope),
			Value: lim[scope]})
	}
	return []metrics.Family{reqs, limited}
}

func (s *Service) providerFamilies() []metrics.Family {
	calls := metrics.Family{Name: "wantsms_provider_calls_total", Help: "Upstream calls, by provider.",
		Type: metrics.Counter}
	errs := metrics.Family{Name: "wantsms_provider_errors_total", Help: "Upstream calls that failed, by provider.",
		Type: metrics.Counter}
	enabled := metrics.Family{Name: "wantsms_provider_enabled", Help: "1 when the provider sells new numbers.",
		Type: metrics.Gauge}
	for _, st := range s.nums.router.Stats() {
		l := metrics.L("provider", st.Provider)
		on := int64(0)
		if st.Enabled {
			on = 1
		}
		calls.Samples = append(calls.Samples, metrics.Sample{Labels: l, Value: st.Calls})
		errs.Samples = append(errs.Samples, metrics.Sample{Labels: l, Value: st.Errors})
		enabled.Samples = append(enabled.Samples, metrics.Sample{Labels: l, Value: on})
	}
	return []metrics.Family{calls, errs, enabled}
}

// webhookFamily counts webhooks by source and outcome; every outcome is
// listed for every source, zero or not, so rates work from the start.
func (s *Service) webhookFamily() metrics.Family {
	f := metrics.Family{Name: "wantsms_webhooks_total", Help: "Webhooks received, by source and outcome.",
		Type: metrics.Counter}
	sources := s.pay.WebhookOutcomes()
	sources["provider"] = s.nums.engine.WebhookOutcomes()
	outcomes := []string{metrics.OutcomeOK, metrics.OutcomeIgnored, metrics.OutcomeBadSignature,
		metrics.OutcomeMalformed, metrics.OutcomeError}
	for _, src := range []string{"stripe", "blockonomics", "provider"} {
		for _, o := range outcomes {
			f.Samples = append(f.Samples, metrics.Sample{Labels: metrics.L("source", src, "outcome", o),
				Value: sources[src][o]})
		}
	}
	return f
}

// gaugeFamilies are the levels read from the database.
func gaugeFamilies(g store.Gauges) []metrics.Family {
	res := metrics.Family{Name: "wantsms_reservations", Help: "Reservations in the database, by state.",
		Type: metrics.Gauge}
	for _, st := range []store.ReservationState{store.ResActive, store.ResReceived, store.ResFinished,
		store.ResCancelled, store.ResExpired, store.ResFailed} {
		res.Samples = append(res.Samples, metrics.Sample{Labels: metrics.L("state", string(st)),
			Value: g.ReservationsByState[st]})
	}
	ord := metrics.Family{Name: "wantsms_orders", Help: "Top-up orders in the database, by status and processor.",
		Type: metrics.Gauge}
	statuses := []store.OrderStatus{store.OrderCreated, store.OrderPending, store.OrderPaid, store.OrderFailed,
		store.OrderExpired, store.OrderReview, store.OrderRefunded, store.OrderDisputed}
	procs := []store.Processor{store.ProcessorStripe, store.ProcessorBlockonomics}
	for _, st := range statuses {
		for _, p := range procs {
			ord.Samples = append(ord.Samples, metrics.Sample{Labels: metrics.L("status", string(st),
				"processor", string(p)), Value: g.OrdersByStatus[st][p]})
		}
	}
	mails := metrics.Family{Name: "wantsms_mails", Help: "Mails in the outbox and its log, by status " +
		"(failed: given up, shown to admins).", Type: metrics.Gauge}
	for _, st := range []store.MailStatus{store.MailQueued, store.MailSending, store.MailSent, store.MailFailed,
		store.MailDropped} {
		mails.Samples = append(mails.Samples, metrics.Sample{Labels: metrics.L("status", string(st)),
			Value: g.MailsByStatus[st]})
	}
	hooks := metrics.Family{Name: "wantsms_webhook_deliveries", Help: "Deliveries to people's webhooks in the " +
		"queue (queued, sending) and the delivery log (delivered, failed: given up).", Type: metrics.Gauge}
	for _, st := range []store.DeliveryStatus{store.DeliveryQueued, store.DeliverySending, store.DeliveryDelivered,
		store.DeliveryFailed} {
		hooks.Samples = append(hooks.Samples, metrics.Sample{Labels: metrics.L("status", string(st)),
			Value: g.DeliveriesByStatus[st]})
	}
	depth := metrics.Family{Name: "wantsms_webhook_queue_depth", Help: "Deliveries to people's webhooks " +
		"waiting or under way: alert when it keeps growing.", Type: metrics.Gauge, Samples: []metrics.Sample{
		{Value: g.DeliveriesByStatus[store.DeliveryQueued] + g.DeliveriesByStatus[store.DeliverySending]}}}
	rentals := metrics.Family{Name: "wantsms_rentals_active", Help: "Rentals not ended yet.", Type: metrics.Gauge,
		Samples: []metrics.Sample{{Value: g.ActiveRentals}}}
	return []metrics.Family{res, ord, mails, hooks, depth, rentals}
}
