package billing

import (
	"errors"
	"html"
	"net/http"

	"github.com/wantsms/wantsms/store"
)

// Routes mounts the payment endpoints on mux: the two webhooks, the short
// payment links and Stripe's return pages.
func (p *Payments) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+StripeWebhookPath, p.HandleStripe)
	mux.HandleFunc("GET "+BlockonomicsCallbackPath, p.HandleBlockonomics)
	mux.HandleFunc("GET /pay/done", p.handleDone)
	mux.HandleFunc("GET /pay/cancelled", p.handleCancelled)
	mux.HandleFunc("GET /pay/{order}", p.handlePayLink)
}

// handlePayLink redirects an open card order's short link to its Checkout
// page. A closed, unknown or Bitcoin order gets the same "not open" page,
// so the link tells a stranger nothing about which numbers exist.
func (p *Payments) handlePayLink(w http.ResponseWriter, r *http.Request) {
	o, err := p.store.OrderByNumber(r.Context(), r.PathValue("order"))
	if err != nil && !errors.Is(err, store.ErrNoOrder) {
		p.log.Error("payment link", "err", err)
		page(w, http.StatusInternalServerError, "Something went wrong",
			"Please try again in a moment, or return to your terminal.")
		return
	}
	if err != nil || o.Processor != store.ProcessorStripe || !o.Open(p.store.Now()) || o.CheckoutURL == "" {
		page(w, http.StatusNotFound, "This payment link is not open",
			"It may have been paid or have expired. Return to your terminal to see your top-ups.")
		return
	}
	securityHeaders(w)
	http.Redirect(w, r, o.CheckoutURL, http.StatusSeeOther)
}

// handleDone is Stripe's success URL. It fulfils nothing: only the signed
// webhook does, since anyone can open this page and a payer may never.
func (p *Payments) handleDone(w http.ResponseWriter, _ *http.Request) {
	page(w, http.StatusOK, "Thank you",
		"Return to your terminal: your balance rises there as soon as Stripe confirms the payment.")
}

// handleCancelled is Stripe's cancel URL.
func (p *Payments) handleCancelled(w http.ResponseWriter, _ *http.Request) {
	page(w, http.StatusOK, "Payment cancelled",
		"Nothing was charged. Return to your terminal to choose another amount or method.")
}

// page writes a plain page of a title and one sentence (fixed texts only).
func page(w http.ResponseWriter, code int, title, text string) {
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	t, s := html.EscapeString(title), html.EscapeString(text)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"><title>` + t + ` · WantSMS</title>` +
		`<style>body{font:18px/1.5 system-ui,sans-serif;max-width:32em;margin:15vh auto;padding:0 1em}</style>` +
		`</head><body><h1>` + t + `</h1><p>` + s + `</p></body></html>`))
}

// securityHeaders: nothing cached, no referrer leaking an order number to
// the next site, no scripts.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
}
