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

// healthz answers 200 "ok" when the database answers within a second.
func (s *Service) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if _, err := s.Store.SchemaVersion(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}
