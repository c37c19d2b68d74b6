package service

import (
	"context"
	"net/http"
	"time"

	"github.com/wantsms/wantsms/cmd/internal/mail"
	"github.com/wantsms/wantsms/cmd/internal/saapi"
	"github.com/wantsms/wantsms/cmd/internal/v1api"
	"github.com/wantsms/wantsms/provider/engine"
)

// routes is the HTTP side: health and metrics for load balancers and
// monitors, the payment and provider webhooks, payment pages, the pages
// behind the links of account mails, and the HTTP API for people's own
// programs (the SMS-Activate-compatible endpoint and the JSON API under
// /v1).
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	s.pay.Routes(mux)
	mail.Routes(mux, s.Store, s.log)
	mux.HandleFunc(engine.WebhookPattern, s.nums.engine.ServeWebhook)
	mux.Handle(saapi.Path, saapi.New(s.Store, s.nums.engine, s.api, s.log))
	s.v1 = v1api.New(v1api.Deps{Store: s.Store, Numbers: s.nums.engine, Rentals: s.nums.engine, Payments: s.pay, Log: s.log,
		Guard: s.api})
	s.v1.Register(mux)
	return mux
}

// healthzTimeout bounds the health check's read: a load balancer's
// check should hear "down" rather than nothing.
const healthzTimeout = time.Second

// healthz tells load balancers and monitors whether this instance can
// reach its database: 200 {"status":"ok","database":"ok"} when a read
// answers within healthzTimeout, else 503 with "unreachable". It reads
// through the pool of readers (Store.Ping), so a write queued behind
// another instance's does not take this one out of rotation. The reason
// goes to the log, never to the public answer.
func (s *Service) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthzTimeout)
	defer cancel()
	status, body := http.StatusOK, `{"status":"ok","database":"ok"}`
	if err := s.Store.Ping(ctx); err != nil {
		s.log.Warn("healthz: the database does not answer", "err", err)
		status, body = http.StatusServiceUnavailable, `{"status":"unavailable","database":"unreachable"}`
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}
