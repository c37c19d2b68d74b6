package engine

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/wantsms/wantsms/provider"
	"github.com/wantsms/wantsms/store"
	"github.com/wantsms/wantsms/store/metrics"
)

// maxWebhookBody bounds a pushed SMS's body: an SMS webhook is well under
// a kilobyte; 64 KiB leaves room for any envelope.
const maxWebhookBody = 64 << 10

// WebhookPattern is the route the webhook handler serves.
const WebhookPattern = "POST /webhooks/provider/{name}"

// ServeWebhook receives an SMS pushed by provider {name} for one of its
// activations or rentals: the body must be signed with that provider's
// secret (401 otherwise, and nothing is stored). A push for an activation
// we do not hold is acknowledged and dropped, so the upstream stops
// retrying.
func (e *Engine) ServeWebhook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, ok := e.router.Provider(name); !ok {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		e.hooks.Inc(metrics.OutcomeMalformed)
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	push, err := provider.ParseWebhook(e.cfg.Secrets[name], r.Header.Get(provider.WebhookSignatureHeader), body)
	switch {
	case errors.Is(err, provider.ErrBadSignature):
		e.hooks.Inc(metrics.OutcomeBadSignature)
		e.log.Warn("webhook with a bad signature", "provider", name, "remote", r.RemoteAddr)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	case err != nil:
		e.hooks.Inc(metrics.OutcomeMalformed)
		http.Error(w, "malformed body", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), upstreamTimeout)
	defer cancel()
	res, err := e.st.OpenReservationByRef(ctx, name, push.Ref)
	msg := provider.Message{ID: push.ID, Text: push.Text, Code: push.Code, ReceivedAt: push.ReceivedAt}
	switch {
	case errors.Is(err, store.ErrNoReservation) && e.ingestRentalPush(ctx, name, push.Ref, msg):
		e.hooks.Inc(metrics.OutcomeOK)
	case errors.Is(err, store.ErrNoReservation):
		e.hooks.Inc(metrics.OutcomeIgnored)
		e.log.Info("webhook for no open reservation or rental", "provider", name, "ref", push.Ref)
	case err != nil:
		e.hooks.Inc(metrics.OutcomeError)
		e.log.Error("webhook", "provider", name, "err", err)
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	default:
		e.hooks.Inc(metrics.OutcomeOK)
		e.store(ctx, res.ID, msg)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// WebhookOutcomes counts the providers' SMS pushes by outcome
// (metrics.Outcome…) since start.
func (e *Engine) WebhookOutcomes() map[string]int64 { return e.hooks.Snapshot() }
